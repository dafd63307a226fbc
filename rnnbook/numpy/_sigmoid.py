"""A private logistic sigmoid for the recurrent cells (LSTM, GRU): accurate, warning-free, in place.

    σ(x) = 1 / (1 + e^{-x})

computed as written, in four in-place ufunc calls (the cells call it 2·T times per sequence, so it must be cheap).
For x < -88.7 (float32) or x < -709.8 (float64) e^{-x} overflows to +inf, and IEEE arithmetic gives 1 / (1 + inf) = 0
exactly; the true value is then below the smallest normal number of the dtype, so nothing representable as a
normal number is lost. That overflow (and the underflow of e^{-x} to 0 for large x, which gives exactly 1) is
expected, so it is silenced here, whatever the caller's ``np.errstate``: no warning for any finite x,
|x| = 1e4 included. Elsewhere each step rounds once, so the relative error stays at a
few ulp even where σ(x) is tiny (unlike ``0.5 + 0.5 tanh(x / 2)``, which loses the relative accuracy of small
gate values to cancellation). The limits 0 and 1 are reached exactly, and float32 stays float32.
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []  # private: the public sigmoid is rnnbook.numpy.activations.sigmoid


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(x) elementwise. x: floating array of any shape; out: optional array of the same shape (may be x)."""
    with np.errstate(over="ignore", under="ignore"):
        out = np.negative(x, out=out)
        np.exp(out, out=out)  # e^{-x}, +inf where σ(x) is below the smallest normal number
    out += 1
    return np.reciprocal(out, out=out)
