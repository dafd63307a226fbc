r"""Multi-layer GRU from tensor operations, a drop-in for ``torch.nn.GRU``.

Shape letters: T time, N batch, D input (``input_size``), H hidden (``hidden_size``),
L = num_layers · num_directions.

For each layer and time step (layer k > 0 reads the previous layer's output, both directions concatenated)::

    r_t = σ(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)
    z_t = σ(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)
    n_t = tanh(x_t W_in^T + b_in + r_t ⊙ (h_{t-1} W_hn^T + b_hn))
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

As in ``torch.nn.GRU`` (and cuDNN), n_t applies r_t *after* the product ``h_{t-1} W_hn^T + b_hn``, where Cho et
al. (2014) write ``W_hn (r_t ⊙ h_{t-1})``; so b_hn stays in the loop and the two biases are kept apart.

Gate stacking: ``weight_ih_l{k}`` = ``W_ir|W_iz|W_in``, shape (3H, D) for k = 0 and (3H, num_directions·H)
above; ``weight_hh_l{k}`` = ``W_hr|W_hz|W_hn`` (3H, H); ``bias_ih_l{k}``, ``bias_hh_l{k}`` (3H,); ``_reverse``
for the backward direction.
"""

from __future__ import annotations

from rnnbook.torch._recurrent import RecurrentBase
from rnnbook.torch.cells import gru_step

__all__ = ["GRU"]


class GRU(RecurrentBase):
    """``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``, with ``torch.nn.GRU``'s arguments and parameter names.

    ``forward(x, state=None) -> (out, h_n)``:

    - x: (T, N, D), (N, T, D) with batch_first, or unbatched (T, D);
    - state: h_0 (L, N, H) (unbatched (L, H)), zeros when None;
    - out: (T, N, num_directions·H) (batch first if asked): the last layer's h_t for every t;
    - h_n: (L, N, H), row ``layer·num_directions + direction``.

    ``dropout`` is applied, as in ``torch.nn``, to the outputs of every layer but the last, in training only.
    Wrong shapes, dtypes or devices raise ValueError, e.g. ``h0: expected (L, N, H) = (1, 3, 20), got (1, 4, 20)``.
    """

    _gates = 3
    _fold_bias = False

    def _step(self, gx_t, state, w_hh, b_hh):
        return (gru_step(gx_t, state[0], w_hh, b_hh),)
