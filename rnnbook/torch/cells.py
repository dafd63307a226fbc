"""One time step of the vanilla RNN, the LSTM and the GRU, as ``torch.nn``-compatible cells.

Shape letters: N batch, D input (``input_size``), H hidden (``hidden_size``), G gates (RNN 1, LSTM 4, GRU 3).

Each cell holds ``weight_ih`` (G·H, D), ``weight_hh`` (G·H, H), ``bias_ih`` (G·H,) and ``bias_hh`` (G·H,),
initialised ~ U(-1/√H, 1/√H), exactly as ``torch.nn.RNNCell/LSTMCell/GRUCell``, so ``load_state_dict``
works both ways. The ``*_step`` functions below are the recurrences themselves; the sequence modules
(:mod:`rnnbook.torch.rnn`, ``lstm``, ``gru``) call the same functions after projecting all time steps'
inputs at once. Nothing here calls ``torch.nn``'s cells or ``torch._VF``.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnbook._validate import check_choice, check_shape
from rnnbook.torch._recurrent import check_like, check_sizes, init_uniform

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "rnn_step", "lstm_step", "gru_step"]


# ------------------------------------------------------------------------------------------- steps
def _recurrent(gx: torch.Tensor, h: torch.Tensor, w_hh: torch.Tensor) -> torch.Tensor:
    """gx + h W_hh^T in one fused op: (N, G·H) + (N, H) x (H, G·H) -> (N, G·H)."""
    return torch.addmm(gx, h, w_hh.t())


def rnn_step(gx: torch.Tensor, h: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor | None = None,
             nonlinearity: str = "tanh") -> torch.Tensor:
    """h_t = φ(gx_t + h_{t-1} W_hh^T + b_hh), with gx_t = x_t W_ih^T + b_ih already computed.

    gx: (N, H); h: (N, H); w_hh: (H, H); b_hh: (H,) or None (already folded into gx). Returns h_t (N, H).
    """
    a = _recurrent(gx if b_hh is None else gx + b_hh, h, w_hh)  # (N, H)
    return torch.tanh(a) if nonlinearity == "tanh" else torch.relu(a)


def lstm_step(gx: torch.Tensor, h: torch.Tensor, c: torch.Tensor, w_hh: torch.Tensor,
              b_hh: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step, gates stacked i|f|g|o as in ``torch.nn.LSTM``::

        [a_i | a_f | a_g | a_o] = gx_t + h_{t-1} W_hh^T + b_hh       gx_t = x_t W_ih^T + b_ih   (N, 4H)
        i_t = σ(a_i)   f_t = σ(a_f)   g_t = tanh(a_g)   o_t = σ(a_o)
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h_t = o_t ⊙ tanh(c_t)

    gx: (N, 4H); h, c: (N, H); w_hh: (4H, H); b_hh: (4H,) or None. Returns (h_t, c_t), each (N, H).
    """
    a = _recurrent(gx if b_hh is None else gx + b_hh, h, w_hh)  # (N, 4H)
    i, f, g, o = a.chunk(4, 1)  # 4 x (N, H)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # (N, H)
    h = torch.sigmoid(o) * torch.tanh(c)  # (N, H)
    return h, c


def gru_step(gx: torch.Tensor, h: torch.Tensor, w_hh: torch.Tensor,
             b_hh: torch.Tensor | None = None) -> torch.Tensor:
    """One GRU step, gates stacked r|z|n as in ``torch.nn.GRU``::

        r_t = σ(gx_r + h_{t-1} W_hr^T + b_hr)
        z_t = σ(gx_z + h_{t-1} W_hz^T + b_hz)
        n_t = tanh(gx_n + r_t ⊙ (h_{t-1} W_hn^T + b_hn))       gx_t = x_t W_ih^T + b_ih   (N, 3H)
        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    Unlike Cho et al. (2014), r_t multiplies ``h W_hn^T + b_hn`` *after* the matmul (as cuDNN and
    ``torch.nn.GRU`` do), so ``b_hn`` cannot be folded into ``gx``.

    gx: (N, 3H); h: (N, H); w_hh: (3H, H); b_hh: (3H,) or None. Returns h_t (N, H).
    """
    gh = h @ w_hh.t() if b_hh is None else torch.addmm(b_hh, h, w_hh.t())  # (N, 3H)
    H = h.shape[-1]
    rz = torch.sigmoid(gx[:, : 2 * H] + gh[:, : 2 * H])  # (N, 2H)
    r, z = rz.chunk(2, 1)  # (N, H) each
    n = torch.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])  # (N, H)
    return n + z * (h - n)  # (1 - z) n + z h


# ------------------------------------------------------------------------------------------- cells
class _CellBase(nn.Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        check_sizes(input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bool(bias)
        G, factory = self._gates, {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(G * hidden_size, input_size, **factory))
        self.weight_hh = nn.Parameter(torch.empty(G * hidden_size, hidden_size, **factory))
        if self.bias:
            self.bias_ih = nn.Parameter(torch.empty(G * hidden_size, **factory))
            self.bias_hh = nn.Parameter(torch.empty(G * hidden_size, **factory))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/√H, 1/√H), as in ``torch.nn``."""
        init_uniform(self)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def _check(self, x: torch.Tensor, hx: tuple) -> tuple[torch.Tensor, list, bool]:
        """x (N, D) or (D,); each of hx (N, H) or (H,) or None -> batched tensors and the batched flag."""
        if not isinstance(x, torch.Tensor) or x.dim() not in (1, 2):
            got = f"{x.dim()} dimensions {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"input: expected (N, D) or an unbatched (D,), got {got}")
        batched = x.dim() == 2
        dims = {"D": self.input_size, "H": self.hidden_size}
        check_shape("input", x, "N, D" if batched else "D", dims)
        check_like("input", x, self.weight_ih, "weight_ih")
        out = []
        for name, s in hx:
            if s is None:
                s = torch.zeros(x.shape[0] if batched else 1, self.hidden_size, device=x.device, dtype=x.dtype)
            else:
                check_shape(name, s, "N, H" if batched else "H", dims)
                check_like(name, s, self.weight_ih, "weight_ih")
                if not batched:
                    s = s.unsqueeze(0)
            out.append(s)  # (N, H)
        return (x if batched else x.unsqueeze(0)), out, batched

    def _gx(self, x: torch.Tensor, fold: bool = True) -> torch.Tensor:
        """x W_ih^T + b_ih (+ b_hh when fold): (N, D) -> (N, G·H)."""
        if not self.bias:
            return x @ self.weight_ih.t()
        b = self.bias_ih + self.bias_hh if fold else self.bias_ih
        return torch.addmm(b, x, self.weight_ih.t())


class RNNCell(_CellBase):
    r"""Elman RNN cell: h' = φ(x W_ih^T + b_ih + h W_hh^T + b_hh), φ = tanh or relu.

    Args: input_size (D), hidden_size (H), bias=True, nonlinearity="tanh" | "relu".
    Parameters: weight_ih (H, D), weight_hh (H, H), bias_ih (H,), bias_hh (H,).
    ``forward(input (N, D) or (D,), hx (N, H) or (H,) or None = zeros) -> h' (N, H) or (H,)``.
    """

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}")

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        x, (h,), batched = self._check(input, [("hx", hx)])
        h = rnn_step(self._gx(x), h, self.weight_hh, None, self.nonlinearity)  # (N, H)
        return h if batched else h.squeeze(0)


class LSTMCell(_CellBase):
    r"""LSTM cell (equations in :func:`lstm_step`), gates stacked ``W_ii|W_if|W_ig|W_io``.

    Args: input_size (D), hidden_size (H), bias=True.
    Parameters: weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,).
    ``forward(input (N, D) or (D,), hx=(h, c) each (N, H) or (H,), or None = zeros) -> (h', c')``.
    """

    _gates = 4

    def forward(self, input: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor] | None = None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError(f"hx: expected a tuple (h, c) of tensors (N, H), got {type(hx).__name__}")
        h0, c0 = (None, None) if hx is None else hx
        x, (h, c), batched = self._check(input, [("hx[0]", h0), ("hx[1]", c0)])
        h, c = lstm_step(self._gx(x), h, c, self.weight_hh, None)  # (N, H) each
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    r"""GRU cell (equations in :func:`gru_step`), gates stacked ``W_ir|W_iz|W_in``.

    Args: input_size (D), hidden_size (H), bias=True.
    Parameters: weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,).
    ``forward(input (N, D) or (D,), hx (N, H) or (H,) or None = zeros) -> h' (N, H) or (H,)``.
    """

    _gates = 3

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None) -> torch.Tensor:
        x, (h,), batched = self._check(input, [("hx", hx)])
        h = gru_step(self._gx(x, fold=False), h, self.weight_hh, self.bias_hh)  # (N, H)
        return h if batched else h.squeeze(0)
