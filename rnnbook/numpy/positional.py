"""Sinusoidal positional encoding (Vaswani et al. 2017).

Shape letters: N batch, T time (positions), d model size.

    PE[pos, 2i]   = sin(pos / base^(2i/d))
    PE[pos, 2i+1] = cos(pos / base^(2i/d))        base = 10000, i = 0, 1, ..., pos = 0, ..., T-1

For odd d the last column is a sine (the cosine of that frequency has no column). The encoding has
no parameters: adding it to the inputs is ``out = x + PE``, so the backward passes dout through.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_same_shape, check_shape

__all__ = ["positional_encoding", "add_positional_encoding_forward", "add_positional_encoding_backward"]


def _check_positive_int(name, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def positional_encoding(T: int, d: int, base: float = 10000.0, dtype=np.float64) -> np.ndarray:
    """The (T, d) sinusoidal table PE[pos, 2i] = sin(pos / base^(2i/d)), PE[pos, 2i+1] = cos(same)."""
    T = _check_positive_int("T", T)
    d = _check_positive_int("d", d)
    if not np.isfinite(base) or base <= 0:
        raise ValueError(f"base: expected a positive number, got {base!r}")
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"dtype: expected a floating-point dtype, got {np.dtype(dtype)}")
    pos = np.arange(T, dtype=np.float64)[:, None]  # (T, 1)
    freq = float(base) ** (-np.arange(0, d, 2, dtype=np.float64) / d)  # (ceil(d/2),): base^(-2i/d)
    angle = pos * freq  # (T, ceil(d/2))
    pe = np.empty((T, d), dtype=np.float64)
    pe[:, 0::2] = np.sin(angle)
    pe[:, 1::2] = np.cos(angle[:, : d // 2])
    return pe.astype(dtype, copy=False)


def add_positional_encoding_forward(x, base: float = 10000.0):
    """out = x + PE[None] with PE = positional_encoding(T, d, base) in x's dtype.

    x: (N, T, d). Returns out (N, T, d) and the cache for :func:`add_positional_encoding_backward`.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, d", dims)
    out = x + positional_encoding(dims["T"], dims["d"], base, dtype=x.dtype)[None]  # (N, T, d)
    return out, x.shape


def add_positional_encoding_backward(dout, cache):
    """dout: (N, T, d). Returns dx (N, T, d) = dout (the encoding is a constant)."""
    check_same_shape("dout", dout, "x", np.empty(cache, dtype=np.int8))
    return dout.copy()
