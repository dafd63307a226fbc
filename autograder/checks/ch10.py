"""Checks of chapter 10, linear recurrences: the combine operator, the sequential loop, the parallel scan, and
minGRU in its sequential and parallel forms.

Shape letters: N batch, T time, H hidden. The recurrence is elementwise, h_t = a_t ⊙ h_{t-1} + b_t, and
the pair (a, b) stands for the map h ↦ a h + b; the scan is compared with the sequential reference. The scan
receives the composition as an argument ``combine``: the check passes an exact one that counts its calls, which
is how "no loop over time" is enforced (at most 2⌈log2 T⌉ + 1 calls; a loop makes T − 1). The minGRU's
parallel form likewise receives ``scan(a, b, h0)``: the check passes an exact one, and requires one call with
every step's (N, T, H) gates and the scan's result returned as it is.
"""

from __future__ import annotations

import numpy as np

from ..spec import Check
from ._helpers import cases, lin, randn, returns

__all__ = ["CHECKS"]

REF = "autograder.reference.ch10"


def _combine_draw(shape):
    return lambda rng: tuple(randn(rng, *shape) for _ in range(4))


COMBINE = Check(
    id="ch10_combine", chapter="ch10", functions=("combine",), reference=REF,
    run=lambda ns, inp: returns(ns["combine"](*inp), "combine", ("a", "b")),
    cases=cases("ch10_combine", lambda rng: (lin(3, -1.0, 1.0), lin(3, 0.0, 2.0), lin(3, 0.5, -0.5), lin(3, 1.0, 3.0)),
                [("random (2, 4)", _combine_draw((2, 4)))],
                [("random (3, 5, 2)", _combine_draw((3, 5, 2))), ("scalars as (1,)", _combine_draw((1,))),
                 ("random (6,)", _combine_draw((6,))), ("random (2, 2)", _combine_draw((2, 2)))]),
    forbidden=("rnnbook", "torch"),
    description="compose two affine maps: first (a1, b1), then (a2, b2)",
    outputs=("a", "b"),
)


def _rec_draw(N, T, H, amax=1.0, zero_h0=False):
    def draw(rng):
        a = rng.uniform(-amax, amax, size=(N, T, H))
        return (a, randn(rng, N, T, H), np.zeros((N, H)) if zero_h0 else randn(rng, N, H))
    return draw


def _rec_linspace(rng):
    return (lin((2, 5, 3), -0.9, 0.9), lin((2, 5, 3), 1.0, -1.0), lin((2, 3), -0.5, 0.5))


def _rounds(T: int) -> int:
    """⌈log2 T⌉, the rounds of a Hillis–Steele scan over T steps."""
    return max(0, int(T - 1).bit_length())


def max_combine_calls(T: int) -> int:
    """The most calls of ``combine`` the scan may make: two per round (a work-efficient, Blelloch-style scan
    sweeps up and down) and one to fold h0 in; a loop over time makes T - 1, more than that for T >= 11."""
    return 2 * _rounds(T) + 1


def _exact_combine(a1, b1, a2, b2):
    return a1 * a2, a2 * b1 + b2


def _run_sequential(ns, inp):
    return (ns["linear_recurrence_sequential"](*inp),)


def _run_scan(ns, inp):
    a, b, h0 = inp
    T = a.shape[1]
    calls = [0]

    def combine(a1, b1, a2, b2):  # the grader's combine: exact, and it counts
        calls[0] += 1
        return _exact_combine(np.asarray(a1), np.asarray(b1), np.asarray(a2), np.asarray(b2))

    h = ns["linear_recurrence_scan"](a, b, h0, combine)
    limit = max_combine_calls(T)
    if calls[0] > limit:
        raise AssertionError(f"linear_recurrence_scan called combine {calls[0]} times for T = {T}; a parallel scan "
                             f"makes at most {limit} calls (2 in each of its ceil(log2 T) = {_rounds(T)} rounds, and one "
                             f"for h0): no loop over time")
    if T > 1 and calls[0] == 0:
        raise AssertionError("linear_recurrence_scan never called combine: compose the steps with the combine "
                             "it is given (one call per round, on all time steps at once)")
    return (h,)


def _rec_check(cid, fn, description, long_T, run, more_visible=()):
    visible = [("random N=2 T=7 H=3", _rec_draw(2, 7, 3)), *more_visible]
    return Check(
        id=cid, chapter="ch10", functions=(fn,), reference=REF,
        run=run,
        cases=cases(cid, _rec_linspace, visible,
                    [("T=1", _rec_draw(3, 1, 4)), ("T a power of two, zero h0", _rec_draw(2, 16, 2, zero_h0=True)),
                     (f"long T={long_T}, |a| up to 1.1", _rec_draw(1, long_T, 3, amax=1.1)),
                     ("N=4 T=13 H=1", _rec_draw(4, 13, 1))]),
        forbidden=("rnnbook", "torch", "scipy"),
        description=description,
        outputs=("h",),
    )


SEQUENTIAL = _rec_check("ch10_linear_recurrence_sequential", "linear_recurrence_sequential",
                        "h_t = a_t h_{t-1} + b_t by a loop over time", 50, _run_sequential)
SCAN = _rec_check("ch10_linear_recurrence_scan", "linear_recurrence_scan",
                  "the same h by a parallel (Hillis–Steele) scan, at most 2 ceil(log2 T) + 1 calls of combine", 77,
                  _run_scan, [("T=64: at most 13 calls of combine", _rec_draw(2, 64, 3, amax=0.9)),
                              ("T=100 N=1: at most 15 calls of combine", _rec_draw(1, 100, 2, amax=1.0))])



# ---------------------------------------------------------------------------------------------- minGRU
def exact_scan(a, b, h0):
    """h_t = a_t h_{t-1} + b_t (a, b: (N, T, H); h0: (N, H)) by a loop: the scan the minGRU check passes."""
    a, b, prev = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), np.asarray(h0, dtype=np.float64)
    h = np.empty_like(b)
    for t in range(a.shape[1]):
        prev = a[:, t] * prev + b[:, t]
        h[:, t] = prev
    return h


def run_min_gru(ns, inp):
    """Both forms on one case: (h_sequential, h_parallel); the parallel one through a counted exact scan."""
    x, h0, Wz, bz, Wh, bh = inp
    h_seq = ns["min_gru_sequential"](x, h0, Wz, bz, Wh, bh)
    want, calls = (x.shape[0], x.shape[1], Wz.shape[1]), []

    def scan(a, b, h0_):  # the grader's scan: exact, and it records its calls
        if np.shape(a) != want or np.shape(b) != want or np.shape(h0_) != h0.shape:
            raise AssertionError(f"min_gru_parallel called scan with a {np.shape(a)}, b {np.shape(b)}, h0 "
                                 f"{np.shape(h0_)}; expected a and b of shape {want} (every time step at "
                                 f"once) and h0 of shape {h0.shape}")
        calls.append(exact_scan(a, b, h0_))
        return calls[-1].copy()
    h_par = ns["min_gru_parallel"](x, h0, Wz, bz, Wh, bh, scan)
    if len(calls) != 1:
        raise AssertionError(f"min_gru_parallel called scan {len(calls)} times; compute the gates of all T steps "
                             f"at once and call scan once, with no loop over time")
    if not np.array_equal(np.asarray(h_par, dtype=np.float64), calls[0]):
        raise AssertionError("min_gru_parallel should return what scan returned (h of every step), unchanged")
    return (h_seq, h_par)


def _mg_draw(N, T, D, H, zero_h0=False, scale=1.0):
    def draw(rng):
        h0 = np.zeros((N, H)) if zero_h0 else randn(rng, N, H)
        return (randn(rng, N, T, D), h0, randn(rng, D, H, scale=scale / np.sqrt(D)), randn(rng, H, scale=0.3),
                randn(rng, D, H, scale=1 / np.sqrt(D)), randn(rng, H, scale=0.3))
    return draw


def _mg_linspace(rng):
    return (lin((2, 4, 3), -1.0, 1.0), lin((2, 2), -0.5, 0.5), lin((3, 2), -1.0, 1.0), lin(2, -0.2, 0.2),
            lin((3, 2), 0.5, -0.5), lin(2, 0.1, -0.1))


MIN_GRU = Check(
    id="ch10_min_gru", chapter="ch10", functions=("min_gru_sequential", "min_gru_parallel"), reference=REF,
    run=run_min_gru,
    cases=cases("ch10_min_gru", _mg_linspace, [("random N=2 T=6 D=3 H=4", _mg_draw(2, 6, 3, 4))],
                [("T=1", _mg_draw(3, 1, 2, 3)), ("zero h0, N=1, H=5 D=2", _mg_draw(1, 9, 2, 5, zero_h0=True)),
                 ("long T=40", _mg_draw(2, 40, 3, 2)),
                 ("saturated gates (pre-activations up to about 40)", _mg_draw(2, 7, 4, 3, scale=15.0))]),
    forbidden=("rnnbook", "torch", "scipy"),
    description="minGRU by a loop over time and by gates for all steps then one scan; both equal the reference",
    outputs=("h_sequential", "h_parallel"),
)

CHECKS = [COMBINE, SEQUENTIAL, SCAN, MIN_GRU]
