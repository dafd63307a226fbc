"""Reference solutions of chapter 08: rnnbook's additive attention and beam search, adapted to the exercises' API."""

from __future__ import annotations

import numpy as np

from rnnbook.numpy import attention as _att
from rnnbook.numpy import decode as _dec

__all__ = ["additive_attention_forward", "additive_attention_backward", "attention_decoder_step", "beam_search"]


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


def beam_search(E, W, b, Wo, bo, h0, bos, eos, beam_width, max_len, alpha):
    """rnnbook's beam search on the decoder h_t = tanh(E[y] + h W + b), log p = log_softmax(h_t Wo + bo).
    Returns the best output's tokens (a list of ints) and its summed log-probability."""
    def step(tokens, h):  # tokens (K,), h (K, H) -> log_probs (K, V), h (K, H)
        h = np.tanh(E[tokens] + h @ W + b)
        z = h @ Wo + bo
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True)), h

    tokens, score, _ = _dec.beam_search(step, h0[None], int(bos), int(eos), int(beam_width), int(max_len),
                                        float(alpha))[0]
    return tokens, score
