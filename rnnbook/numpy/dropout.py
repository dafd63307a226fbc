"""Variational dropout for recurrent networks (Gal & Ghahramani 2016): one mask per sequence, shared over time.

Shape letters: N batch, T time, D input size, H hidden size.

Ordinary dropout draws a fresh mask at every step; on the recurrent state that erases a little of the memory
at every step, and after many steps most of it. Gal & Ghahramani's variational dropout draws one mask per
sequence for each place it is applied and reuses it at every step:

    m_x ~ Bernoulli(1 - p)^D / (1 - p),   m_h ~ Bernoulli(1 - p)^H / (1 - p)      one pair per sequence
    h_t, c_t = LSTM-step(x_t ⊙ m_x, h_{t-1} ⊙ m_h, c_{t-1})                         the same m_x, m_h every step

(the LSTM step of :mod:`rnnbook.numpy.lstm`; the read-out can take a third mask, ``variational_dropout_forward``
on the states h). Scaling by 1/(1 - p) keeps each unit's expected value, so evaluation uses no mask at all.
The forward pass here loops over steps with ``lstm_step_forward``: it is the definition, not a fast kernel.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook._validate import check_shape
from .lstm import lstm_step_backward, lstm_step_forward

__all__ = ["variational_mask", "variational_dropout_forward", "variational_dropout_backward",
           "lstm_variational_forward", "lstm_variational_backward"]


def variational_mask(N: int, size: int, p: float, rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """A mask (N, size) for one batch of sequences: each entry 0 with probability p, else 1 / (1 - p); 0 <= p < 1."""
    if not 0 <= p < 1:
        raise ValueError(f"p: expected a dropout probability 0 <= p < 1, got {p!r}")
    for name, v in (("N", N), ("size", size)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name}: expected a positive integer, got {v!r}")
    keep = rng.random((int(N), int(size))) >= p
    return (keep / (1.0 - p)).astype(dtype)


def variational_dropout_forward(x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, tuple]:
    """out[n, t] = x[n, t] ⊙ mask[n] at every step t. x: (N, T, D); mask: (N, D). Returns out (N, T, D), cache."""
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, D", dims)
    check_shape("mask", mask, "N, D", dims)
    return x * mask[:, None, :], (mask,)


def variational_dropout_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx (N, T, D) = dout ⊙ mask, the mask broadcast over time."""
    (mask,) = cache
    check_shape("dout", dout, "N, T, D", {"N": mask.shape[0], "D": mask.shape[1]})
    return dout * mask[:, None, :]


class LSTMVariationalCache(NamedTuple):
    steps: list  # LSTMStepCache of every step
    mask_x: np.ndarray  # (N, D)
    mask_h: np.ndarray  # (N, H)


def lstm_variational_forward(x, h0, Wx, Wh, b, mask_x, mask_h) -> tuple[np.ndarray, LSTMVariationalCache]:
    """The LSTM over a sequence with the input mask ``mask_x`` (N, D) and the recurrent mask ``mask_h`` (N, H)
    applied at every step (module docstring). x: (N, T, D); h0: (N, H); Wx: (D, 4H); Wh: (H, 4H); b: (4H,);
    the cell state starts at zero. Returns h (N, T, H) (unmasked states) and the cache."""
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, D", dims)
    check_shape("h0", h0, "N, H", dims)
    check_shape("mask_x", mask_x, "N, D", dims)
    check_shape("mask_h", mask_h, "N, H", dims)
    N, T, _ = x.shape
    h, c = h0, np.zeros_like(h0)
    hs, steps = [], []
    for t in range(T):
        h, c, cache = lstm_step_forward(x[:, t] * mask_x, h * mask_h, c, Wx, Wh, b)  # (N, H) each
        hs.append(h)
        steps.append(cache)
    return np.stack(hs, axis=1), LSTMVariationalCache(steps, mask_x, mask_h)


def lstm_variational_backward(dh: np.ndarray, cache: LSTMVariationalCache) -> tuple[np.ndarray, ...]:
    """Backward of :func:`lstm_variational_forward`. dh: (N, T, H).
    Returns dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,)."""
    steps, mask_x, mask_h = cache
    N, H = mask_h.shape
    T = len(steps)
    check_shape("dh", dh, "N, T, H", {"N": N, "T": T, "H": H})
    dx = np.empty((N, T, mask_x.shape[1]), dtype=dh.dtype)
    dnext_h, dnext_c = np.zeros((N, H), dtype=dh.dtype), np.zeros((N, H), dtype=dh.dtype)
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dxt, dprev_h, dnext_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dnext_h, dnext_c, steps[t])
        dx[:, t] = dxt * mask_x
        dnext_h = dprev_h * mask_h  # the step saw h_{t-1} ⊙ m_h
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dnext_h, dWx, dWh, db
