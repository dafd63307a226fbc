r"""The linear recurrence h_t = a_t ⊙ h_{t-1} + b_t, by a loop and by a parallel scan, and the minGRU.

Shape letters: N batch, T time, D input, H hidden.

Because the recurrence is *linear* in h, the steps compose associatively: writing a step as the pair
(a, b) (the map h ↦ a ⊙ h + b), doing (a₁, b₁) and then (a₂, b₂) is the single step

    (a₁, b₁) ∘ (a₂, b₂) = (a₂ ⊙ a₁,  a₂ ⊙ b₁ + b₂)

so all T prefixes can be formed in ⌈log₂ T⌉ vectorised rounds (Hillis & Steele 1986; Blelloch 1990), each
combining every position t with position t - 2^k. This is what lets the minGRU (Feng et al. 2024, "Were RNNs
All We Needed?") train in parallel over time: its gates depend on x_t only, never on h_{t-1}.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnbook._validate import check_shape
from rnnbook.torch._recurrent import check_like, check_sizes

__all__ = ["linear_recurrence_loop", "linear_recurrence_scan", "MinGRU"]


def _check(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None) -> None:
    dims: dict[str, int] = {}
    check_shape("a", a, "N, T, H", dims)
    check_shape("b", b, "N, T, H", dims)
    check_like("b", b, a, "a")
    if a.shape[1] == 0:
        raise ValueError(f"a: expected at least one time step, got shape {tuple(a.shape)}")
    if h0 is not None:
        check_shape("h0", h0, "N, H", dims)
        check_like("h0", h0, a, "a")


def linear_recurrence_loop(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """h_t = a_t ⊙ h_{t-1} + b_t for t = 1..T, one step at a time (T sequential steps).

    a, b: (N, T, H); h0: (N, H), zeros when None. Returns h: (N, T, H) (h_1 … h_T).
    """
    _check(a, b, h0)
    h = torch.zeros_like(a[:, 0]) if h0 is None else h0  # (N, H)
    hs = []
    for a_t, b_t in zip(a.unbind(1), b.unbind(1)):
        h = a_t * h + b_t  # (N, H)
        hs.append(h)
    return torch.stack(hs, 1)  # (N, T, H)


def linear_recurrence_scan(a: torch.Tensor, b: torch.Tensor, h0: torch.Tensor | None = None) -> torch.Tensor:
    """The same h as :func:`linear_recurrence_loop`, by an inclusive Hillis–Steele scan: ⌈log₂ T⌉ rounds of
    whole-tensor operations (O(T log T) work), out of place, so autograd differentiates it.

    a, b: (N, T, H); h0: (N, H), zeros when None (folded in as b_1 ← a_1 ⊙ h0 + b_1). Returns h: (N, T, H).
    """
    _check(a, b, h0)
    if h0 is not None:
        b = torch.cat([(a[:, 0] * h0 + b[:, 0]).unsqueeze(1), b[:, 1:]], 1)  # (N, T, H)
    T, shift = a.shape[1], 1
    while shift < T:
        # position t absorbs the prefix ending at t - shift; the first `shift` positions see the identity (1, 0)
        a_prev = torch.cat([torch.ones_like(a[:, :shift]), a[:, :-shift]], 1)  # (N, T, H)
        b_prev = torch.cat([torch.zeros_like(b[:, :shift]), b[:, :-shift]], 1)  # (N, T, H)
        a, b = a * a_prev, a * b_prev + b  # (a_prev, b_prev) ∘ (a, b)
        shift *= 2
    return b  # (N, T, H): b now holds the whole prefix applied to h = 0 (h0 already folded in)


class MinGRU(nn.Module):
    r"""minGRU (Feng et al. 2024): a GRU whose gates see only the input, so time can be scanned in parallel::

        z_t = σ(x_t W_z^T + b_z)          h̃_t = x_t W_h^T + b_h
        h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t        i.e. a_t = 1 - z_t, b_t = z_t ⊙ h̃_t

    Parameters: ``linear_z`` and ``linear_h``, ``nn.Linear(input_size, hidden_size)`` each (weights (H, D)).

    ``forward(x (N, T, D), h0 (N, H) or None = zeros, parallel=True) -> (out (N, T, H), h_last (N, H))``;
    ``parallel=False`` runs the sequential loop (same result up to rounding).
    """

    def __init__(self, input_size: int, hidden_size: int, device=None, dtype=None) -> None:
        super().__init__()
        check_sizes(input_size, hidden_size)
        self.input_size, self.hidden_size = input_size, hidden_size
        self.linear_z = nn.Linear(input_size, hidden_size, device=device, dtype=dtype)
        self.linear_h = nn.Linear(input_size, hidden_size, device=device, dtype=dtype)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None, parallel: bool = True):
        dims = {"D": self.input_size, "H": self.hidden_size}
        check_shape("x", x, "N, T, D", dims)
        check_like("x", x, self.linear_z.weight, "linear_z.weight")
        z = torch.sigmoid(x @ self.linear_z.weight.t() + self.linear_z.bias)  # (N, T, H)
        h_tilde = x @ self.linear_h.weight.t() + self.linear_h.bias  # (N, T, H)
        if h0 is not None:
            check_shape("h0", h0, "N, H", dims)
        recurrence = linear_recurrence_scan if parallel else linear_recurrence_loop
        out = recurrence(1 - z, z * h_tilde, h0)  # (N, T, H)
        return out, out[:, -1]
