"""Reference solutions of chapter 09: rnnbook's attention, masks and layer norm, in the exercises' API."""

from __future__ import annotations

import numpy as np

from rnnbook.numpy import attention as _att
from rnnbook.numpy import layernorm as _ln
from rnnbook.numpy import multihead as _mh

__all__ = ["scaled_dot_product_attention", "attention_mask", "multi_head_attention", "layer_norm_forward",
           "layer_norm_backward"]


def scaled_dot_product_attention(q, k, v, mask=None):
    """Returns out (N, T, d_v) and the weights (N, T, S)."""
    out, cache = _att.scaled_dot_product_attention_forward(q, k, v, mask)
    return out, _att.attention_weights(cache)


def attention_mask(lengths, T, causal):
    """(N, T, T): rnnbook's padding mask for every query, and its causal mask when ``causal``."""
    m = np.broadcast_to(_att.padding_mask(lengths, T)[:, None, :], (len(lengths), T, T))
    return m & _att.causal_mask(T)[None] if causal else m.copy()


def multi_head_attention(query, key, value, Wq, Wk, Wv, bq, bk, bv, Wo, bo, num_heads, mask=None):
    """rnnbook's multi-head attention; returns out (N, T, E)."""
    return _mh.multi_head_attention_forward(query, key, value, Wq, Wk, Wv, bq, bk, bv, Wo, bo, num_heads, mask)[0]


def layer_norm_forward(x, gamma, beta, eps=1e-5):
    """rnnbook's layer norm; returns y (..., E) and its cache."""
    return _ln.layer_norm_forward(x, gamma, beta, eps)


def layer_norm_backward(dout, cache):
    """rnnbook's layer-norm backward on the exercise's cache (xhat, rstd, gamma): dx, dgamma, dbeta."""
    return _ln.layer_norm_backward(dout, tuple(cache))
