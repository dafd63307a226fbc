"""Synthetic long-lag tasks: the adding problem, the temporal-order problem and a copy task.

Shape letters: N sequences, T time steps (``Tmax`` the longest in a batch).

Adding problem (Hochreiter & Schmidhuber 1997, "Long short-term memory", Experiment 4):
each step is a pair (value, marker). Values are uniform in [-1, 1]. Sequence lengths are random
between T and T + T/10. Exactly two pairs are marked with 1.0: first one of the first ten pairs
(its value X1), then one of the first T/2 - 1 pairs that is still unmarked (X2). All other
markers are 0 except the first and the final pair, whose markers are -1 (unless the first pair is
marked; then its value X1 is set to 0). The target, given only at the sequence's end, is
0.5 + (X1 + X2) / 4, the sum scaled to [0, 1]. A sequence counts as processed correctly when the
absolute error at its end is below 0.04.

Temporal order (Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural
networks", following their released generator): six symbols, one-hot; symbols A, B are ids 0, 1
and c, d, e, f are ids 2-5. At one position p0 in [L/10, 2L/10) and one p1 in [5L/10, 6L/10)
the symbol is A or B (v0, v1); everywhere else a random symbol among c-f. The class at the end is
v0 + 2 v1 (AA=0, BA=1, AB=2, BB=3).

Copy task (after Arjovsky, Shah & Bengio 2016): S symbols from 1..K, then T - 1 blanks (0),
then a delimiter K + 1, then S blanks; the target is blank for T + S steps and then the S symbols.
"""

from __future__ import annotations

import numpy as np

__all__ = ["adding_problem", "temporal_order", "copy_task", "ADDING_TOLERANCE"]

ADDING_TOLERANCE = 0.04


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def adding_problem(n: int, T: int, seed=0, vary_length: bool = True):
    """Hochreiter & Schmidhuber's adding problem.

    Returns x float64 (N, Tmax, 2) [value, marker], y float64 (N,) in [0, 1], lengths int64 (N,).
    Steps at and after a sequence's length are zero padding; read the output at ``lengths - 1``.
    ``vary_length=False`` makes every length exactly T.
    """
    if n < 1:
        raise ValueError(f"n: expected a positive number of sequences, got {n}")
    if T < 20:
        raise ValueError(f"T: expected T >= 20 (the first mark is in the first 10 pairs, the second in the first T/2 - 1), got {T}")
    rng = _rng(seed)
    lengths = rng.integers(T, T + T // 10 + 1, size=n) if vary_length else np.full(n, T)
    Tmax = int(lengths.max())
    x = np.zeros((n, Tmax, 2))  # (N, Tmax, 2)
    y = np.empty(n)
    half = T // 2 - 1
    for i, L in enumerate(lengths):
        x[i, :L, 0] = rng.uniform(-1.0, 1.0, size=L)
        x[i, 0, 1] = -1.0
        x[i, L - 1, 1] = -1.0
        i1 = int(rng.integers(0, 10))
        if i1 < half:  # one of the first T/2 - 1 pairs other than i1
            i2 = int(rng.integers(0, half - 1))
            i2 = i2 + 1 if i2 >= i1 else i2
        else:
            i2 = int(rng.integers(0, half))
        x[i, i1, 1] = 1.0
        x[i, i2, 1] = 1.0
        if x[i, 0, 1] == 1.0:
            x[i, 0, 0] = 0.0
        y[i] = 0.5 + (x[i, i1, 0] + x[i, i2, 0]) / 4.0
    return x, y, lengths.astype(np.int64)


def temporal_order(n: int, L: int, seed=0):
    """Pascanu et al.'s temporal-order problem: x float64 one-hot (N, L, 6), y int64 (N,) in 0..3."""
    if n < 1:
        raise ValueError(f"n: expected a positive number of sequences, got {n}")
    if L < 10:
        raise ValueError(f"L: expected L >= 10, got {L}")
    rng = _rng(seed)
    w = int(L * 0.1)
    p0 = rng.integers(0, w, size=n) + w
    p1 = rng.integers(0, w, size=n) + int(L * 0.5)
    v0 = rng.integers(0, 2, size=n)
    v1 = rng.integers(0, 2, size=n)
    sym = rng.integers(2, 6, size=(n, L))  # (N, L)
    sym[np.arange(n), p0] = v0
    sym[np.arange(n), p1] = v1
    x = np.eye(6)[sym]  # (N, L, 6)
    return x, (v0 + 2 * v1).astype(np.int64)


def copy_task(n: int, T: int, n_symbols: int = 8, length: int = 10, seed=0):
    """Copy task: x, y int64 (N, T + 2S) with S = ``length``; blank 0, symbols 1..K, delimiter K + 1."""
    if n < 1 or T < 1 or length < 1 or n_symbols < 2:
        raise ValueError(f"copy_task: expected n, T, length >= 1 and n_symbols >= 2, got n={n}, T={T}, length={length}, n_symbols={n_symbols}")
    rng = _rng(seed)
    S = length
    seq = rng.integers(1, n_symbols + 1, size=(n, S))
    x = np.zeros((n, T + 2 * S), dtype=np.int64)
    y = np.zeros((n, T + 2 * S), dtype=np.int64)
    x[:, :S] = seq
    x[:, S + T - 1] = n_symbols + 1
    y[:, T + S:] = seq
    return x, y
