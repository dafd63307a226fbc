"""Variational dropout for the LSTM (Gal & Ghahramani 2016), the torch twin of :mod:`rnnbook.numpy.dropout`.

Shape letters: N batch, T time, D input (``input_size``), H hidden (``hidden_size``).

One mask per sequence for the inputs, m_x (N, D), and one for the recurrent state, m_h (N, H), each entry 0 with
probability p and 1 / (1 - p) otherwise, reused at every step:

    h_t, c_t = LSTM-step(x_t ⊙ m_x, h_{t-1} ⊙ m_h, c_{t-1})

``torch.nn.LSTM``'s own ``dropout`` argument is not this: it drops between stacked layers only, with a fresh
mask at every step, and never touches the recurrent state. The loop over steps runs in Python (the recurrent
mask rules out cuDNN's fused kernel), with :func:`rnnbook.torch.cells.lstm_step`.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnbook._validate import check_shape
from rnnbook.torch._recurrent import init_uniform
from rnnbook.torch.cells import lstm_step

__all__ = ["variational_mask", "VariationalLSTM"]


def variational_mask(N: int, size: int, p: float, like: torch.Tensor, generator: torch.Generator | None = None
                     ) -> torch.Tensor:
    """A mask (N, size) with the device and dtype of ``like``: 0 with probability p, else 1 / (1 - p)."""
    if not 0 <= p < 1:
        raise ValueError(f"p: expected a dropout probability 0 <= p < 1, got {p!r}")
    keep = torch.rand((N, size), generator=generator, device=like.device, dtype=like.dtype) >= p
    return keep.to(like.dtype) / (1.0 - p)


class VariationalLSTM(nn.Module):
    """A one-layer, batch-first LSTM with variational dropout on its inputs (``dropout_input``) and on its
    recurrent state (``dropout_hidden``), active in training mode only.

    Parameters are named and shaped as ``torch.nn.LSTM``'s (``weight_ih_l0`` (4H, D), ``weight_hh_l0`` (4H, H),
    ``bias_ih_l0``, ``bias_hh_l0`` (4H,), gates i|f|g|o), so ``load_state_dict`` works both ways; with both
    probabilities 0 it computes what ``torch.nn.LSTM(D, H, batch_first=True)`` computes.

    forward(x (N, T, D), state=None or (h0, c0) each (N, H), masks=None or (m_x (N, D), m_h (N, H)))
    -> (out (N, T, H), (h_T, c_T)). Pass ``masks`` to fix them (tests); else they are drawn per call, and
    ``last_masks`` holds the pair that was used.
    """

    def __init__(self, input_size: int, hidden_size: int, dropout_input: float = 0.0, dropout_hidden: float = 0.0,
                 device=None, dtype=None) -> None:
        super().__init__()
        for name, p in (("dropout_input", dropout_input), ("dropout_hidden", dropout_hidden)):
            if not 0 <= p < 1:
                raise ValueError(f"{name}: expected a dropout probability 0 <= p < 1, got {p!r}")
        D, H = input_size, hidden_size
        self.input_size, self.hidden_size = D, H
        self.dropout_input, self.dropout_hidden = float(dropout_input), float(dropout_hidden)
        kw = dict(device=device, dtype=dtype)
        self.weight_ih_l0 = nn.Parameter(torch.empty(4 * H, D, **kw))
        self.weight_hh_l0 = nn.Parameter(torch.empty(4 * H, H, **kw))
        self.bias_ih_l0 = nn.Parameter(torch.empty(4 * H, **kw))
        self.bias_hh_l0 = nn.Parameter(torch.empty(4 * H, **kw))
        init_uniform(self)

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, dropout_input={self.dropout_input}, "
                f"dropout_hidden={self.dropout_hidden}")

    def forward(self, x: torch.Tensor, state=None, masks=None):
        dims: dict[str, int] = {"D": self.input_size, "H": self.hidden_size}
        check_shape("x", x, "N, T, D", dims)
        N, T, _ = x.shape
        if state is None:
            h = x.new_zeros(N, self.hidden_size)
            c = x.new_zeros(N, self.hidden_size)
        else:
            h, c = state
            check_shape("h0", h, "N, H", dims)
            check_shape("c0", c, "N, H", dims)
        if masks is None and self.training:
            masks = (variational_mask(N, self.input_size, self.dropout_input, x) if self.dropout_input else None,
                     variational_mask(N, self.hidden_size, self.dropout_hidden, x) if self.dropout_hidden else None)
        m_x, m_h = masks if masks is not None else (None, None)
        self.last_masks = (m_x, m_h)  # the masks of the last call (None where none was applied)
        if m_x is not None:
            check_shape("mask_x", m_x, "N, D", dims)
            x = x * m_x[:, None, :]  # the same input mask at every step
        if m_h is not None:
            check_shape("mask_h", m_h, "N, H", dims)
        gx = torch.matmul(x, self.weight_ih_l0.t()) + (self.bias_ih_l0 + self.bias_hh_l0)  # (N, T, 4H)
        out = []
        for t in range(T):
            h, c = lstm_step(gx[:, t], h if m_h is None else h * m_h, c, self.weight_hh_l0)  # (N, H) each
            out.append(h)
        return torch.stack(out, 1), (h, c)
