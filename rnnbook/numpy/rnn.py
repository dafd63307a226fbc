"""Vanilla (Elman) RNN: one step and a whole sequence, forward and backward.

Shape letters: N batch, T time, D input size, H hidden size.

The book writes the recurrence with column vectors,

    h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h),

and this code uses batch-first rows, h_t = tanh(x_t Wx + h_{t-1} Wh + b), so that
Wx = W_xhᵀ (D, H), Wh = W_hhᵀ (H, H) and b = b_h (H,). (``torch.nn.RNN`` stores
``weight_ih_l0 = W_xh`` and ``weight_hh_l0 = W_hh``; see :mod:`rnnbook.torch.layout`.)

Speed: :func:`rnn_forward` computes the input projection of all T steps as one matrix product
(N·T, D) x (D, H) and loops over time only for the recurrent part; :func:`rnn_backward` accumulates
the recurrent gradient in the loop and forms dx and dWx with one product each after it.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape

__all__ = ["rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward"]


def _check_weights(Wx, Wh, b, dims) -> None:
    check_shape("Wx", Wx, "D, H", dims)
    check_shape("Wh", Wh, "H, H", dims)
    check_shape("b", b, "H", dims)


def rnn_step_forward(x, prev_h, Wx, Wh, b) -> tuple[np.ndarray, tuple]:
    """One step: next_h = tanh(x Wx + prev_h Wh + b).

    x: (N, D); prev_h: (N, H); Wx: (D, H); Wh: (H, H); b: (H,).
    Returns next_h (N, H) and the cache for :func:`rnn_step_backward`.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, D", dims)
    check_shape("prev_h", prev_h, "N, H", dims)
    _check_weights(Wx, Wh, b, dims)
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, D)x(D, H) + (N, H)x(H, H) -> (N, H)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache) -> tuple[np.ndarray, ...]:
    """dnext_h: (N, H). Returns dx (N, D), dprev_h (N, H), dWx (D, H), dWh (H, H), db (H,)."""
    x, prev_h, Wx, Wh, next_h = cache
    check_shape("dnext_h", dnext_h, "N, H", {"N": x.shape[0], "H": Wh.shape[0]})
    da = dnext_h * (1 - next_h ** 2)  # (N, H): through tanh
    dx = da @ Wx.T  # (N, H) x (H, D) -> (N, D)
    dprev_h = da @ Wh.T  # (N, H) x (H, H) -> (N, H)
    dWx = x.T @ da  # (D, N) x (N, H) -> (D, H)
    dWh = prev_h.T @ da  # (H, N) x (N, H) -> (H, H)
    db = da.sum(axis=0)  # (H,)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b) -> tuple[np.ndarray, tuple]:
    """Run the RNN over a sequence: h[:, t] = tanh(x[:, t] Wx + h[:, t-1] Wh + b), h[:, -1] := h0.

    x: (N, T, D); h0: (N, H) initial state (pass zeros for a zero start); Wx: (D, H); Wh: (H, H); b: (H,).
    Returns h (N, T, H), all hidden states, and the cache for :func:`rnn_backward`.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, D", dims)
    check_shape("h0", h0, "N, H", dims)
    _check_weights(Wx, Wh, b, dims)
    N, T, D = x.shape
    H = h0.shape[1]
    dtype = np.result_type(x, h0, Wx, Wh, b)
    xw = (x.reshape(N * T, D) @ Wx + b).reshape(N, T, H)  # (NT, D) x (D, H) -> (N, T, H), all steps at once
    h = np.empty((N, T, H), dtype=dtype)
    prev = h0
    for t in range(T):
        prev = np.tanh(xw[:, t] + prev @ Wh)  # (N, H)
        h[:, t] = prev
    return h, (x, h0, Wx, Wh, h)


def rnn_backward(dh, cache) -> tuple[np.ndarray, ...]:
    """Backpropagation through time over the whole sequence.

    dh: (N, T, H), the upstream gradient of every hidden state (not only the last).
    Returns dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    H = h0.shape[1]
    check_shape("dh", dh, "N, T, H", {"N": N, "T": T, "H": H})
    da = np.empty_like(h)  # (N, T, H): gradients at the pre-activations
    dprev = np.zeros_like(h0)  # (N, H): gradient flowing back from step t+1
    for t in reversed(range(T)):
        da[:, t] = (dh[:, t] + dprev) * (1 - h[:, t] ** 2)  # (N, H)
        dprev = da[:, t] @ Wh.T  # (N, H) x (H, H) -> (N, H)
    h_prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)  # (N, T, H): h_{t-1} for every t
    da2 = da.reshape(N * T, H)
    dx = (da2 @ Wx.T).reshape(N, T, D)  # (NT, H) x (H, D) -> (N, T, D)
    dWx = x.reshape(N * T, D).T @ da2  # (D, NT) x (NT, H) -> (D, H)
    dWh = h_prev.reshape(N * T, H).T @ da2  # (H, NT) x (NT, H) -> (H, H)
    db = da2.sum(axis=0)  # (H,)
    return dx, dprev, dWx, dWh, db
