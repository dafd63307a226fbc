"""Shared machinery of :class:`~rnnbook.torch.RNN`, :class:`~rnnbook.torch.LSTM` and :class:`~rnnbook.torch.GRU`.

Shape letters: T time, N batch, D input (``input_size``), H hidden (``hidden_size``), G gates (RNN 1, LSTM 4,
GRU 3), K = num_layers, L = num_layers · num_directions (the first axis of a state).

Parameters carry ``torch.nn.RNNBase``'s names and are registered in its order, layer by layer, forward
direction before reverse::

    weight_ih_l{k}[_reverse]  (G·H, D) for k = 0, (G·H, num_directions·H) above
    weight_hh_l{k}[_reverse]  (G·H, H)
    bias_ih_l{k}[_reverse]    (G·H,)            (only with bias=True)
    bias_hh_l{k}[_reverse]    (G·H,)

so ``load_state_dict`` works both ways with ``torch.nn.RNN/LSTM/GRU``. The forward pass follows the
recipe of the book: for each layer and direction, one matmul projects the inputs of *all* time steps
(``gx = x W_ih^T + b``, shape (T, N, G·H)); the time loop then does only the recurrent product
``h_{t-1} W_hh^T`` and the gate nonlinearities (the step functions in :mod:`rnnbook.torch.cells`).
Nothing here calls ``torch.nn.RNN/LSTM/GRU``, their cells or ``torch._VF``.
"""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from rnnbook._validate import check_shape
from rnnbook.torch.layout import param_suffix


def init_uniform(module: nn.Module) -> None:
    """torch.nn's initialisation of recurrent modules and cells: every parameter ~ U(-1/√H, 1/√H)."""
    stdv = 1.0 / math.sqrt(module.hidden_size)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-stdv, stdv)


def check_like(name: str, t: torch.Tensor, ref: torch.Tensor, ref_name: str) -> None:
    """Raise ValueError unless ``t`` has the dtype and the device of ``ref``."""
    if t.dtype != ref.dtype:
        raise ValueError(f"{name}: expected dtype {ref.dtype} (the dtype of {ref_name}), got {t.dtype}")
    if t.device != ref.device:
        raise ValueError(f"{name}: expected device {ref.device} (the device of {ref_name}), got {t.device}")


def check_sizes(input_size, hidden_size, num_layers: int = 1) -> None:
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ValueError(f"{name}: expected a positive int, got {v!r}")


class RecurrentBase(nn.Module):
    """Stacked, optionally bidirectional recurrence; subclasses give the gate count and the step.

    Subclass contract: ``_gates`` (G); ``_n_states`` (1, or 2 for the LSTM's (h, c)); ``_fold_bias``
    (True when only ``b_ih + b_hh`` matters and it can go into the input projection);
    ``_step(gx_t, state, w_hh, b_hh) -> state`` with ``state`` a tuple whose first element is h_t.
    """

    _gates = 1
    _n_states = 1
    _fold_bias = True

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__()
        check_sizes(input_size, hidden_size, num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout: expected a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout={dropout} acts between layers, so it does nothing with num_layers=1",
                          UserWarning, stacklevel=2)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.bidirectional = bool(bias), bool(batch_first), bool(bidirectional)
        self.dropout = float(dropout)
        num_directions = 2 if bidirectional else 1
        G, H = self._gates, hidden_size
        factory = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else H * num_directions
            for reverse in (False, True)[:num_directions]:
                s = param_suffix(layer, reverse)
                setattr(self, f"weight_ih{s}", nn.Parameter(torch.empty(G * H, layer_in, **factory)))
                setattr(self, f"weight_hh{s}", nn.Parameter(torch.empty(G * H, H, **factory)))
                if self.bias:
                    setattr(self, f"bias_ih{s}", nn.Parameter(torch.empty(G * H, **factory)))
                    setattr(self, f"bias_hh{s}", nn.Parameter(torch.empty(G * H, **factory)))
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/√H, 1/√H), as in ``torch.nn``."""
        init_uniform(self)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    def _params(self, layer: int, reverse: bool):
        s = param_suffix(layer, reverse)
        w_ih, w_hh = getattr(self, f"weight_ih{s}"), getattr(self, f"weight_hh{s}")
        b_ih = getattr(self, f"bias_ih{s}") if self.bias else None
        b_hh = getattr(self, f"bias_hh{s}") if self.bias else None
        return w_ih, w_hh, b_ih, b_hh

    def flatten_parameters(self) -> None:
        """Does nothing: there is no cuDNN weight buffer here. Kept so code written for ``torch.nn`` runs."""

    # ---------------------------------------------------------------- checks
    def _check(self, x: torch.Tensor, state) -> tuple[torch.Tensor, list, bool]:
        """Validate; return x as (T, N, D), the initial states as (L, N, H) tensors or None, batched."""
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"input: expected a torch.Tensor, got {type(x).__name__}")
        if x.dim() not in (2, 3):
            raise ValueError(f"input: expected 3 dimensions ({'N, T' if self.batch_first else 'T, N'}, D) "
                             f"or 2 for an unbatched sequence (T, D), got {x.dim()} dimensions {tuple(x.shape)}")
        batched = x.dim() == 3
        w = self.weight_ih_l0
        dims = {"D": self.input_size}
        spec = ("N, T, D" if self.batch_first else "T, N, D") if batched else "T, D"
        check_shape("input", x, spec, dims)
        check_like("input", x, w, "weight_ih_l0")
        if x.shape[1 if batched and self.batch_first else 0] == 0:
            raise ValueError(f"input: expected at least one time step, got shape {tuple(x.shape)}")
        if batched and self.batch_first:
            x = x.transpose(0, 1)  # (T, N, D)
        elif not batched:
            x = x.unsqueeze(1)  # (T, 1, D)
        names = ("h0", "c0")[: self._n_states]
        if state is None:
            states = [None] * self._n_states
        else:
            if self._n_states == 1:
                if not isinstance(state, torch.Tensor):
                    raise ValueError(f"h0: expected a tensor (L, N, H), got {type(state).__name__}")
                states = [state]
            else:
                if not isinstance(state, (tuple, list)) or len(state) != 2:
                    raise ValueError("state: expected a tuple (h0, c0) of tensors (L, N, H), "
                                     f"got {type(state).__name__}")
                states = list(state)
            dims = {"L": self.num_layers * self.num_directions, "N": x.shape[1], "H": self.hidden_size}
            for name, s in zip(names, states):
                check_shape(name, s, "L, N, H" if batched else "L, H", dims)
                check_like(name, s, w, "weight_ih_l0")
            if not batched:
                states = [s.unsqueeze(1) for s in states]  # (L, 1, H)
        return x, states, batched

    # ---------------------------------------------------------------- forward
    def _run_direction(self, gx: torch.Tensor, state: tuple, w_hh, b_hh, reverse: bool):
        """gx (T, N, G·H) -> outputs (T, N, H) and the final state."""
        steps = gx.unbind(0)  # T views of (N, G·H)
        outs = []
        for gx_t in (reversed(steps) if reverse else steps):
            state = self._step(gx_t, state, w_hh, b_hh)
            outs.append(state[0])  # (N, H)
        if reverse:
            outs.reverse()
        return torch.stack(outs, 0), state  # (T, N, H)

    def forward(self, x: torch.Tensor, state=None):
        """x: (T, N, D), or (N, T, D) with batch_first, or (T, D) unbatched; state: see the class docstring.

        Returns ``(out, state_n)``: out (T, N, num_directions·H) (batch first if asked), state_n like state.
        """
        x, states, batched = self._check(x, state)
        T, N, _ = x.shape
        H, dirs = self.hidden_size, self.num_directions
        if states[0] is None:
            zeros = torch.zeros(self.num_layers * dirs, N, H, device=x.device, dtype=x.dtype)  # (L, N, H)
            states = [zeros] * self._n_states
        finals = [[] for _ in range(self._n_states)]
        layer_in = x  # (T, N, D)
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                layer_in = F.dropout(layer_in, self.dropout, training=True)
            outs = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh = self._params(layer, d == 1)
                gx = layer_in @ w_ih.t()  # (T, N, G·H)
                if b_ih is not None:
                    gx = gx + (b_ih + b_hh if self._fold_bias else b_ih)
                    if self._fold_bias:
                        b_hh = None
                k = layer * dirs + d
                out, final = self._run_direction(gx, tuple(s[k] for s in states), w_hh, b_hh, d == 1)
                outs.append(out)
                for f_list, f in zip(finals, final):
                    f_list.append(f)
            layer_in = outs[0] if dirs == 1 else torch.cat(outs, 2)  # (T, N, dirs·H)
        out = layer_in
        state_n = [torch.stack(f, 0) for f in finals]  # (L, N, H)
        if not batched:
            out, state_n = out.squeeze(1), [s.squeeze(1) for s in state_n]
        elif self.batch_first:
            out = out.transpose(0, 1)  # (N, T, dirs·H)
        return out, (state_n[0] if self._n_states == 1 else tuple(state_n))
