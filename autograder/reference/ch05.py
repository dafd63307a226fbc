"""Reference solutions of chapter 05: rnnbook's LSTM, adapted to the exercises' cache, and torch.nn.LSTMCell."""

from __future__ import annotations

import torch

from rnnbook.numpy import lstm as _lstm

__all__ = ["lstm_step_forward", "lstm_step_backward", "lstm_forward", "LSTMCell"]

lstm_step_forward = _lstm.lstm_step_forward
LSTMCell = torch.nn.LSTMCell


def lstm_step_backward(dnext_h, dnext_c, cache):
    """rnnbook's backward, from the exercise's cache ``(x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c)``."""
    x, prev_h, prev_c, Wx, Wh, b = cache[:6]
    _, _, own = _lstm.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    return _lstm.lstm_step_backward(dnext_h, dnext_c, own)


def lstm_forward(x, h0, Wx, Wh, b):
    """rnnbook's lstm_forward with c_0 = 0. Returns h (N, T, H) and a cache."""
    return _lstm.lstm_forward(x, h0, Wx, Wh, b)
