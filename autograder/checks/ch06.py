"""Checks of chapter 06, the GRU (PyTorch's variant): one step forward and backward.

Shape letters: N batch, D input, H hidden. Gates stacked (r, z, n) along the 3H axis, as torch.nn.GRU.
The backward check builds its cache itself, ``(x, prev_h, Wx, Wh, bx, bh, r, z, n, hn)``, in plain NumPy.
"""

from __future__ import annotations

import numpy as np

from ..spec import Check
from ._helpers import cases, gradcheck_flags, lin, randn, returns

__all__ = ["CHECKS", "gru_cache"]

REF = "autograder.reference.ch06"


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def gru_cache(x, prev_h, Wx, Wh, bx, bh):
    """next_h and the documented cache of one GRU step (PyTorch's variant)."""
    H = prev_h.shape[1]
    ax = x @ Wx + bx  # (N, 3H)
    ah = prev_h @ Wh + bh  # (N, 3H)
    r = _sigmoid(ax[:, :H] + ah[:, :H])
    z = _sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])
    hn = ah[:, 2 * H:]
    n = np.tanh(ax[:, 2 * H:] + r * hn)
    next_h = (1 - z) * n + z * prev_h
    return next_h, (x, prev_h, Wx, Wh, bx, bh, r, z, n, hn)


def _draw(N, D, H, mode=None, scale=1.0):
    def draw(rng):
        arrays = (randn(rng, N, D), randn(rng, N, H), randn(rng, D, 3 * H, scale=scale / np.sqrt(D)),
                  randn(rng, H, 3 * H, scale=scale / np.sqrt(H)), randn(rng, 3 * H, scale=0.3),
                  randn(rng, 3 * H, scale=0.3))
        return arrays if mode is None else (mode, *arrays, randn(rng, N, H))
    return draw


def _linspace(rng):
    N, D, H = 3, 4, 5
    return (lin((N, D), -0.4, 1.2), lin((N, H), -0.3, 0.7), lin((D, 3 * H), -2.1, 1.3), lin((H, 3 * H), -0.7, 2.2),
            lin(3 * H, 0.3, 0.7), lin(3 * H, -0.2, 0.4))


GRU_STEP_FORWARD = Check(
    id="ch06_gru_step_forward", chapter="ch06", functions=("gru_step_forward",), reference=REF,
    run=lambda ns, inp: returns(ns["gru_step_forward"](*inp), "gru_step_forward", ("next_h", "cache"))[:1],
    cases=cases("ch06_gru_step_forward", _linspace, [("random N=2 D=3 H=4", _draw(2, 3, 4))],
                [("random N=4 D=5 H=6", _draw(4, 5, 6)), ("N=1 D=1 H=2", _draw(1, 1, 2)),
                 ("H != D, saturated gates", _draw(3, 7, 2, scale=60.0)), ("D=H=3", _draw(5, 3, 3))]),
    forbidden=("rnnbook", "torch"),
    description="one GRU step as torch.nn.GRU: r, z, n = tanh(x W_n + b_xn + r (h W_hn + b_hn))",
    outputs=("next_h",),
)


def _run_backward(ns, inp):
    mode, x, prev_h, Wx, Wh, bx, bh, dnext_h = inp
    _, cache = gru_cache(x, prev_h, Wx, Wh, bx, bh)
    grads = returns(ns["gru_step_backward"](dnext_h, cache), "gru_step_backward",
                    ("dx", "dprev_h", "dWx", "dWh", "dbx", "dbh"))
    if mode == "compare":
        return tuple(grads)
    arrays = (x, prev_h, Wx, Wh, bx, bh)
    return (gradcheck_flags(lambda: float(np.sum(gru_cache(*arrays)[0] * dnext_h)), arrays, grads),)


GRU_STEP_BACKWARD = Check(
    id="ch06_gru_step_backward", chapter="ch06", functions=("gru_step_backward",), reference=REF,
    run=_run_backward,
    cases=cases("ch06_gru_step_backward", lambda rng: ("compare", *_linspace(rng), lin((3, 5), -0.5, 0.5)),
                [("gradient check", _draw(2, 3, 4, "gradcheck"))],
                [("random N=4 D=5 H=6", _draw(4, 5, 6, "compare")), ("N=1 D=1 H=2", _draw(1, 1, 2, "compare")),
                 ("H != D", _draw(3, 7, 2, "compare")), ("gradient check N=3 D=2 H=3", _draw(3, 2, 3, "gradcheck"))]),
    forbidden=("rnnbook", "torch"),
    description="gradients of one GRU step: dx, dprev_h, dWx, dWh, dbx, dbh",
    outputs=("dx", "dprev_h", "dWx", "dWh", "dbx", "dbh"),
)

CHECKS = [GRU_STEP_FORWARD, GRU_STEP_BACKWARD]
