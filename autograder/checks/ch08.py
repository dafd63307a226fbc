"""Checks of chapter 08, additive (Bahdanau) attention: forward, backward, and one decoder step.

Shape letters: N batch, S source length, H_dec decoder state size, H_enc encoder state size, A attention
size, E embedding size. Scores e_j = v · tanh(s Wq + h_j Wk + b), weights α = softmax_j(e), context
c = Σ_j α_j h_j (the keys are also the values). The backward check builds its cache itself,
``(query, keys, Wq, Wk, b, v, u, alpha)`` with u = tanh(s Wq + h_j Wk + b) (N, S, A).
"""

from __future__ import annotations

import numpy as np

from ..spec import Check
from ._helpers import cases, gradcheck_flags, lin, randn, returns

__all__ = ["CHECKS", "additive_cache"]

REF = "autograder.reference.ch08"


def additive_cache(query, keys, Wq, Wk, b, v):
    """context, weights and the documented cache of additive attention (plain NumPy)."""
    u = np.tanh((query @ Wq)[:, None, :] + keys @ Wk + b)  # (N, S, A)
    e = u @ v  # (N, S)
    e = e - e.max(axis=1, keepdims=True)
    alpha = np.exp(e) / np.exp(e).sum(axis=1, keepdims=True)
    context = np.einsum("ns,nsh->nh", alpha, keys)
    return context, alpha, (query, keys, Wq, Wk, b, v, u, alpha)


def _draw(N, S, Hd, He, A, mode=None, scale=1.0):
    def draw(rng):
        arrays = (randn(rng, N, Hd), randn(rng, N, S, He), randn(rng, Hd, A, scale=scale / np.sqrt(Hd)),
                  randn(rng, He, A, scale=scale / np.sqrt(He)), randn(rng, A, scale=0.1), randn(rng, A, scale=scale))
        return arrays if mode is None else (mode, *arrays, randn(rng, N, He))
    return draw


def _overflow_draw(N, S, Hd, He, A, peak=1000.0):
    """Scores whose row maximum is about ``peak`` (> 709, where exp overflows), so that a softmax without the
    max subtraction returns NaN: v is rescaled so that the smallest row maximum of e = u v equals ``peak``."""
    base = _draw(N, S, Hd, He, A, scale=3.0)  # saturated u, so that e is nearly linear in v

    def draw(rng):
        while True:
            query, keys, Wq, Wk, b, v = base(rng)
            u = np.tanh((query @ Wq)[:, None, :] + keys @ Wk + b)  # (N, S, A)
            low = float((u @ v).max(axis=1).min())
            if low > 0.1 * np.abs(v).sum():
                return query, keys, Wq, Wk, b, v * (peak / low)
    return draw


def _linspace(rng):
    N, S, Hd, He, A = 2, 4, 3, 5, 6
    return (lin((N, Hd), -0.5, 0.5), lin((N, S, He), -1.0, 1.0), lin((Hd, A), -0.3, 0.4), lin((He, A), -0.6, 0.2),
            lin(A, -0.1, 0.1), lin(A, -1.0, 1.5))


ADDITIVE_FORWARD = Check(
    id="ch08_additive_attention_forward", chapter="ch08", functions=("additive_attention_forward",), reference=REF,
    run=lambda ns, inp: returns(ns["additive_attention_forward"](*inp), "additive_attention_forward",
                                 ("context", "alpha", "cache"))[:2],
    cases=cases("ch08_additive_attention_forward", _linspace,
                [("random N=3 S=5", _draw(3, 5, 4, 3, 6)),
                 ("sharp scores, max e = 1000 (exp overflows)", _overflow_draw(2, 4, 3, 3, 5)),
                 ("sharp scores, max e = 800", _overflow_draw(3, 6, 4, 4, 8, peak=800.0))],
                [("random N=4 S=7", _draw(4, 7, 5, 6, 3)), ("S=1", _draw(2, 1, 3, 4, 5)),
                 ("sharp scores, max e = 5000", _overflow_draw(3, 6, 4, 4, 8, peak=5000.0)),
                 ("N=1, H_dec != H_enc", _draw(1, 9, 2, 7, 4))]),
    forbidden=("rnnbook", "torch"),
    description="context and attention weights of additive attention for one decoder state",
    outputs=("context", "alpha"),
)


def _run_backward(ns, inp):
    mode, query, keys, Wq, Wk, b, v, dcontext = inp
    _, _, cache = additive_cache(query, keys, Wq, Wk, b, v)
    grads = returns(ns["additive_attention_backward"](dcontext, cache), "additive_attention_backward",
                    ("dquery", "dkeys", "dWq", "dWk", "db", "dv"))
    if mode == "compare":
        return tuple(grads)
    arrays = (query, keys, Wq, Wk, b, v)
    return (gradcheck_flags(lambda: float(np.sum(additive_cache(*arrays)[0] * dcontext)), arrays, grads),)


ADDITIVE_BACKWARD = Check(
    id="ch08_additive_attention_backward", chapter="ch08", functions=("additive_attention_backward",),
    reference=REF, run=_run_backward,
    cases=cases("ch08_additive_attention_backward",
                lambda rng: ("compare", *_linspace(rng), lin((2, 5), -0.5, 0.5)),
                [("gradient check", _draw(2, 3, 3, 2, 4, "gradcheck"))],
                [("random N=4 S=7", _draw(4, 7, 5, 6, 3, "compare")), ("S=1", _draw(2, 1, 3, 4, 5, "compare")),
                 ("N=1, H_dec != H_enc", _draw(1, 9, 2, 7, 4, "compare")),
                 ("gradient check S=4", _draw(2, 4, 2, 3, 3, "gradcheck"))]),
    forbidden=("rnnbook", "torch"),
    description="dquery, dkeys, dWq, dWk, db, dv of additive attention",
    outputs=("dquery", "dkeys", "dWq", "dWk", "db", "dv"),
)


def _dec_draw(N, S, E, Hd, He, A):
    def draw(rng):
        return (randn(rng, N, E), randn(rng, N, Hd, scale=0.5), randn(rng, N, S, He),
                randn(rng, Hd, A, scale=1 / np.sqrt(Hd)), randn(rng, He, A, scale=1 / np.sqrt(He)),
                randn(rng, A, scale=0.1), randn(rng, A), randn(rng, E, Hd, scale=1 / np.sqrt(E)),
                randn(rng, He, Hd, scale=1 / np.sqrt(He)), randn(rng, Hd, Hd, scale=1 / np.sqrt(Hd)),
                randn(rng, Hd, scale=0.1))
    return draw


def _dec_linspace(rng):
    N, S, E, Hd, He, A = 2, 3, 4, 3, 5, 2
    return (lin((N, E), -1.0, 1.0), lin((N, Hd), -0.4, 0.4), lin((N, S, He), -0.8, 0.9), lin((Hd, A), -0.3, 0.4),
            lin((He, A), -0.6, 0.2), lin(A, -0.1, 0.1), lin(A, -1.0, 1.5), lin((E, Hd), -0.5, 0.3),
            lin((He, Hd), -0.2, 0.6), lin((Hd, Hd), -0.4, 0.4), lin(Hd, 0.0, 0.2))


DECODER_STEP = Check(
    id="ch08_attention_decoder_step", chapter="ch08", functions=("attention_decoder_step",), reference=REF,
    run=lambda ns, inp: returns(ns["attention_decoder_step"](*inp), "attention_decoder_step",
                                ("s", "context", "alpha")),
    cases=cases("ch08_attention_decoder_step", _dec_linspace, [("random N=3 S=4", _dec_draw(3, 4, 2, 5, 3, 4))],
                [("random N=4 S=6", _dec_draw(4, 6, 3, 4, 6, 5)), ("S=1", _dec_draw(2, 1, 3, 3, 2, 2)),
                 ("N=1, long source", _dec_draw(1, 15, 4, 2, 3, 3)), ("E=1", _dec_draw(5, 3, 1, 4, 4, 4))]),
    forbidden=("rnnbook", "torch"),
    description="one decoder step: attend with s_{t-1}, then s_t = tanh(y Wy + c Wc + s_{t-1} Ws + bs)",
    outputs=("s", "context", "alpha"),
)

CHECKS = [ADDITIVE_FORWARD, ADDITIVE_BACKWARD, DECODER_STEP]
