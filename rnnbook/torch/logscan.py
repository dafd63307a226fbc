r"""The linear recurrence h_t = a_t ⊙ h_{t-1} + b_t in log space (Heinsen 2023), the twin of
:mod:`rnnbook.numpy.logscan`; autograd differentiates it.

Shape letters: N batch, T time, H hidden.

    log h_t = a*_t + logcumsumexp_{i=0..t}(c_i),   a*_t = Σ_{j≤t} log a_j,   c_0 = log h_0,   c_i = log b_i - a*_i

One ``torch.cumsum`` and one ``torch.logcumsumexp``, both parallel prefix operations, so no product of gates is
ever formed: a product of 4096 gates of 0.9 (≈ 1e-187) underflows in float32, its logarithm (≈ -431.6) does not.
Needs a_t > 0 and b_t, h_0 ≥ 0 (log b = -inf where b = 0).
"""

from __future__ import annotations

import torch

from rnnbook._validate import check_shape
from rnnbook.torch._recurrent import check_like

__all__ = ["log_linear_recurrence"]


def log_linear_recurrence(log_a: torch.Tensor, log_b: torch.Tensor,
                          log_h0: torch.Tensor | None = None) -> torch.Tensor:
    """log h (N, T, H) for h_t = a_t h_{t-1} + b_t, from log_a, log_b (N, T, H) and log_h0 (N, H) or None (h0 = 0)."""
    dims: dict[str, int] = {}
    check_shape("log_a", log_a, "N, T, H", dims)
    check_shape("log_b", log_b, "N, T, H", dims)
    check_like("log_b", log_b, log_a, "log_a")
    if log_a.shape[1] == 0:
        raise ValueError(f"log_a: expected at least one time step, got shape {tuple(log_a.shape)}")
    a_star = torch.cumsum(log_a, 1)  # (N, T, H): log A_t
    c = log_b - a_star  # (N, T, H): log (b_t / A_t)
    if log_h0 is not None:
        check_shape("log_h0", log_h0, "N, H", dims)
        check_like("log_h0", log_h0, log_a, "log_a")
        c = torch.cat([log_h0.unsqueeze(1), c], 1)  # (N, T+1, H)
        return a_star + torch.logcumsumexp(c, 1)[:, 1:]
    return a_star + torch.logcumsumexp(c, 1)
