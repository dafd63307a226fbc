"""First-order update rules, CS231n style: ``rule(w, dw, config) -> (next_w, config)``.

w, dw: arrays of one shape (any); config: dict of hyperparameters and state (moments, step count),
filled with defaults when missing. The rule does not modify ``w``, ``dw`` or the dict passed in: it
returns a new array and a new dict to pass to the next call.

    sgd:           w ← w - lr·g
    sgd_momentum:  v ← μ v - lr·g;  w ← w + v                (torch.optim.SGD(momentum=μ), constant lr)
    adam:          m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;  t ← t + 1
                   w ← w - lr · (m / (1-β1ᵗ)) / (sqrt(v / (1-β2ᵗ)) + ε)     (torch.optim.Adam)

Defaults: lr 1e-2 for sgd and sgd_momentum (μ = 0.9); Adam's are torch.optim.Adam's: lr 1e-3,
β1 = 0.9, β2 = 0.999, ε = 1e-8.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_same_shape, check_float

__all__ = ["sgd", "sgd_momentum", "adam"]


def _start(w, dw, config, defaults):
    check_float("w", w)
    check_float("dw", dw)
    check_same_shape("dw", dw, "w", w)
    if config is not None and not isinstance(config, dict):
        raise ValueError(f"config: expected a dict or None, got {type(config).__name__}")
    cfg = dict(defaults)
    cfg.update(config or {})
    return cfg


def sgd(w, dw, config=None):
    """Vanilla SGD. config: learning_rate (1e-2)."""
    cfg = _start(w, dw, config, {"learning_rate": 1e-2})
    return w - cfg["learning_rate"] * dw, cfg


def sgd_momentum(w, dw, config=None):
    """SGD with (heavy-ball) momentum. config: learning_rate (1e-2), momentum (0.9), velocity (zeros).

    With a constant learning rate this equals torch.optim.SGD(momentum=μ, dampening=0): torch's buffer
    b ← μ b + g relates to v by v = -lr·b.
    """
    cfg = _start(w, dw, config, {"learning_rate": 1e-2, "momentum": 0.9})
    v = cfg.get("velocity")
    v = np.zeros_like(w) if v is None else v
    v = cfg["momentum"] * v - cfg["learning_rate"] * dw
    cfg["velocity"] = v
    return w + v, cfg


def adam(w, dw, config=None):
    """Adam with bias correction (Kingma & Ba 2015), computed in torch.optim.Adam's order.

    config: learning_rate (1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8), m, v (zeros), t (0).
    """
    cfg = _start(w, dw, config, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                                 "t": 0})
    b1, b2 = cfg["beta1"], cfg["beta2"]
    m = cfg.get("m")
    v = cfg.get("v")
    m = np.zeros_like(w) if m is None else m
    v = np.zeros_like(w) if v is None else v
    t = cfg["t"] + 1
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * dw * dw
    bc1 = 1 - b1 ** t
    bc2 = 1 - b2 ** t
    denom = np.sqrt(v) / np.sqrt(bc2) + cfg["epsilon"]
    next_w = w - (cfg["learning_rate"] / bc1) * (m / denom)
    cfg.update(m=m, v=v, t=t)
    return next_w, cfg
