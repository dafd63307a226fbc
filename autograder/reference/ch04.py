"""Reference solutions of chapter 04: gradient norms across time, rnnbook's clip_grad_norm, the training loop."""

from __future__ import annotations

import numpy as np

from rnnbook.numpy.clip import clip_grad_norm

__all__ = ["gradient_norms", "clip_grad_norm", "train_long_lag"]


def gradient_norms(dlast, h, Wh):
    """‖∂L/∂h_t‖ (over the batch and hidden units) for t = 1..T when L depends only on h_T = h[:, -1].
    dlast: (N, H); h: (N, T, H); Wh: (H, H). Returns (T,)."""
    T = h.shape[1]
    out = np.empty(T)
    g = dlast
    for t in reversed(range(T)):
        out[t] = np.sqrt(np.sum(g ** 2))
        g = (g * (1 - h[:, t] ** 2)) @ Wh.T
    return out


def train_long_lag(loss_and_grads, params, lr, steps, max_norm=None):
    """``steps`` steps of gradient descent p ← p − lr·g, the gradients clipped first when max_norm is given.
    Returns the loss before each step (steps,) and the final parameters."""
    params = [p.copy() for p in params]
    losses = []
    for _ in range(steps):
        loss, grads = loss_and_grads(params)
        if max_norm is not None:
            grads, _ = clip_grad_norm(grads, max_norm)
        params = [p - lr * g for p, g in zip(params, grads)]
        losses.append(loss)
    return np.array(losses), params
