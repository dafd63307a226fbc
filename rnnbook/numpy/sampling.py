"""Sampling from a model's scores at a temperature, and two measures of what the temperature changes.

Shape letters: V vocabulary size (the number of choices); ``...`` any leading batch shape.

With scores s (the logits, shape (..., V)) and a temperature τ > 0, the sampling distribution is

    p_τ(v) = exp(s_v / τ) / Σ_u exp(s_u / τ)

τ = 1 is the model's own distribution; τ < 1 sharpens it towards the argmax (τ → 0 is greedy decoding),
τ > 1 flattens it towards the uniform distribution. Its entropy in bits,

    H(p_τ) = -Σ_v p_τ(v) log2 p_τ(v),

is 0 for a one-hot distribution and log2 V for the uniform one: the number of bits of choice each step
leaves to chance. ``sample_next`` treats τ == 0 as exact argmax (no randomness drawn), so that greedy
decoding is the limit of sampling and not a separate code path.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_temperature", "softmax_temperature", "sample_next", "entropy_bits", "distinct_ngram_fraction"]


def check_temperature(temperature, allow_zero: bool = True) -> float:
    """``temperature`` as a float: a finite number > 0 (or == 0 when ``allow_zero``); else a one-line ValueError."""
    try:
        t = float(temperature)
    except (TypeError, ValueError):
        t = math.nan
    if isinstance(temperature, bool) or not math.isfinite(t) or t < 0 or (t == 0 and not allow_zero):
        bound = ">= 0 (0 is greedy)" if allow_zero else "> 0"
        raise ValueError(f"temperature: expected a finite number {bound}, got {temperature!r}")
    return t


def softmax_temperature(scores: np.ndarray, temperature: float) -> np.ndarray:
    """p_τ = softmax(scores / τ) over the last axis: scores (..., V) -> probabilities (..., V), τ > 0."""
    t = check_temperature(temperature, allow_zero=False)
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 0 or s.shape[-1] == 0:
        raise ValueError(f"scores: expected an array of shape (..., V) with V >= 1, got shape {s.shape}")
    z = s / t
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def sample_next(scores: np.ndarray, temperature: float = 1.0, rng: np.random.Generator | None = None):
    """Draw one id from p_τ for each row of ``scores`` (..., V): returns an int for scores of shape (V,), else
    an int64 array of shape (...,). τ == 0 returns the argmax without drawing; ``rng`` is a
    ``np.random.Generator`` (default ``np.random.default_rng()``; pass a seeded one for reproducible samples)."""
    t = check_temperature(temperature)
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 0 or s.shape[-1] == 0:
        raise ValueError(f"scores: expected an array of shape (..., V) with V >= 1, got shape {s.shape}")
    if t == 0:
        ids = np.argmax(s, axis=-1)
    else:
        p = softmax_temperature(s, t).reshape(-1, s.shape[-1])  # (M, V)
        rng = np.random.default_rng() if rng is None else rng
        u = rng.random(len(p))[:, None]  # (M, 1): one uniform draw a row, inverted through the CDF
        cdf = np.cumsum(p, axis=-1)
        ids = np.minimum((u >= cdf).sum(-1), s.shape[-1] - 1).reshape(s.shape[:-1])
    return int(ids) if s.ndim == 1 else ids.astype(np.int64)


def entropy_bits(probs: np.ndarray) -> np.ndarray:
    """H(p) = -Σ_v p_v log2 p_v over the last axis, in bits: probs (..., V) -> (...,) (0 log 0 = 0)."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 0 or np.any(p < 0) or not np.allclose(p.sum(-1), 1.0, atol=1e-6):
        raise ValueError("probs: expected non-negative rows of shape (..., V) that sum to 1")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    return terms.sum(-1)


def distinct_ngram_fraction(seq, n: int) -> float:
    """The number of distinct n-grams of ``seq`` (a str or a sequence of ids) over the number of n-grams in it:
    1.0 when nothing repeats, small when a sample loops. Needs len(seq) >= n >= 1."""
    if int(n) != n or n < 1 or len(seq) < n:
        raise ValueError(f"n: expected 1 <= n <= len(seq) = {len(seq)}, got {n!r}")
    grams = [tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)]
    return len(set(grams)) / len(grams)
