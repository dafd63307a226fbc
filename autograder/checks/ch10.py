"""Checks of chapter 10, linear recurrences: the combine operator, the sequential loop, the parallel scan.

Shape letters: N batch, T time, H hidden. The recurrence is elementwise, h_t = a_t ⊙ h_{t-1} + b_t, and
the pair (a, b) stands for the map h ↦ a h + b; the scan is compared with the sequential reference.
"""

from __future__ import annotations

import numpy as np

from ..spec import Check
from ._helpers import cases, lin, randn

__all__ = ["CHECKS"]

REF = "autograder.reference.ch10"


def _combine_draw(shape):
    return lambda rng: tuple(randn(rng, *shape) for _ in range(4))


COMBINE = Check(
    id="ch10_combine", chapter="ch10", functions=("combine",), reference=REF,
    run=lambda ns, inp: tuple(ns["combine"](*inp)),
    cases=cases("ch10_combine", lambda rng: (lin(3, -1.0, 1.0), lin(3, 0.0, 2.0), lin(3, 0.5, -0.5), lin(3, 1.0, 3.0)),
                [("random (2, 4)", _combine_draw((2, 4)))],
                [("random (3, 5, 2)", _combine_draw((3, 5, 2))), ("scalars as (1,)", _combine_draw((1,))),
                 ("random (6,)", _combine_draw((6,))), ("random (2, 2)", _combine_draw((2, 2)))]),
    forbidden=("rnnbook", "torch"),
    description="compose two affine maps: first (a1, b1), then (a2, b2)",
)


def _rec_draw(N, T, H, amax=1.0, zero_h0=False):
    def draw(rng):
        a = rng.uniform(-amax, amax, size=(N, T, H))
        return (a, randn(rng, N, T, H), np.zeros((N, H)) if zero_h0 else randn(rng, N, H))
    return draw


def _rec_linspace(rng):
    return (lin((2, 5, 3), -0.9, 0.9), lin((2, 5, 3), 1.0, -1.0), lin((2, 3), -0.5, 0.5))


def _rec_check(cid, fn, description, long_T):
    return Check(
        id=cid, chapter="ch10", functions=(fn,), reference=REF,
        run=lambda ns, inp: (ns[fn](*inp),),
        cases=cases(cid, _rec_linspace, [("random N=2 T=7 H=3", _rec_draw(2, 7, 3))],
                    [("T=1", _rec_draw(3, 1, 4)), ("T a power of two, zero h0", _rec_draw(2, 16, 2, zero_h0=True)),
                     (f"long T={long_T}, |a| up to 1.1", _rec_draw(1, long_T, 3, amax=1.1)),
                     ("N=4 T=13 H=1", _rec_draw(4, 13, 1))]),
        forbidden=("rnnbook", "torch", "scipy"),
        description=description,
    )


SEQUENTIAL = _rec_check("ch10_linear_recurrence_sequential", "linear_recurrence_sequential",
                        "h_t = a_t h_{t-1} + b_t by a loop over time", 50)
SCAN = _rec_check("ch10_linear_recurrence_scan", "linear_recurrence_scan",
                  "the same h by a parallel (Hillis–Steele) scan of the combine operator", 77)

CHECKS = [COMBINE, SEQUENTIAL, SCAN]
