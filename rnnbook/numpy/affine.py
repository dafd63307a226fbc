"""Fully connected (affine) layer: out = x W + b.

Shape letters: N batch, D input size (the product d1·…·dk of the trailing axes of x), M output size.

The input may carry several trailing axes (N, d1, ..., dk); they are flattened to D = d1·…·dk as in
CS231n's ``affine_forward``, and ``dx`` comes back in the original shape.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_float, check_shape

__all__ = ["affine_forward", "affine_backward"]


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """out = x_flat w + b.

    x: array of shape (N, D) or (N, d1, ..., dk) with d1·…·dk = D; w: (D, M); b: (M,).
    Returns out (N, M) and the cache for :func:`affine_backward`.
    """
    check_float("x", x)
    if x.ndim < 2:
        raise ValueError(f"x: expected at least 2 dimensions (N, D) or (N, d1, ..., dk), "
                         f"got {x.ndim} dimensions {x.shape}")
    N = x.shape[0]
    x2 = x.reshape(N, int(np.prod(x.shape[1:])))  # (N, D)
    dims: dict[str, int] = {}
    check_shape("x (flattened)", x2, "N, D", dims)
    check_shape("w", w, "D, M", dims)
    check_shape("b", b, "M", dims)
    out = x2 @ w + b  # (N, D) x (D, M) -> (N, M)
    return out, (x, w)


def affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of an affine layer.

    dout: upstream gradient of shape (N, M). Returns dx (shape of x), dw (D, M), db (M,).
    """
    x, w = cache
    N = x.shape[0]
    dims = {"N": N, "M": w.shape[1]}
    check_shape("dout", dout, "N, M", dims)
    x2 = x.reshape(N, w.shape[0])  # (N, D)
    dx = (dout @ w.T).reshape(x.shape)  # (N, M) x (M, D) -> (N, D) -> shape of x
    dw = x2.T @ dout  # (D, N) x (N, M) -> (D, M)
    db = dout.sum(axis=0)  # (M,)
    return dx, dw, db
