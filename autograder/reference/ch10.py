"""Reference solutions of chapter 10: the combine operator, rnnbook's sequential linear recurrence, a
Hillis–Steele scan through the ``combine`` the check passes (so that it makes the calls the check counts), and
rnnbook's minGRU in its two forms: a loop over time, and gates for all steps then one call of the ``scan`` the
check passes."""

from __future__ import annotations

import numpy as np

from rnnbook.numpy.scan import linear_recurrence_sequential

__all__ = ["combine", "linear_recurrence_sequential", "linear_recurrence_scan", "min_gru_sequential",
           "min_gru_parallel"]


def combine(a1, b1, a2, b2):
    """(a1, b1) then (a2, b2): h ↦ a2 (a1 h + b1) + b2 = (a1 a2) h + (a2 b1 + b2)."""
    return a1 * a2, a2 * b1 + b2


def linear_recurrence_scan(a, b, h0, combine=combine):
    """h_t = a_t h_{t-1} + b_t (a, b: (N, T, H); h0: (N, H)) in ⌈log2 T⌉ rounds, one ``combine`` call each.
    tests/exercises checks that it equals rnnbook's sequential loop up to rounding."""
    A, B = np.array(a, dtype=np.float64), np.array(b, dtype=np.float64)
    B[:, 0] = B[:, 0] + A[:, 0] * h0  # fold h0 into the first step
    d = 1
    while d < A.shape[1]:
        A_new, B_new = A.copy(), B.copy()
        A_new[:, d:], B_new[:, d:] = combine(A[:, :-d], B[:, :-d], A[:, d:], B[:, d:])  # earlier map first
        A, B, d = A_new, B_new, 2 * d
    return B


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def min_gru_sequential(x, h0, Wz, bz, Wh, bh):
    """minGRU by a loop over time (x: (N, T, D); h0: (N, H); Wz, Wh: (D, H); bz, bh: (H,)): h (N, T, H).
    rnnbook's :func:`min_gru_forward` (a scan) is the same function; tests/numpy/test_mingru.py checks that."""
    z = _sigmoid(x @ Wz + bz)  # (N, T, H)
    return linear_recurrence_sequential(1.0 - z, z * (x @ Wh + bh), h0)


def min_gru_parallel(x, h0, Wz, bz, Wh, bh, scan):
    """minGRU with the gates of every step at once and one call of ``scan(a, b, h0)``: rnnbook's scan form."""
    z = _sigmoid(x @ Wz + bz)
    return scan(1.0 - z, z * (x @ Wh + bh), h0)
