"""Reference solutions of chapter 06: rnnbook's GRU (PyTorch's variant), adapted to the exercise's cache."""

from __future__ import annotations

from rnnbook.numpy import gru as _gru

__all__ = ["gru_step_forward", "gru_step_backward"]


def gru_step_forward(x, prev_h, Wx, Wh, bx, bh):
    """rnnbook's GRU step, variant "pytorch". Returns next_h (N, H) and a cache."""
    return _gru.gru_step_forward(x, prev_h, Wx, Wh, bx, bh, variant="pytorch")


def gru_step_backward(dnext_h, cache):
    """rnnbook's backward from the exercise's cache ``(x, prev_h, Wx, Wh, bx, bh, r, z, n, hn)``."""
    x, prev_h, Wx, Wh, bx, bh = cache[:6]
    _, own = _gru.gru_step_forward(x, prev_h, Wx, Wh, bx, bh, variant="pytorch")
    return _gru.gru_step_backward(dnext_h, own)
