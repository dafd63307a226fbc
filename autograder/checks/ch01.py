"""Checks of chapter 01, feedforward building blocks: affine, tanh, softmax cross-entropy, gradient check.

Shape letters: N batch, D input, M output, C classes. Backward checks build their cache themselves in the
documented format (affine: ``(x, w, b)``; tanh: ``out``), so a mistake in a forward costs points only there.
The gradient-check exercise runs the student's ``numerical_gradient`` on a two-layer network's loss.
"""

from __future__ import annotations

import numpy as np

from ..spec import Callback, Check
from ._helpers import cases, gradcheck_flags, lin, randn, returns

__all__ = ["CHECKS", "two_layer_loss"]

REF = "autograder.reference.ch01"
RESTORE_RTOL, RESTORE_ATOL = 1e-12, 1e-15  # how exactly numerical_gradient must restore x (the text says so)


def _affine_draw(N, D, M, mode=None):
    def draw(rng):
        arrays = (randn(rng, N, D), randn(rng, D, M, scale=1 / np.sqrt(D)), randn(rng, M, scale=0.5))
        return arrays if mode is None else (mode, *arrays, randn(rng, N, M))
    return draw


def _affine_linspace(rng):
    return (lin((2, 4), -0.1, 0.5), lin((4, 3), -0.2, 0.3), lin(3, -0.3, 0.1))


AFFINE_FORWARD = Check(
    id="ch01_affine_forward", chapter="ch01", functions=("affine_forward",), reference=REF,
    run=lambda ns, inp: returns(ns["affine_forward"](*inp), "affine_forward", ("out", "cache"))[:1],
    cases=cases("ch01_affine_forward", _affine_linspace, [("random N=3 D=5 M=2", _affine_draw(3, 5, 2))],
                [("random N=6 D=4 M=7", _affine_draw(6, 4, 7)), ("N=1", _affine_draw(1, 3, 2)),
                 ("D=1", _affine_draw(4, 1, 3)), ("M=1", _affine_draw(5, 6, 1))]),
    forbidden=("rnnbook", "torch"),
    description="out = x w + b",
    outputs=("out",),
)


def _run_affine_backward(ns, inp):
    mode, x, w, b, dout = inp
    dx, dw, db = returns(ns["affine_backward"](dout, (x, w, b)), "affine_backward", ("dx", "dw", "db"))
    if mode == "compare":
        return dx, dw, db
    return (gradcheck_flags(lambda: float(np.sum((x @ w + b) * dout)), (x, w, b), (dx, dw, db)),)


AFFINE_BACKWARD = Check(
    id="ch01_affine_backward", chapter="ch01", functions=("affine_backward",), reference=REF,
    run=_run_affine_backward,
    cases=cases("ch01_affine_backward",
                lambda rng: ("compare", *_affine_linspace(rng), lin((2, 3), -0.5, 0.5)),
                [("gradient check", _affine_draw(3, 4, 2, "gradcheck"))],
                [("random N=6 D=4 M=7", _affine_draw(6, 4, 7, "compare")), ("N=1", _affine_draw(1, 3, 2, "compare")),
                 ("M=1", _affine_draw(5, 6, 1, "compare")),
                 ("gradient check D=1", _affine_draw(2, 1, 3, "gradcheck"))]),
    forbidden=("rnnbook", "torch"),
    description="dx, dw, db of the affine layer",
    outputs=("dx", "dw", "db"),
)


def _tanh_draw(shape, scale=1.0):
    return lambda rng: (randn(rng, *shape, scale=scale),)


TANH_FORWARD = Check(
    id="ch01_tanh_forward", chapter="ch01", functions=("tanh_forward",), reference=REF,
    run=lambda ns, inp: returns(ns["tanh_forward"](*inp), "tanh_forward", ("out", "cache"))[:1],
    cases=cases("ch01_tanh_forward", lambda rng: (lin((2, 5), -3.0, 3.0),), [("random (3, 4)", _tanh_draw((3, 4)))],
                [("random (5, 2, 3)", _tanh_draw((5, 2, 3))), ("saturated |x| ~ 1000", _tanh_draw((4, 4), 800.0)),
                 ("one element", _tanh_draw((1, 1))), ("small |x|", _tanh_draw((6,), 1e-4))]),
    forbidden=("rnnbook", "torch"),
    description="out = tanh(x), any shape",
    outputs=("out",),
)


def _tanh_back_draw(shape, scale=1.0, mode="compare"):
    return lambda rng: (mode, randn(rng, *shape, scale=scale), randn(rng, *shape))


def _run_tanh_backward(ns, inp):
    mode, x, dout = inp
    dx = ns["tanh_backward"](dout, np.tanh(x))
    if mode == "compare":
        return (dx,)
    return (gradcheck_flags(lambda: float(np.sum(np.tanh(x) * dout)), (x,), (dx,)),)


TANH_BACKWARD = Check(
    id="ch01_tanh_backward", chapter="ch01", functions=("tanh_backward",), reference=REF,
    run=_run_tanh_backward,
    cases=cases("ch01_tanh_backward", lambda rng: ("compare", lin((2, 5), -3.0, 3.0), lin((2, 5), 1.0, -1.0)),
                [("gradient check", _tanh_back_draw((3, 4), mode="gradcheck"))],
                [("random (5, 2, 3)", _tanh_back_draw((5, 2, 3))), ("saturated", _tanh_back_draw((4, 4), 50.0)),
                 ("one element", _tanh_back_draw((1, 1))),
                 ("gradient check (6,)", _tanh_back_draw((6,), 2.0, "gradcheck"))]),
    forbidden=("rnnbook", "torch"),
    description="dx = dout (1 - out^2), from the cache out = tanh(x)",
    outputs=("dx",),
)


def _soft_draw(N, C, scale=1.0, offset=0.0):
    return lambda rng: (randn(rng, N, C, scale=scale) + offset, rng.integers(0, C, size=N))


SOFTMAX_LOSS = Check(
    id="ch01_softmax_loss", chapter="ch01", functions=("softmax_loss",), reference=REF,
    run=lambda ns, inp: returns(ns["softmax_loss"](*inp), "softmax_loss", ("loss", "dx")),
    cases=cases("ch01_softmax_loss", lambda rng: (lin((3, 4), -1.0, 2.0), np.array([0, 3, 1])),
                # scores in the hundreds: np.exp overflows (or, near -1000, underflows to 0/0) without the shift
                [("random N=5 C=3", _soft_draw(5, 3)), ("large scores (exp overflows)", _soft_draw(4, 5, 100.0, offset=800.0)),
                 ("scores near -1000", _soft_draw(3, 4, 20.0, offset=-1000.0))],
                [("random N=8 C=10", _soft_draw(8, 10)), ("N=1", _soft_draw(1, 4)),
                 ("scores near +1000", _soft_draw(6, 5, 50.0, offset=1000.0)), ("C=2", _soft_draw(7, 2))]),
    forbidden=("rnnbook", "torch", "scipy"),
    description="mean cross-entropy of softmax(x) and its gradient dx",
    outputs=("loss", "dx"),
)


def two_layer_loss(X, y, W1, b1, W2, b2):
    """Mean softmax cross-entropy of the network affine → tanh → affine (plain NumPy)."""
    s = np.tanh(X @ W1 + b1) @ W2 + b2  # (N, C)
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def _net_draw(N, D, Hd, C, which, h=1e-5):
    def draw(rng):
        return (randn(rng, N, D), rng.integers(0, C, size=N), randn(rng, D, Hd, scale=1 / np.sqrt(D)),
                randn(rng, Hd, scale=0.1), randn(rng, Hd, C, scale=1 / np.sqrt(Hd)), randn(rng, C, scale=0.1),
                int(which), float(h))
    return draw


def _net_linspace(rng):
    return (lin((3, 4), -1.0, 1.0), np.array([0, 2, 1]), lin((4, 5), -0.5, 0.5), lin(5, -0.1, 0.1),
            lin((5, 3), -0.6, 0.4), lin(3, 0.0, 0.2), 2, 1e-5)


def _run_numgrad(ns, inp):
    *arrays, which, h = inp
    arrays = [np.array(a, dtype=np.float64) if k != 1 else a for k, a in enumerate(arrays)]
    target = arrays[2 + which]  # W1, b1, W2 or b2
    before = target.copy()
    # f() reads target, which the student perturbs in place: in the grader, the Callback's sync copies the
    # student's x (argument 1) into target before each call of f; the arguments come back after the call
    f = Callback(lambda: two_layer_loss(*arrays), sync={1: target})
    grad, (_, x_after, _) = ns.call("numerical_gradient", f, target, h, return_args=True)
    # restoring by adding h back is off by a rounding error only: the exercise allows RESTORE_RTOL
    if not np.allclose(x_after, before, rtol=RESTORE_RTOL, atol=RESTORE_ATOL):
        raise AssertionError("numerical_gradient left x changed: restore each entry after perturbing it")
    return (np.asarray(grad),)


NUMERICAL_GRADIENT = Check(
    id="ch01_numerical_gradient", chapter="ch01", functions=("numerical_gradient",), reference=REF,
    run=_run_numgrad,
    # The cases with a large step (h >= 0.1): there the centred difference differs from one with h = 1e-5 by
    # 50 to 900 times the tolerance (over 300 draws each), so a function that ignores h cannot pass.
    cases=cases("ch01_numerical_gradient", _net_linspace,
                [("random, dW1", _net_draw(4, 3, 5, 3, 0)), ("large step h=0.1, dW1", _net_draw(4, 3, 5, 3, 0, h=0.1)),
                 ("large step h=0.3, db1", _net_draw(3, 4, 3, 2, 1, h=0.3))],
                [("random, db1", _net_draw(5, 4, 3, 4, 1)), ("h=0.2, dW2", _net_draw(6, 2, 4, 3, 2, h=0.2)),
                 ("N=1, db2", _net_draw(1, 3, 2, 5, 3)), ("h=0.3, dW1", _net_draw(3, 2, 3, 2, 0, h=0.3))]),
    rtol=1e-5, atol=1e-8,
    forbidden=("rnnbook", "torch"),
    description="centred differences of a two-layer network's loss (a gradient check)",
    outputs=("grad",),
)

CHECKS = [AFFINE_FORWARD, AFFINE_BACKWARD, TANH_FORWARD, TANH_BACKWARD, SOFTMAX_LOSS, NUMERICAL_GRADIENT]
