"""Gradient clipping by the global L2 norm (Pascanu, Mikolov & Bengio 2013).

With g the concatenation of all gradients and ‖g‖ its L2 norm, every gradient is scaled by

    min(1, max_norm / (‖g‖ + 1e-6)),

which is exactly what ``torch.nn.utils.clip_grad_norm_`` does (including its 1e-6), so the two agree.
The direction of the update is kept; only its length is bounded. The inputs are never modified.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from rnnbook._validate import check_float

__all__ = ["clip_grad_norm"]


def clip_grad_norm(grads: Sequence[np.ndarray] | Mapping[str, np.ndarray], max_norm: float
                   ) -> tuple[list[np.ndarray] | dict[str, np.ndarray], float]:
    """Scale ``grads`` so that their global L2 norm is at most ``max_norm``.

    grads: a list/tuple of arrays (any shapes) or a dict name -> array; max_norm: positive float.
    Returns (clipped, total_norm): new arrays in a container of the same kind (a list for a tuple) and
    the global norm before clipping, sqrt(Σ_i ‖g_i‖²).
    """
    if not (np.isscalar(max_norm) and float(max_norm) > 0):
        raise ValueError(f"max_norm: expected a positive number, got {max_norm!r}")
    is_map = isinstance(grads, Mapping)
    items = list(grads.items()) if is_map else list(enumerate(grads))
    for key, g in items:
        check_float(f"grads[{key!r}]", g)
    total_norm = float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for _, g in items)))
    coef = min(1.0, float(max_norm) / (total_norm + 1e-6))
    clipped = [(key, (g * coef).astype(g.dtype, copy=False)) for key, g in items]  # new arrays
    return (dict(clipped) if is_map else [g for _, g in clipped]), total_norm
