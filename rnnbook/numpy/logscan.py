"""The linear recurrence h_t = a_t ⊙ h_{t-1} + b_t in log space (Heinsen 2023), for long products of gates.

Shape letters: N batch, T time, H hidden.

Unrolled, the recurrence is a product and a sum (A_t = a_1 ⋯ a_t, the product of the gates so far):

    h_t = A_t ⊙ (h_0 + Σ_{i≤t} b_i / A_i),

two cumulative operations, each a parallel prefix sum. Computed as written (:func:`linear_recurrence_cumulative`)
it breaks on long sequences: A_t underflows (0.9^4096 ≈ 4e-188; in float32 A_t falls below the smallest
normal number, 1.2e-38, after about 830 steps (b / A overflows from about step 820), and below the smallest subnormal, 1.4e-45, soon after), b_i / A_i
overflows, and inf or 0 · inf = NaN follows. Heinsen's
"Efficient parallelization of a ubiquitous sequential computation" (2023) takes logarithms,

    log h_t = a*_t + log Σ_{i=0..t} exp(c_i),   a*_t = Σ_{j≤t} log a_j,   c_0 = log h_0,   c_i = log b_i - a*_i,

a cumulative sum and a cumulative log-sum-exp (``logaddexp.accumulate``; ``torch.logcumsumexp``), neither of
which under- or overflows. It needs a_t > 0, b_t ≥ 0 and h_0 ≥ 0 (log b = -inf for b = 0); Heinsen handles
negative values with complex logarithms, which this module does not.

Backward, with g_t = ∂L/∂log h_t and S_t = log Σ_{i≤t} exp(c_i) (so log h_t = a*_t + S_t): the weight of c_i
in S_t is exp(c_i - S_t), so ∂L/∂c_i = exp(c_i - S_i) R_i with R_i = Σ_{t≥i} g_t exp(S_i - S_t), itself a
linear recurrence backwards in time, R_i = g_i + exp(S_i - S_{i+1}) R_{i+1}, whose coefficients are ≤ 1.
Then ∂L/∂log b_i = ∂L/∂c_i, ∂L/∂log h_0 = ∂L/∂c_0, and since log a_j adds to log h_t (t ≥ j) only the weight
of the terms before j, ∂L/∂log a_j = Σ_{t≥j} g_t exp(S_{j-1} - S_t) = exp(S_{j-1} - S_j) R_j (0 for j = 1
without h_0): no difference of large numbers.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape
from rnnbook.numpy.scan import linear_recurrence_scan

__all__ = ["log_linear_recurrence_forward", "log_linear_recurrence_backward", "linear_recurrence_cumulative"]


def _check(log_a, log_b, log_h0):
    dims: dict[str, int] = {}
    check_shape("log_a", log_a, "N, T, H", dims)
    check_shape("log_b", log_b, "N, T, H", dims)
    if log_h0 is not None:
        check_shape("log_h0", log_h0, "N, H", dims)
    if log_a.shape[1] == 0:
        raise ValueError(f"log_a: expected at least one time step, got shape {tuple(log_a.shape)}")
    if not np.all(np.isfinite(log_a)):
        raise ValueError("log_a: expected finite logarithms (every gate a_t > 0)")


def log_linear_recurrence_forward(log_a, log_b, log_h0=None):
    """log h_t for h_t = a_t h_{t-1} + b_t (a_t > 0; b_t, h_0 ≥ 0), computed in log space.

    log_a, log_b: (N, T, H), the logarithms of a and b (log_b may be -inf where b = 0); log_h0: (N, H), or None
    for h_0 = 0. Returns log_h (N, T, H) and the cache for :func:`log_linear_recurrence_backward`.
    """
    _check(log_a, log_b, log_h0)
    a_star = np.cumsum(log_a, axis=1)  # (N, T, H): log A_t
    c = log_b - a_star  # (N, T, H): log (b_t / A_t)
    if log_h0 is not None:
        c = np.concatenate([np.asarray(log_h0)[:, None], c], axis=1)  # (N, T+1, H): c_0 = log h0 first
    with np.errstate(invalid="ignore"):  # logaddexp(-inf, -inf) = -inf, a zero sum so far, is not an error
        S = np.logaddexp.accumulate(c, axis=1)  # (N, T(+1), H): log Σ_{i≤t} exp(c_i)
    log_h = a_star + (S[:, 1:] if log_h0 is not None else S)  # (N, T, H)
    return log_h, (c, S, log_h0 is not None)


def log_linear_recurrence_backward(dlog_h, cache):
    """dlog_h: (N, T, H), ∂L/∂log h. Returns dlog_a (N, T, H), dlog_b (N, T, H) and dlog_h0 (N, H) (when the
    forward was given log_h0; otherwise only the first two)."""
    c, S, has_h0 = cache
    N, Tc, H = c.shape
    T = Tc - 1 if has_h0 else Tc
    check_shape("dlog_h", dlog_h, "N, T, H", {"N": N, "T": T, "H": H})
    g = np.concatenate([np.zeros((N, 1, H), dtype=dlog_h.dtype), dlog_h], axis=1) if has_h0 else dlog_h
    coef = np.zeros_like(S)  # (N, T(+1), H): exp(S_t - S_{t+1}) ≤ 1, multiplies R_{t+1}
    with np.errstate(invalid="ignore"):
        coef[:, :-1] = np.nan_to_num(np.exp(S[:, :-1] - S[:, 1:]), nan=0.0)  # -inf - (-inf): no term yet
    R = linear_recurrence_scan(coef[:, ::-1], g[:, ::-1])[:, ::-1]  # (N, T(+1), H), backwards in time
    with np.errstate(invalid="ignore"):
        dc = np.nan_to_num(np.exp(c - S), nan=0.0) * R  # weight of c_i in S_i, times R_i
    dc_steps = dc[:, 1:] if has_h0 else dc  # (N, T, H)
    dlog_a_all = np.zeros_like(S)  # a_j scales every term before step j: exp(S_{j-1} - S_j) R_j
    dlog_a_all[:, 1:] = coef[:, :-1] * R[:, 1:]
    dlog_a = dlog_a_all[:, 1:] if has_h0 else dlog_a_all  # (N, T, H); without h0, a_1 multiplies nothing
    return (dlog_a, dc_steps.copy(), dc[:, 0].copy()) if has_h0 else (dlog_a, dc_steps.copy())


def linear_recurrence_cumulative(a, b, h0=None) -> np.ndarray:
    """h_t = A_t ⊙ (h0 + Σ_{i≤t} b_i / A_i) with A_t = Π_{j≤t} a_j: the recurrence as one cumulative product and
    one cumulative sum, computed in the arrays' own precision (and so underflowing on long products).

    a, b: (N, T, H); h0: (N, H) or None (zeros). Returns h (N, T, H); NaN or inf where A_t underflows.
    """
    dims: dict[str, int] = {}
    check_shape("a", a, "N, T, H", dims)
    check_shape("b", b, "N, T, H", dims)
    if h0 is not None:
        check_shape("h0", h0, "N, H", dims)
    A = np.cumprod(a, axis=1)  # (N, T, H)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        inner = np.cumsum(b / A, axis=1)  # (N, T, H)
        if h0 is not None:
            inner = inner + h0[:, None]
        return A * inner
