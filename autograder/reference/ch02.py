"""Reference solutions of chapter 02: the vanilla RNN and sampling at a temperature.

Shape letters: N batch, T time, D input, H hidden, V vocabulary.
"""

from __future__ import annotations

import numpy as np

from rnnbook.numpy.rnn import rnn_forward, rnn_step_forward

__all__ = ["rnn_step_forward", "rnn_forward", "softmax_temperature", "sample_chars"]


def softmax_temperature(scores, temperature):
    """p = softmax(s / τ) over the last axis. scores: (N, V); temperature τ > 0. Returns p (N, V)."""
    z = np.asarray(scores, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sample_chars(h0, c0, Wx, Wh, b, Wy, by, temperature, u):
    """Sample T characters: h_t = tanh(onehot(c_{t-1}) Wx + h_{t-1} Wh + b), p_t = softmax((h_t Wy + by)/τ),
    c_t = the first k with p_t[0] + … + p_t[k] > u[:, t] (the last index if none).

    h0: (N, H); c0: (N,) ints; Wx: (V, H); Wh: (H, H); b: (H,); Wy: (H, V); by: (V,); u: (N, T).
    Returns the sampled indices (N, T), ints.
    """
    N, T = u.shape
    V = Wx.shape[0]
    h, c = h0, np.asarray(c0)
    out = np.empty((N, T), dtype=np.int64)
    for t in range(T):
        h = np.tanh(Wx[c] + h @ Wh + b)  # one-hot(c) Wx is row c of Wx: (N, H)
        p = softmax_temperature(h @ Wy + by, temperature)  # (N, V)
        c = np.minimum((np.cumsum(p, axis=1) <= u[:, t:t + 1]).sum(axis=1), V - 1)  # (N,)
        out[:, t] = c
    return out
