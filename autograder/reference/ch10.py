"""Reference solutions of chapter 10: the combine operator, rnnbook's sequential linear recurrence, and a
Hillis–Steele scan through the ``combine`` the check passes (so that it makes the calls the check counts)."""

from __future__ import annotations

import numpy as np

from rnnbook.numpy.scan import linear_recurrence_sequential

__all__ = ["combine", "linear_recurrence_sequential", "linear_recurrence_scan"]


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
