"""A two-layer fully connected classifier: affine - ReLU - affine - softmax (CS231n's TwoLayerNet).

Shape letters: N batch, D input size, H hidden size, C classes.

    scores = relu(X W1 + b1) W2 + b2,   loss = softmax cross-entropy + (reg/2) (‖W1‖² + ‖W2‖²)
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape
from .activations import relu_backward, relu_forward
from .affine import affine_backward, affine_forward
from .losses import softmax_loss

__all__ = ["TwoLayerNet"]


class TwoLayerNet:
    """params: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); weights ~ N(0, weight_scale²), biases zero.

    input_dim D, hidden_dim H, num_classes C; reg: L2 strength (the loss adds reg/2 · Σ‖W‖²);
    seed: for ``np.random.default_rng``; dtype of the parameters.
    """

    def __init__(self, input_dim: int = 3 * 32 * 32, hidden_dim: int = 100, num_classes: int = 10,
                 weight_scale: float = 1e-3, reg: float = 0.0, seed: int = 0, dtype=np.float64):
        for name, v in (("input_dim", input_dim), ("hidden_dim", hidden_dim), ("num_classes", num_classes)):
            if int(v) != v or v < 1:
                raise ValueError(f"{name}: expected a positive integer, got {v!r}")
        if reg < 0:
            raise ValueError(f"reg: expected a non-negative number, got {reg!r}")
        rng = np.random.default_rng(seed)
        self.reg = float(reg)
        self.params = {
            "W1": (weight_scale * rng.standard_normal((input_dim, hidden_dim))).astype(dtype),  # (D, H)
            "b1": np.zeros(hidden_dim, dtype=dtype),  # (H,)
            "W2": (weight_scale * rng.standard_normal((hidden_dim, num_classes))).astype(dtype),  # (H, C)
            "b2": np.zeros(num_classes, dtype=dtype),  # (C,)
        }

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """X: (N, D) (or (N, d1, ..., dk)); y: integer labels (N,) or None.

        Returns scores (N, C) when y is None, else (loss, grads) with grads keyed like ``params``.
        """
        p = self.params
        h, cache1 = affine_forward(X, p["W1"], p["b1"])  # (N, H)
        a, cache_r = relu_forward(h)  # (N, H)
        scores, cache2 = affine_forward(a, p["W2"], p["b2"])  # (N, C)
        if y is None:
            return scores
        check_shape("y", y, "N", {"N": scores.shape[0]}, floating=False)
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        da, dW2, db2 = affine_backward(dscores, cache2)
        dh = relu_backward(da, cache_r)
        _, dW1, db1 = affine_backward(dh, cache1)
        grads = {"W1": dW1 + self.reg * p["W1"], "b1": db1, "W2": dW2 + self.reg * p["W2"], "b2": db2}
        return float(loss), grads
