"""Softmax cross-entropy losses, per example and over time.

Shape letters: N batch, T time, C classes, V vocabulary.

With scores s and label y, p = softmax(s) and the loss of one example is -log p_y; its gradient with
respect to the scores is p - onehot(y). Both functions subtract the row maximum before exponentiating,
so no score overflows, and compute log p through log-sum-exp.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape

__all__ = ["softmax_loss", "temporal_softmax_loss"]


def _check_labels(name: str, y: np.ndarray, n_classes: int) -> None:
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name}: expected an integer dtype, got {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name}: expected labels in [0, {n_classes}), got values in [{y.min()}, {y.max()}]")


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy over the batch: loss = -(1/N) Σ_n log softmax(x_n)[y_n].

    x: scores of shape (N, C); y: integer labels of shape (N,) in [0, C).
    Returns loss (float) and dx (N, C) = (softmax(x) - onehot(y)) / N.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, C", dims)
    check_shape("y", y, "N", dims, floating=False)
    _check_labels("y", y, dims["C"])
    N = x.shape[0]
    logp = _log_softmax(x)  # (N, C)
    loss = -logp[np.arange(N), y].sum() / N
    dx = np.exp(logp)  # (N, C)
    dx[np.arange(N), y] -= 1
    dx /= N
    return float(loss), dx


def temporal_softmax_loss(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Masked softmax cross-entropy over a sequence, summed over time and averaged over the batch.

        loss = -(1/N) Σ_n Σ_t mask[n, t] · log softmax(x[n, t])[y[n, t]]

    This is CS231n's convention (divide by N, not by the number of unmasked positions), so the loss
    of a sequence grows with its length.

    x: scores of shape (N, T, V); y: integer targets of shape (N, T) in [0, V) (masked positions too);
    mask: boolean array of shape (N, T), True where the target counts.
    Returns loss (float) and dx (N, T, V).
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, V", dims)
    check_shape("y", y, "N, T", dims, floating=False)
    check_shape("mask", mask, "N, T", dims, floating=False)
    if mask.dtype != np.bool_:
        raise ValueError(f"mask: expected dtype bool, got {mask.dtype}")
    _check_labels("y", y, dims["V"])
    N, T, V = x.shape
    logp = _log_softmax(x.reshape(N * T, V))  # (NT, V)
    yf, mf = y.reshape(N * T), mask.reshape(N * T)
    loss = -(mf * logp[np.arange(N * T), yf]).sum() / N
    dx = np.exp(logp)  # (NT, V)
    dx[np.arange(N * T), yf] -= 1
    dx *= mf[:, None] / N
    return float(loss), dx.reshape(N, T, V)
