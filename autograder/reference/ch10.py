"""Reference solutions of chapter 10: the combine operator and rnnbook's sequential linear recurrence."""

from __future__ import annotations

from rnnbook.numpy.scan import linear_recurrence_sequential

__all__ = ["combine", "linear_recurrence_sequential", "linear_recurrence_scan"]


def combine(a1, b1, a2, b2):
    """(a1, b1) then (a2, b2): h ↦ a2 (a1 h + b1) + b2 = (a1 a2) h + (a2 b1 + b2)."""
    return a1 * a2, a2 * b1 + b2


# The scan must equal the sequential loop (up to rounding): the loop is the reference for both.
linear_recurrence_scan = linear_recurrence_sequential
