"""Reference solutions of chapter 03: rnnbook's BPTT (same caches as the exercises) and truncated BPTT."""

from __future__ import annotations

import numpy as np

from rnnbook.numpy.rnn import rnn_backward, rnn_step_backward

__all__ = ["rnn_step_backward", "rnn_backward", "rnn_backward_truncated"]


def rnn_backward_truncated(dh, cache, k):
    """BPTT within chunks [0, k), [k, 2k), …: each chunk is rnnbook's rnn_backward from the state before it,
    and the gradient that would flow into the previous chunk is dropped. dh0 comes from the first chunk."""
    x, h0, Wx, Wh, h = cache
    T = x.shape[1]
    dx = np.zeros_like(x)
    dWx, dWh = np.zeros_like(Wx), np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    dh0 = None
    for s in range(0, T, k):
        e = min(s + k, T)
        start = h0 if s == 0 else h[:, s - 1]
        gx, gstart, gWx, gWh, gb = rnn_backward(dh[:, s:e], (x[:, s:e], start, Wx, Wh, h[:, s:e]))
        dx[:, s:e] = gx
        dWx += gWx
        dWh += gWh
        db += gb
        if s == 0:
            dh0 = gstart
    return dx, dh0, dWx, dWh, db
