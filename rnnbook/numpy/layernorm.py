r"""Layer normalisation (Ba, Kiros & Hinton 2016), forward and backward: the math of ``torch.nn.LayerNorm(E)``.

Shape letters: E the normalised (feature) size, the last axis; any leading axes (N, T, ...) are kept.

Every row x (one position of one example, E numbers) is normalised by its own mean and variance, then scaled
and shifted per feature::

    μ = (1/E) Σ_i x_i        σ² = (1/E) Σ_i (x_i - μ)²        (the biased variance, as torch)
    x̂ = (x - μ) / sqrt(σ² + ε)
    y = γ ⊙ x̂ + β                                             γ, β: (E,)

Backward, with g = dy ⊙ γ and r = 1 / sqrt(σ² + ε), per row::

    dx = r · (g - mean(g) - x̂ · mean(g ⊙ x̂))
    dγ = Σ_rows dy ⊙ x̂,      dβ = Σ_rows dy

(the two means remove the components of g along the directions the normalisation cannot change: a common
shift of x, and a common scaling of x - μ). Unlike batch normalisation nothing is shared across the batch or
over time, so it behaves the same in training and at test time and for any sequence length.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_float, check_shape

__all__ = ["layer_norm_forward", "layer_norm_backward"]


def layer_norm_forward(x, gamma, beta, eps: float = 1e-5):
    """Layer normalisation over the last axis.

    x: array of shape (..., E), e.g. (N, T, E); gamma, beta: (E,); eps: ε > 0, added to the variance.
    Returns y (..., E) and the cache for :func:`layer_norm_backward`.
    """
    check_float("x", x)
    if x.ndim < 1:
        raise ValueError("x: expected an array of shape (..., E), got a scalar")
    dims = {"E": x.shape[-1]}
    check_shape("gamma", gamma, "E", dims)
    check_shape("beta", beta, "E", dims)
    if not (isinstance(eps, (int, float, np.floating)) and eps > 0):
        raise ValueError(f"eps: expected a positive number, got {eps!r}")
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    xc = x - mu  # (..., E)
    var = np.mean(xc ** 2, axis=-1, keepdims=True)  # (..., 1), biased
    rstd = 1.0 / np.sqrt(var + eps)  # (..., 1)
    xhat = xc * rstd  # (..., E)
    y = gamma * xhat + beta  # (..., E)
    return y, (xhat, rstd, gamma)


def layer_norm_backward(dout, cache):
    """dout: (..., E), the shape of y. Returns dx (..., E), dgamma (E,), dbeta (E,)."""
    xhat, rstd, gamma = cache
    if getattr(dout, "shape", None) != xhat.shape:
        got = getattr(dout, "shape", type(dout).__name__)
        raise ValueError(f"dout: expected the shape of x {xhat.shape}, got {got}")
    axes = tuple(range(xhat.ndim - 1))
    dgamma = np.sum(dout * xhat, axis=axes)  # (E,)
    dbeta = np.sum(dout, axis=axes)  # (E,)
    g = dout * gamma  # (..., E)
    dx = rstd * (g - g.mean(axis=-1, keepdims=True) - xhat * np.mean(g * xhat, axis=-1, keepdims=True))
    return dx, dgamma, dbeta
