"""Checks of chapter 09, attention for transformers: scaled dot-product attention with masks, the padding
and causal masks themselves, multi-head attention, and layer normalisation forward and backward.

Shape letters: N batch, T query positions, S key positions, d_k key size, d_v value size, E model size,
h heads. Masks are boolean with True = attend (torch's ``attn_mask`` convention for booleans); every case
leaves each query at least one key. The layer-norm backward check builds its cache itself,
``(xhat, rstd, gamma)`` with xhat = (x - μ) · rstd (..., E) and rstd = 1 / sqrt(σ² + ε) (..., 1).
"""

from __future__ import annotations

import numpy as np

from ..spec import Check
from ._helpers import cases, gradcheck_flags, lin, randn

__all__ = ["CHECKS", "layer_norm_cache"]

REF = "autograder.reference.ch09"


def _mask(rng, N, T, S, kind):
    if kind is None:
        return np.zeros(0, dtype=bool)  # no mask (inputs stay plain arrays; run passes None)
    lengths = rng.integers(1, S + 1, size=N)
    m = np.arange(S)[None, None, :] < lengths[:, None, None]  # (N, 1, S) padding
    m = np.broadcast_to(m, (N, T, S)).copy()
    if kind == "causal+padding":
        m &= np.tril(np.ones((T, S), dtype=bool), k=S - T)[None]
        m[:, :, 0] = True  # every query keeps a key
    return m


def _sdpa_draw(N, T, S, dk, dv, kind=None, scale=1.0):
    def draw(rng):
        return (randn(rng, N, T, dk, scale=scale), randn(rng, N, S, dk), randn(rng, N, S, dv),
                _mask(rng, N, T, S, kind))
    return draw


def _sdpa_overflow_draw(N, T, S, dk, dv, kind=None, peak=1000.0):
    """Sharp queries: every query row is rescaled so that its largest allowed score q·k/sqrt(d_k) is ``peak``
    (> 709, where exp overflows), so a softmax without the max subtraction returns inf/inf = NaN."""
    base = _sdpa_draw(N, T, S, dk, dv, kind)

    def draw(rng):
        while True:
            q, k, v, m = base(rng)
            scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(dk)  # (N, T, S)
            top = np.where(m, scores, -np.inf).max(axis=-1) if m.size else scores.max(axis=-1)  # (N, T)
            if np.all(top > 0.05):
                return q * (peak / top)[..., None], k, v, m
    return draw


def _sdpa_linspace(rng):
    mask = np.tril(np.ones((3, 3), dtype=bool))[None].repeat(2, axis=0)
    return (lin((2, 3, 4), -1.0, 1.0), lin((2, 3, 4), 0.5, -0.5), lin((2, 3, 2), -2.0, 2.0), mask)


def _none_if_empty(mask):
    return None if mask.size == 0 else mask


SDPA = Check(
    id="ch09_scaled_dot_product_attention", chapter="ch09", functions=("scaled_dot_product_attention",),
    reference=REF, run=lambda ns, inp: tuple(ns["scaled_dot_product_attention"](*inp[:3], _none_if_empty(inp[3]))),
    cases=cases("ch09_scaled_dot_product_attention", _sdpa_linspace,
                [("random, padding mask", _sdpa_draw(2, 4, 5, 3, 2, "padding")),
                 ("sharp scores, max score = 1000 (exp overflows)", _sdpa_overflow_draw(2, 3, 5, 4, 3, "padding")),
                 ("sharp scores, max score = 800, no mask", _sdpa_overflow_draw(2, 4, 4, 3, 2, peak=800.0))],
                [("random, no mask", _sdpa_draw(3, 5, 6, 4, 3)),
                 ("causal + padding", _sdpa_draw(3, 6, 6, 8, 5, "causal+padding")),
                 ("T=1, sharp scores, max score = 5000", _sdpa_overflow_draw(2, 1, 7, 4, 4, "padding", peak=5000.0)),
                 ("S > T, causal", _sdpa_draw(2, 3, 6, 2, 3, "causal+padding"))]),
    forbidden=("rnnbook", "torch", "scipy"),
    description="softmax(q kᵀ / sqrt(d_k)) v with a boolean mask (True = attend); output and weights",
    outputs=("out", "weights"),
)


def _mask_draw(N, T, causal, min_len=1):
    def draw(rng):
        return (rng.integers(min_len, T + 1, size=N), int(T), bool(causal))
    return draw


ATTENTION_MASK = Check(
    id="ch09_attention_mask", chapter="ch09", functions=("attention_mask",), reference=REF,
    run=lambda ns, inp: (np.asarray(ns["attention_mask"](*inp)).astype(bool),),
    cases=cases("ch09_attention_mask", lambda rng: (np.array([4, 2]), 4, True),
                [("padding only", _mask_draw(3, 5, False))],
                [("causal + padding", _mask_draw(4, 7, True)), ("full lengths, causal", _mask_draw(2, 6, True, 6)),
                 ("T=1", _mask_draw(3, 1, True)), ("padding, N=1", _mask_draw(1, 9, False))]),
    forbidden=("rnnbook", "torch"),
    description="(N, T, T) boolean mask: key j < lengths[n], and j <= i when causal",
    outputs=("mask",),
)


def _mha_draw(N, T, S, E, h, kind=None):
    def draw(rng):
        W = [randn(rng, E, E, scale=1 / np.sqrt(E)) for _ in range(4)]
        bias = [randn(rng, E, scale=0.1) for _ in range(4)]
        return (randn(rng, N, T, E), randn(rng, N, S, E), randn(rng, N, S, E), W[0], W[1], W[2], bias[0], bias[1],
                bias[2], W[3], bias[3], int(h), _mask(rng, N, T, S, kind))
    return draw


def _mha_linspace(rng):
    N, T, E, h = 2, 3, 4, 2
    x = lin((N, T, E), -1.0, 1.0)
    return (x, x, x, lin((E, E), -0.5, 0.5), lin((E, E), 0.4, -0.4), lin((E, E), -0.3, 0.6), lin(E, -0.1, 0.1),
            lin(E, 0.0, 0.2), lin(E, -0.2, 0.0), lin((E, E), -0.6, 0.3), lin(E, 0.1, -0.1), h,
            np.tril(np.ones((T, T), dtype=bool))[None].repeat(N, axis=0))


MHA = Check(
    id="ch09_multi_head_attention", chapter="ch09", functions=("multi_head_attention",), reference=REF,
    run=lambda ns, inp: (ns["multi_head_attention"](*inp[:12], _none_if_empty(inp[12])),),
    cases=cases("ch09_multi_head_attention", _mha_linspace,
                [("random, h=2, padding", _mha_draw(2, 4, 5, 6, 2, "padding"))],
                [("h=4, causal + padding", _mha_draw(3, 5, 5, 8, 4, "causal+padding")),
                 ("h=1, no mask", _mha_draw(2, 3, 4, 5, 1)),
                 ("h=E (d_k = 1)", _mha_draw(2, 4, 3, 3, 3, "padding")), ("T=1, N=1", _mha_draw(1, 1, 6, 6, 3))]),
    forbidden=("rnnbook", "torch", "scipy"),
    description="multi-head attention: project, split into h heads, attend, merge, project",
    outputs=("out",),
)


# ---------------------------------------------------------------------------------- layer norm
def layer_norm_cache(x, gamma, beta, eps):
    """y and the documented cache ``(xhat, rstd, gamma)`` of layer normalisation over the last axis (NumPy)."""
    mu = x.mean(axis=-1, keepdims=True)
    rstd = 1.0 / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps)  # (..., 1)
    xhat = (x - mu) * rstd
    return gamma * xhat + beta, (xhat, rstd, gamma)


def _ln_draw(*shape, eps=1e-5, mode=None, shift=0.0, spread=1.0):
    """x of ``shape`` (..., E) with rows of mean about ``shift`` and spread ``spread``; gamma, beta (E,)."""
    def draw(rng):
        E = shape[-1]
        arrays = (randn(rng, *shape, scale=spread) + shift, 1.0 + randn(rng, E, scale=0.3), randn(rng, E, scale=0.3))
        if mode is None:
            return (*arrays, float(eps))
        return (mode, *arrays, float(eps), randn(rng, *shape))
    return draw


def _ln_linspace(rng):
    return lin((2, 3, 4), -1.0, 2.0), lin(4, 0.5, 1.5), lin(4, -0.2, 0.2), 1e-5


LAYER_NORM_FORWARD = Check(
    id="ch09_layer_norm_forward", chapter="ch09", functions=("layer_norm_forward",), reference=REF,
    run=lambda ns, inp: (ns["layer_norm_forward"](*inp)[0],),
    cases=cases("ch09_layer_norm_forward", _ln_linspace,
                [("random (N, T, E)", _ln_draw(2, 5, 6))],
                [("random (N, E)", _ln_draw(4, 7)), ("eps = 0.5 (eps used)", _ln_draw(3, 2, 5, eps=0.5, spread=0.5)),
                 ("E = 1 (every row constant)", _ln_draw(2, 3, 1)),
                 ("rows with mean 50, spread 0.01", _ln_draw(2, 4, 8, shift=50.0, spread=0.01))]),
    forbidden=("rnnbook", "torch", "scipy"),
    description="y = gamma (x - mean) / sqrt(var + eps) + beta over the last axis",
    outputs=("y",),
)


def _run_ln_backward(ns, inp):
    mode, x, gamma, beta, eps, dout = inp
    _, cache = layer_norm_cache(x, gamma, beta, eps)
    grads = ns["layer_norm_backward"](dout, cache)
    if mode == "compare":
        return tuple(grads)
    arrays = (x, gamma, beta)
    return (gradcheck_flags(lambda: float(np.sum(layer_norm_cache(x, gamma, beta, eps)[0] * dout)), arrays, grads),)


LAYER_NORM_BACKWARD = Check(
    id="ch09_layer_norm_backward", chapter="ch09", functions=("layer_norm_backward",), reference=REF,
    run=_run_ln_backward,
    cases=cases("ch09_layer_norm_backward",
                lambda rng: ("compare", *_ln_linspace(rng), lin((2, 3, 4), 0.5, -0.5)),
                [("gradient check", _ln_draw(2, 3, 4, mode="gradcheck"))],
                [("random (N, E)", _ln_draw(4, 7, mode="compare")),
                 ("eps = 0.5 (eps used)", _ln_draw(3, 2, 5, eps=0.5, spread=0.5, mode="compare")),
                 ("random (N, T, E), E = 9", _ln_draw(2, 3, 9, mode="compare")),
                 ("gradient check (N, E)", _ln_draw(3, 5, mode="gradcheck"))]),
    forbidden=("rnnbook", "torch", "scipy"),
    description="dx, dgamma, dbeta of layer normalisation (the cache is (xhat, rstd, gamma))",
    outputs=("dx", "dgamma", "dbeta"),
)

CHECKS = [SDPA, ATTENTION_MASK, MHA, LAYER_NORM_FORWARD, LAYER_NORM_BACKWARD]
