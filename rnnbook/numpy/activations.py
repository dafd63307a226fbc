"""Elementwise activations: ReLU, tanh and the logistic sigmoid, as forward/backward pairs.

Shapes: any; every output has the shape (and floating dtype) of its input.

    relu(x) = max(0, x)            relu'(x) = 1[x > 0]
    tanh(x)                        tanh'(x) = 1 - tanh(x)²
    σ(x) = 1 / (1 + e^{-x})        σ'(x) = σ(x) (1 - σ(x))

:func:`sigmoid` is numerically stable: it never evaluates ``exp`` of a positive number, so it raises no
overflow warning for any finite x (|x| = 1e4 and beyond), reaches exactly 0 and 1 in the limits, and keeps
float32 as float32.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_float, check_same_shape

__all__ = ["sigmoid", "relu_forward", "relu_backward", "tanh_forward", "tanh_backward",
           "sigmoid_forward", "sigmoid_backward"]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^{-x}), computed as e^{x} / (1 + e^{x}) for x < 0 so that exp never overflows.

    x: floating array of any shape. Returns an array of the same shape and dtype.
    """
    x = np.asarray(x)
    check_float("x", x)
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows; underflows to exactly 0 for |x| large
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = max(0, x). x: floating array of any shape. Returns out (shape of x) and the cache."""
    check_float("x", x)
    return np.maximum(x, 0), x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout · 1[x > 0] (the subgradient at 0 is taken as 0). dout: shape of x."""
    x = cache
    check_same_shape("dout", dout, "x", x)
    return dout * (x > 0)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = tanh(x). x: floating array of any shape. Returns out and the cache (out itself)."""
    check_float("x", x)
    out = np.tanh(x)
    return out, out


def tanh_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout · (1 - tanh(x)²). dout: shape of x."""
    out = cache
    check_same_shape("dout", dout, "x", out)
    return dout * (1 - out ** 2)


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = σ(x) (stable, see :func:`sigmoid`). Returns out and the cache (out itself)."""
    out = sigmoid(x)
    return out, out


def sigmoid_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout · σ(x) (1 - σ(x)). dout: shape of x."""
    out = cache
    check_same_shape("dout", dout, "x", out)
    return dout * out * (1 - out)
