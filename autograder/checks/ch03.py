"""Checks of chapter 03, backpropagation through time: one step, the whole sequence, truncated BPTT.

Shape letters: N batch, T time, D input, H hidden. Each check builds the cache itself, in the documented
format (step: ``(x, prev_h, Wx, Wh, next_h)``; sequence: ``(x, h0, Wx, Wh, h)``), with plain NumPy, so only
the backward pass under test decides the points.
"""

from __future__ import annotations

import numpy as np

from ..spec import Check
from ._helpers import cases, gradcheck_flags, lin, randn, returns

__all__ = ["CHECKS", "rnn_states"]

REF = "autograder.reference.ch03"
GRADS = ("dx", "dprev_h", "dWx", "dWh", "db")
SEQ_GRADS = ("dx", "dh0", "dWx", "dWh", "db")


def rnn_states(x, h0, Wx, Wh, b):
    """All hidden states h (N, T, H) of h_t = tanh(x_t Wx + h_{t-1} Wh + b)."""
    h, prev = [], h0
    for t in range(x.shape[1]):
        prev = np.tanh(x[:, t] @ Wx + prev @ Wh + b)
        h.append(prev)
    return np.stack(h, axis=1)


def _step_draw(N, D, H, mode="compare", scale=1.0):
    def draw(rng):
        return (mode, randn(rng, N, D), randn(rng, N, H), randn(rng, D, H, scale=scale / np.sqrt(D)),
                randn(rng, H, H, scale=scale / np.sqrt(H)), randn(rng, H, scale=0.1), randn(rng, N, H))
    return draw


def _step_linspace(rng):
    N, D, H = 4, 5, 6
    return ("compare", lin((N, D), -0.1, 0.3), lin((N, H), -0.2, 0.1), lin((D, H), -0.3, 0.7),
            lin((H, H), -0.4, 0.2), lin(H, -0.1, 0.5), lin((N, H), -0.5, 0.5))


def _run_step_backward(ns, inp):
    mode, x, prev_h, Wx, Wh, b, dnext_h = inp
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    grads = returns(ns["rnn_step_backward"](dnext_h, (x, prev_h, Wx, Wh, next_h)), "rnn_step_backward", GRADS)
    if mode == "compare":
        return tuple(grads)
    arrays = (x, prev_h, Wx, Wh, b)
    return (gradcheck_flags(lambda: float(np.sum(np.tanh(x @ Wx + prev_h @ Wh + b) * dnext_h)), arrays, grads),)


RNN_STEP_BACKWARD = Check(
    id="ch03_rnn_step_backward", chapter="ch03", functions=("rnn_step_backward",), reference=REF,
    run=_run_step_backward,
    cases=cases("ch03_rnn_step_backward", _step_linspace, [("gradient check", _step_draw(2, 3, 4, "gradcheck"))],
                [("random N=4 D=6 H=5", _step_draw(4, 6, 5)), ("N=1 D=1 H=2", _step_draw(1, 1, 2)),
                 ("H != D, saturated", _step_draw(3, 7, 2, scale=5.0)),
                 ("gradient check N=3 D=2 H=3", _step_draw(3, 2, 3, "gradcheck"))]),
    forbidden=("rnnbook", "torch"),
    description="dx, dprev_h, dWx, dWh, db of one tanh RNN step",
    outputs=("dx", "dprev_h", "dWx", "dWh", "db"),
)


def _seq_draw(N, T, D, H, mode="compare", k=None, scale=1.0):
    def draw(rng):
        arrays = (randn(rng, N, T, D), randn(rng, N, H, scale=0.5), randn(rng, D, H, scale=scale / np.sqrt(D)),
                  randn(rng, H, H, scale=scale / np.sqrt(H)), randn(rng, H, scale=0.1), randn(rng, N, T, H))
        return (mode, *arrays) if k is None else (mode, *arrays, int(k))
    return draw


def _seq_linspace(rng, k=None):
    N, T, D, H = 2, 4, 3, 5
    arrays = (lin((N, T, D), -0.1, 0.3), lin((N, H), -0.3, 0.1), lin((D, H), -0.2, 0.4), lin((H, H), -0.4, 0.1),
              lin(H, -0.7, 0.1), lin((N, T, H), -0.5, 0.5))
    return ("compare", *arrays) if k is None else ("compare", *arrays, k)


def _run_backward(ns, inp):
    mode, x, h0, Wx, Wh, b, dh = inp
    h = rnn_states(x, h0, Wx, Wh, b)
    grads = returns(ns["rnn_backward"](dh, (x, h0, Wx, Wh, h)), "rnn_backward", SEQ_GRADS)
    if mode == "compare":
        return tuple(grads)
    arrays = (x, h0, Wx, Wh, b)
    return (gradcheck_flags(lambda: float(np.sum(rnn_states(*arrays) * dh)), arrays, grads),)


RNN_BACKWARD = Check(
    id="ch03_rnn_backward", chapter="ch03", functions=("rnn_backward",), reference=REF, run=_run_backward,
    cases=cases("ch03_rnn_backward", _seq_linspace, [("gradient check", _seq_draw(2, 3, 2, 3, "gradcheck"))],
                [("random N=3 T=7 D=4 H=5", _seq_draw(3, 7, 4, 5)), ("T=1", _seq_draw(2, 1, 3, 4)),
                 ("H != D, long", _seq_draw(2, 20, 6, 2, scale=1.5)),
                 ("gradient check N=1 T=4", _seq_draw(1, 4, 3, 2, "gradcheck"))]),
    forbidden=("rnnbook", "torch"),
    description="backpropagation through time: dx, dh0, dWx, dWh, db of a whole sequence",
    outputs=("dx", "dh0", "dWx", "dWh", "db"),
)


def _run_truncated(ns, inp):
    mode, x, h0, Wx, Wh, b, dh, k = inp
    h = rnn_states(x, h0, Wx, Wh, b)
    return returns(ns["rnn_backward_truncated"](dh, (x, h0, Wx, Wh, h), k), "rnn_backward_truncated", SEQ_GRADS)


RNN_BACKWARD_TRUNCATED = Check(
    id="ch03_rnn_backward_truncated", chapter="ch03", functions=("rnn_backward_truncated",), reference=REF,
    run=_run_truncated,
    cases=cases("ch03_rnn_backward_truncated", lambda rng: _seq_linspace(rng, 2),
                [("random T=7 k=3", _seq_draw(2, 7, 3, 4, k=3))],
                [("H != D, T=12 k=5", _seq_draw(2, 12, 7, 3, k=5)), ("k=1", _seq_draw(2, 5, 3, 3, k=1)),
                 ("k >= T (full BPTT)", _seq_draw(2, 4, 2, 3, k=10)), ("T=1", _seq_draw(3, 1, 4, 2, k=2))]),
    forbidden=("rnnbook", "torch"),
    description="truncated BPTT: the recurrent gradient is cut every k steps",
    outputs=("dx", "dh0", "dWx", "dWh", "db"),
)

CHECKS = [RNN_STEP_BACKWARD, RNN_BACKWARD, RNN_BACKWARD_TRUNCATED]
