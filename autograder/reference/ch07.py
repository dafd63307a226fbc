"""Reference solution of chapter 07: a training loop with random windows, clipping and Adam."""

from __future__ import annotations

import numpy as np

__all__ = ["train_char_model"]


def train_char_model(loss_and_grads, params, data, steps, seq_len, batch_size, seed, lr=1e-2, max_norm=5.0):
    """``steps`` Adam updates on random windows of ``data``, gradients clipped to ``max_norm``."""
    rng = np.random.default_rng(seed)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(data) - seq_len - 1, size=batch_size)
        rows = data[starts[:, None] + np.arange(seq_len + 1)[None]]  # (B, L + 1)
        _, grads = loss_and_grads(params, rows[:, :-1], rows[:, 1:])
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        grads = [g * min(1.0, max_norm / (norm + 1e-6)) for g in grads]
        for k, g in enumerate(grads):
            m[k] = b1 * m[k] + (1 - b1) * g
            v[k] = b2 * v[k] + (1 - b2) * g * g
            params[k] = params[k] - lr * (m[k] / (1 - b1 ** step)) / (np.sqrt(v[k] / (1 - b2 ** step)) + eps)
    return params
