r"""Multi-layer Elman RNN from tensor operations, a drop-in for ``torch.nn.RNN``.

Shape letters: T time, N batch, D input (``input_size``), H hidden (``hidden_size``),
L = num_layers · num_directions.

For each layer and time step (layer k > 0 reads the previous layer's output, both directions concatenated)::

    h_t = φ(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),    φ = tanh or relu

Parameters (per layer k, ``_reverse`` for the backward direction): ``weight_ih_l{k}`` (H, D) for k = 0 and
(H, num_directions·H) above, ``weight_hh_l{k}`` (H, H), ``bias_ih_l{k}`` (H,), ``bias_hh_l{k}`` (H,).
"""

from __future__ import annotations

from rnnbook._validate import check_choice
from rnnbook.torch._recurrent import RecurrentBase
from rnnbook.torch.cells import rnn_step

__all__ = ["RNN"]


class RNN(RecurrentBase):
    """``RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``, with ``torch.nn.RNN``'s arguments and parameter names.

    ``forward(x, state=None) -> (out, h_n)``:

    - x: (T, N, D), (N, T, D) with batch_first, or unbatched (T, D);
    - state: h_0 (L, N, H) (unbatched (L, H)), zeros when None;
    - out: (T, N, num_directions·H) (batch first if asked): the last layer's h_t for every t;
    - h_n: (L, N, H), row ``layer·num_directions + direction``.

    ``dropout`` is applied, as in ``torch.nn``, to the outputs of every layer but the last, in training only.
    Wrong shapes, dtypes or devices raise ValueError, e.g. ``h0: expected (L, N, H) = (1, 3, 20), got (1, 4, 20)``.
    """

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype)

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}")

    def _step(self, gx_t, state, w_hh, b_hh):
        return (rnn_step(gx_t, state[0], w_hh, b_hh, self.nonlinearity),)
