"""Checks of chapter 04, vanishing and exploding gradients: gradient norms across time, clipping, and the
long-lag experiment with and without clipping.

Shape letters: N batch, T time, D input, H hidden. The long-lag check passes the student's training loop a
``loss_and_grads`` function built here (a tanh RNN that must output its first input after T steps, with
plain-NumPy BPTT), so only the loop and its clipping decide the points; it runs 25 steps in milliseconds.
"""

from __future__ import annotations

import numpy as np

from ..spec import Check
from ._helpers import assert_unchanged, cases, lin, randn, returns, snapshot

__all__ = ["CHECKS", "long_lag_loss_and_grads"]

REF = "autograder.reference.ch04"


def _norms_draw(N, T, H, scale=1.0):
    def draw(rng):
        return (randn(rng, N, H), np.tanh(randn(rng, N, T, H)), randn(rng, H, H, scale=scale / np.sqrt(H)))
    return draw


GRADIENT_NORMS = Check(
    id="ch04_gradient_norms", chapter="ch04", functions=("gradient_norms",), reference=REF,
    run=lambda ns, inp: (np.asarray(ns["gradient_norms"](*inp), dtype=np.float64),),
    cases=cases("ch04_gradient_norms", lambda rng: (lin((2, 3), -1.0, 1.0), np.tanh(lin((2, 5, 3), -2.0, 2.0)),
                                                    lin((3, 3), -0.9, 0.8)),
                [("random N=3 T=6 H=4", _norms_draw(3, 6, 4))],
                [("vanishing, T=30", _norms_draw(2, 30, 5, 0.5)), ("exploding, T=30", _norms_draw(2, 30, 5, 3.0)),
                 ("T=1", _norms_draw(4, 1, 3)), ("N=1 H=1", _norms_draw(1, 8, 1))]),
    forbidden=("rnnbook", "torch"),
    description="the norm of dL/dh_t for every t when the loss reads only h_T",
    outputs=("norms",),
)


def _clip_draw(shapes, max_norm, scale=1.0, zero=False, clipped=False):
    """clipped: rescale the draw so that its norm is at least 2 max_norm, so that clipping always acts (then a
    clip that scales the caller's arrays in place always changes them)."""
    def draw(rng):
        grads = tuple(np.zeros(s) if zero else randn(rng, *s, scale=scale) for s in shapes)
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        if clipped and 0 < norm < 2 * max_norm:
            grads = tuple(g * (2 * max_norm / norm) for g in grads)
        return (grads, float(max_norm))
    return draw


def _run_clip(ns, inp):
    grads, max_norm = inp
    grads = list(grads)
    before = snapshot(grads=grads)
    # the arguments as they were after the call (in the grader they come back from the sandbox)
    (clipped, total), (grads_after, _) = ns.call("clip_grad_norm", grads, max_norm, return_args=True)
    assert_unchanged("clip_grad_norm", before, grads=grads_after)
    clipped = [np.asarray(g, dtype=np.float64) for g in clipped]
    if len(clipped) != len(grads):
        raise AssertionError(f"expected clipped as a list of {len(grads)} arrays (one per gradient), "
                             f"got {len(clipped)}")
    for k, (c, g) in enumerate(zip(clipped, grads)):
        if c.shape != g.shape:
            raise AssertionError(f"clipped[{k}] has shape {c.shape}, expected {g.shape} (the shape of grads[{k}])")
    # one flat array, so that the output has one name whatever the number of gradients
    return (np.concatenate([c.ravel() for c in clipped]), np.float64(total))


CLIP_GRAD_NORM = Check(
    id="ch04_clip_grad_norm", chapter="ch04", functions=("clip_grad_norm",), reference=REF, run=_run_clip,
    cases=cases("ch04_clip_grad_norm", lambda rng: ((lin((2, 3), -1.0, 2.0), lin(3, 0.5, 1.5)), 1.0),
                [("random, clipped", _clip_draw([(3, 4), (4,)], 0.5, clipped=True))],
                [("not clipped (norm below max)", _clip_draw([(2, 2), (5,)], 100.0)),
                 ("many arrays, huge norm", _clip_draw([(3, 3), (3,), (2, 4, 2), (1,)], 1.0, scale=1e6)),
                 ("all zero", _clip_draw([(2, 3)], 1.0, zero=True)),
                 ("one scalar-like array", _clip_draw([(1,)], 0.1, clipped=True))]),
    forbidden=("rnnbook", "torch"),
    outputs=("clipped", "total_norm"),
    description="scale all gradients by min(1, max_norm / (norm + 1e-6)); return them and the norm",
)


def long_lag_loss_and_grads(x, y):
    """``f(params) -> (loss, grads)`` of the long-lag task: a tanh RNN reads x (N, T, 1), its last state
    predicts y = x[:, 0, 0] through (Wy, by); loss = mean squared error / 2. params = [Wx, Wh, b, Wy, by]."""
    N, T, _ = x.shape

    def f(params):
        Wx, Wh, b, Wy, by = params
        hs = [np.zeros((N, Wh.shape[0]))]
        for t in range(T):
            hs.append(np.tanh(x[:, t] @ Wx + hs[-1] @ Wh + b))
        p = hs[-1] @ Wy + by  # (N, 1)
        err = p[:, 0] - y
        loss = 0.5 * float(np.mean(err ** 2))
        dp = (err / N)[:, None]  # (N, 1)
        dWy, dby = hs[-1].T @ dp, dp.sum(axis=0)
        dh = dp @ Wy.T
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
        for t in reversed(range(T)):
            da = dh * (1 - hs[t + 1] ** 2)
            dWx += x[:, t].T @ da
            dWh += hs[t].T @ da
            db += da.sum(axis=0)
            dh = da @ Wh.T
        return loss, [dWx, dWh, db, dWy, dby]
    return f


def _lag_draw(N, T, H, steps, lr, max_norm, wh_scale=1.0):
    def draw(rng):
        x = rng.choice([-1.0, 1.0], size=(N, T, 1)) * rng.uniform(0.5, 1.0, size=(N, T, 1))
        params = (randn(rng, 1, H), randn(rng, H, H, scale=wh_scale / np.sqrt(H)), randn(rng, H, scale=0.1),
                  randn(rng, H, 1, scale=1 / np.sqrt(H)), np.zeros(1))
        return (x, params, float(lr), int(steps), -1.0 if max_norm is None else float(max_norm))  # -1: None
    return draw


def _run_lag(ns, inp):
    x, params, lr, steps, max_norm = inp
    f = long_lag_loss_and_grads(x, x[:, 0, 0].copy())
    clip = None if max_norm < 0 else max_norm
    losses, final = returns(ns["train_long_lag"](f, [p.copy() for p in params], lr, steps, clip), "train_long_lag",
                            ("losses", "params"))
    return (np.asarray(losses, dtype=np.float64), *[np.asarray(p) for p in final])


TRAIN_LONG_LAG = Check(
    id="ch04_train_long_lag", chapter="ch04", functions=("train_long_lag",), reference=REF, run=_run_lag,
    cases=cases("ch04_train_long_lag", None,
                # Training must not be chaotic: the grader's and the worker's BLAS may round differently
                # (1e-16), and with larger steps or recurrent weights that grew to 0.09 in the losses.
                # tests/exercises/test_student_bugs.py checks that 1e-14 perturbations stay far below rtol.
                [("clipped, T=8", _lag_draw(8, 8, 4, 10, 0.2, 0.2)),
                 ("not clipped, T=8", _lag_draw(8, 8, 4, 10, 0.05, None))],
                [("clipped, T=20", _lag_draw(16, 20, 6, 10, 0.3, 0.2)),
                 ("not clipped, T=20", _lag_draw(16, 20, 6, 10, 0.05, None)),
                 ("clipping never active", _lag_draw(8, 5, 3, 10, 0.1, 1e6)),
                 ("one step", _lag_draw(4, 12, 5, 1, 0.3, 0.1))]),
    forbidden=("rnnbook", "torch"),
    outputs=("losses", "Wx", "Wh", "b", "Wy", "by"),
    description="plain gradient descent on the long-lag task, with optional clipping; losses and parameters",
)

CHECKS = [GRADIENT_NORMS, CLIP_GRAD_NORM, TRAIN_LONG_LAG]
