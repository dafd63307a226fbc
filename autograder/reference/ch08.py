"""Reference solutions of chapter 08: rnnbook's additive attention, adapted to the exercises' API."""

from __future__ import annotations

import numpy as np

from rnnbook.numpy import attention as _att

__all__ = ["additive_attention_forward", "additive_attention_backward", "attention_decoder_step"]


def additive_attention_forward(query, keys, Wq, Wk, b, v):
    """rnnbook's additive attention without a mask. Returns context (N, H_enc), weights (N, S), cache."""
    return _att.additive_attention_forward(query, keys, Wq, Wk, b, v)


def additive_attention_backward(dcontext, cache):
    """rnnbook's backward from the exercise's cache ``(query, keys, Wq, Wk, b, v, u, alpha)``."""
    _, _, own = _att.additive_attention_forward(*cache[:6])
    return _att.additive_attention_backward(dcontext, own)


def attention_decoder_step(y_prev, s_prev, keys, Wq, Wk, b, v, Wy, Wc, Ws, bs):
    """c, α = attention(s_{t-1}, keys); s_t = tanh(y_{t-1} Wy + c Wc + s_{t-1} Ws + bs).
    Returns s_t (N, H_dec), c (N, H_enc), α (N, S)."""
    c, alpha, _ = _att.additive_attention_forward(s_prev, keys, Wq, Wk, b, v)
    s = np.tanh(y_prev @ Wy + c @ Wc + s_prev @ Ws + bs)
    return s, c, alpha
