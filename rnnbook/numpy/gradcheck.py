"""Gradient checking: centred finite differences and CS231n's relative error.

For a scalar function f, the centred difference approximates each partial derivative as

    df/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2h)

with error O(h²). For an array-valued layer with upstream gradient dout, the quantity checked is the
gradient of the scalar sum(out * dout), which is exactly what ``backward(dout, cache)`` returns.
Use float64 inputs: in float32 the rounding error of the difference swamps the O(h²) term.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["rel_error", "eval_numerical_gradient", "eval_numerical_gradient_array"]


def rel_error(x, y) -> float:
    """Largest elementwise relative error max |x - y| / max(1e-8, |x| + |y|) (CS231n's measure)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error: expected two arrays of one shape, got {x.shape} and {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def eval_numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of a scalar function ``f`` at ``x`` (x is perturbed in place and restored).

    x: array of any shape, float64. Returns an array of the shape of x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = float(f(x))
        x[ix] = old - h
        fxmh = float(f(x))
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


def eval_numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, df: np.ndarray,
                                  h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of sum(f(x) * df) at ``x``, for an array-valued ``f``.

    x: array of any shape; df: upstream gradient, shape of f(x). Returns an array of the shape of x.
    """
    return eval_numerical_gradient(lambda z: np.sum(f(z) * df), x, h)
