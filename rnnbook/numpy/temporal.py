"""Temporal affine layer: the same affine map applied at every time step, out[:, t] = x[:, t] W + b.

Shape letters: N batch, T time, D input size, M output size (V when it produces vocabulary scores).
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape

__all__ = ["temporal_affine_forward", "temporal_affine_backward"]


def temporal_affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """out[n, t] = x[n, t] w + b.

    x: (N, T, D); w: (D, M); b: (M,). Returns out (N, T, M) and the cache.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, D", dims)
    check_shape("w", w, "D, M", dims)
    check_shape("b", b, "M", dims)
    N, T, D = x.shape
    out = (x.reshape(N * T, D) @ w + b).reshape(N, T, -1)  # (NT, D) x (D, M) -> (N, T, M)
    return out, (x, w)


def temporal_affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout: (N, T, M). Returns dx (N, T, D), dw (D, M), db (M,)."""
    x, w = cache
    N, T, D = x.shape
    M = w.shape[1]
    check_shape("dout", dout, "N, T, M", {"N": N, "T": T, "M": M})
    d2 = dout.reshape(N * T, M)  # (NT, M)
    dx = (d2 @ w.T).reshape(N, T, D)  # (NT, M) x (M, D) -> (N, T, D)
    dw = x.reshape(N * T, D).T @ d2  # (D, NT) x (NT, M) -> (D, M)
    db = d2.sum(axis=0)  # (M,)
    return dx, dw, db
