"""The one place where the NumPy reference's weight layout meets ``torch.nn``'s.

NumPy reference (batch first, weights shaped (in, out), gates stacked in PyTorch's order)::

    Wx: (D, G·H)    Wh: (H, G·H)    b: (G·H,)          (RNN G=1, LSTM G=4 (i, f, g, o), GRU G=3 (r, z, n))

``torch.nn`` (weights shaped (out, in), two biases)::

    weight_ih_l{k}[_reverse]: (G·H, D)   weight_hh_l{k}: (G·H, H)   bias_ih_l{k}: (G·H,)   bias_hh_l{k}: (G·H,)

For the RNN and the LSTM only the sum ``bias_ih + bias_hh`` matters, so NumPy's single ``b`` becomes
``bias_ih`` with ``bias_hh = 0``. The GRU keeps both: ``b_hn`` sits inside ``r ⊙ (h W_hn + b_hn)``, so the
NumPy GRU takes ``bx`` and ``bh`` separately.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["param_suffix", "to_torch_params", "from_torch_params"]


def param_suffix(layer: int = 0, reverse: bool = False) -> str:
    """``"_l0"``, ``"_l1_reverse"``, … as in ``torch.nn.RNNBase``."""
    return f"_l{layer}" + ("_reverse" if reverse else "")


def to_torch_params(Wx: np.ndarray, Wh: np.ndarray, bx: np.ndarray, bh: np.ndarray | None = None, *,
                    layer: int = 0, reverse: bool = False, dtype: torch.dtype | None = None,
                    device: torch.device | str | None = None) -> dict[str, torch.Tensor]:
    """NumPy (Wx (D, GH), Wh (H, GH), bx (GH,), bh (GH,) or None) -> a ``torch.nn`` state-dict fragment."""
    if Wx.ndim != 2 or Wh.ndim != 2 or Wh.shape[1] != Wx.shape[1] or Wh.shape[1] % Wh.shape[0]:
        raise ValueError(f"Wx, Wh: expected (D, GH) and (H, GH), got {Wx.shape} and {Wh.shape}")
    if bx.shape != (Wx.shape[1],) or (bh is not None and bh.shape != (Wx.shape[1],)):
        raise ValueError(f"bx, bh: expected ({Wx.shape[1]},), got {bx.shape} and {None if bh is None else bh.shape}")
    s = param_suffix(layer, reverse)
    dtype = dtype or (torch.float64 if Wx.dtype == np.float64 else torch.float32)

    def t(a):
        return torch.tensor(np.ascontiguousarray(a), dtype=dtype, device=device)

    return {
        f"weight_ih{s}": t(Wx.T),                              # (GH, D)
        f"weight_hh{s}": t(Wh.T),                              # (GH, H)
        f"bias_ih{s}": t(bx),                                  # (GH,)
        f"bias_hh{s}": t(np.zeros_like(bx) if bh is None else bh),  # (GH,)
    }


def from_torch_params(params, *, layer: int = 0, reverse: bool = False, merge_bias: bool = True) -> tuple:
    """A ``torch.nn`` state dict (or named parameters) -> NumPy float64 arrays.

    merge_bias=True: ``(Wx, Wh, b)`` with ``b = bias_ih + bias_hh`` (RNN, LSTM);
    merge_bias=False: ``(Wx, Wh, bx, bh)`` (GRU). A module without biases gives zero biases.
    """
    params = dict(params)
    s = param_suffix(layer, reverse)
    try:
        w_ih, w_hh = params[f"weight_ih{s}"], params[f"weight_hh{s}"]
    except KeyError as exc:
        raise ValueError(f"params: expected weight_ih{s} and weight_hh{s}, got {sorted(params)}") from exc

    def n(t):
        return t.detach().cpu().double().numpy().copy()

    zero = torch.zeros(w_ih.shape[0])
    bx, bh = n(params.get(f"bias_ih{s}", zero)), n(params.get(f"bias_hh{s}", zero))
    Wx, Wh = n(w_ih).T.copy(), n(w_hh).T.copy()  # (D, GH), (H, GH)
    return (Wx, Wh, bx + bh) if merge_bias else (Wx, Wh, bx, bh)
