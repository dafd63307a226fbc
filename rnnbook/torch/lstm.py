r"""Multi-layer LSTM from tensor operations, a drop-in for ``torch.nn.LSTM``.

Shape letters: T time, N batch, D input (``input_size``), H hidden (``hidden_size``),
L = num_layers · num_directions.

For each layer and time step (layer k > 0 reads the previous layer's output, both directions concatenated)::

    i_t = σ(x_t W_ii^T + b_ii + h_{t-1} W_hi^T + b_hi)
    f_t = σ(x_t W_if^T + b_if + h_{t-1} W_hf^T + b_hf)
    g_t = tanh(x_t W_ig^T + b_ig + h_{t-1} W_hg^T + b_hg)
    o_t = σ(x_t W_io^T + b_io + h_{t-1} W_ho^T + b_ho)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

Gate stacking as in ``torch.nn.LSTM``: ``weight_ih_l{k}`` = ``W_ii|W_if|W_ig|W_io``, shape (4H, D) for k = 0
and (4H, num_directions·H) above; ``weight_hh_l{k}`` = ``W_hi|W_hf|W_hg|W_ho`` (4H, H); ``bias_ih_l{k}``,
``bias_hh_l{k}`` (4H,); ``_reverse`` for the backward direction. Only ``b_ih + b_hh`` matters, so the sum goes
into the input projection of all time steps at once.
"""

from __future__ import annotations

from rnnbook.torch._recurrent import RecurrentBase
from rnnbook.torch.cells import lstm_step

__all__ = ["LSTM"]


class LSTM(RecurrentBase):
    """``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``, with ``torch.nn.LSTM``'s arguments and parameter names (no ``proj_size``).

    ``forward(x, state=None) -> (out, (h_n, c_n))``:

    - x: (T, N, D), (N, T, D) with batch_first, or unbatched (T, D);
    - state: (h_0, c_0), each (L, N, H) (unbatched (L, H)), zeros when None;
    - out: (T, N, num_directions·H) (batch first if asked): the last layer's h_t for every t;
    - h_n, c_n: (L, N, H), row ``layer·num_directions + direction``.

    ``dropout`` is applied, as in ``torch.nn``, to the outputs of every layer but the last, in training only.
    Wrong shapes, dtypes or devices raise ValueError, e.g. ``c0: expected (L, N, H) = (1, 3, 20), got (1, 4, 20)``.
    """

    _gates = 4
    _n_states = 2

    def _step(self, gx_t, state, w_hh, b_hh):
        return lstm_step(gx_t, state[0], state[1], w_hh, b_hh)
