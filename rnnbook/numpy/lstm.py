"""Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000):
one step and a whole sequence, forward and backward.

Shape letters: N batch, T time, D input size, H hidden size.

With batch-first rows (the book's column-vector ``W x`` is ``x W`` here), one step reads

    i_t = σ(x_t W_xi + h_{t-1} W_hi + b_i)        input gate
    f_t = σ(x_t W_xf + h_{t-1} W_hf + b_f)        forget gate
    g_t = tanh(x_t W_xg + h_{t-1} W_hg + b_g)     candidate cell
    o_t = σ(x_t W_xo + h_{t-1} W_ho + b_o)        output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)

The four gates are stacked in PyTorch's order (i, f, g, o) along the last axis::

    Wx = [W_xi | W_xf | W_xg | W_xo]: (D, 4H)    Wh = [W_hi | … | W_ho]: (H, 4H)    b = [b_i | … | b_o]: (4H,)

so that ``Wx = weight_ih_l0.T``, ``Wh = weight_hh_l0.T`` and ``b = bias_ih_l0 + bias_hh_l0`` of ``torch.nn.LSTM``
(see :mod:`rnnbook.torch.layout`).

Speed: :func:`lstm_forward` computes the input projection of all T steps as one matrix product
(T·N, D) x (D, 4H) and loops over time only for the recurrent part, writing the gates in place into one
preallocated (T, N, 4H) array; :func:`lstm_backward` stores the pre-activation gradients of every step and
forms dx, dWx, dWh and db with one product (or sum) each after the loop. Arrays keep their dtype (float32 stays
float32). :func:`lstm_gates` returns the gate activations the forward pass kept, for plotting.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook._validate import check_shape
from rnnbook.numpy._sigmoid import sigmoid

__all__ = ["lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward", "lstm_gates"]


class LSTMStepCache(NamedTuple):
    """What :func:`lstm_step_backward` needs from :func:`lstm_step_forward`."""

    x: np.ndarray  # (N, D)
    prev_h: np.ndarray  # (N, H)
    prev_c: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    gates: np.ndarray  # (N, 4H): i, f, g, o after their nonlinearities
    tanh_c: np.ndarray  # (N, H): tanh(next_c)


class LSTMCache(NamedTuple):
    """What :func:`lstm_backward` needs from :func:`lstm_forward`; time-major so that every step is contiguous."""

    x2d: np.ndarray  # (T·N, D): x, time-major, flattened
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    gates: np.ndarray  # (T, N, 4H): i, f, g, o after their nonlinearities
    hs: np.ndarray  # (T+1, N, H): hs[0] = h0, hs[t+1] = h_t
    cs: np.ndarray  # (T+1, N, H): cs[0] = c0, cs[t+1] = c_t
    tanh_c: np.ndarray  # (T, N, H): tanh(c_t)
    has_c0: bool  # whether c0 was given (then lstm_backward also returns dc0)


def _check_weights(Wx, Wh, b, dims) -> None:
    check_shape("Wx", Wx, "D, 4H", dims)
    check_shape("Wh", Wh, "H, 4H", dims)
    check_shape("b", b, "4H", dims)


def _cell_forward(a, prev_c, next_c, tanh_c, next_h) -> None:
    """Gates and new state from the pre-activations of one step, in place.

    a: (N, 4H) pre-activations x Wx + h Wh + b, overwritten with the gates (i, f, g, o).
    prev_c: (N, H). Writes next_c, tanh_c = tanh(next_c) and next_h = o ⊙ tanh_c, each (N, H).
    """
    H = prev_c.shape[1]
    sigmoid(a[:, :2 * H], out=a[:, :2 * H])  # i, f
    np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])  # g
    sigmoid(a[:, 3 * H:], out=a[:, 3 * H:])  # o
    i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    np.multiply(f, prev_c, out=next_c)  # c_t = f ⊙ c_{t-1} + i ⊙ g
    np.multiply(i, g, out=tanh_c)  # (tanh_c as scratch)
    next_c += tanh_c
    np.tanh(next_c, out=tanh_c)
    np.multiply(o, tanh_c, out=next_h)  # h_t = o ⊙ tanh(c_t)


def _cell_backward(dnext_h, dnext_c, gates, prev_c, tanh_c, da, dprev_c, dc, dsig) -> None:
    """Gradients of one step back to its pre-activations and to c_{t-1}.

    dnext_h, dnext_c: (N, H) gradients of h_t and c_t from above (dnext_c from step t+1 only).
    gates: (N, 4H); prev_c, tanh_c: (N, H). Writes da (N, 4H), the gradient of the pre-activations,
    and dprev_c (N, H) = dc_t ⊙ f_t (dprev_c may be the same array as dnext_c).
    dc (N, H) and dsig (N, 4H): scratch arrays, preallocated by the caller once for all steps.
    """
    H = prev_c.shape[1]
    i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    di, df, dg, do = da[:, :H], da[:, H:2 * H], da[:, 2 * H:3 * H], da[:, 3 * H:]
    np.multiply(tanh_c, tanh_c, out=dc)
    np.subtract(1, dc, out=dc)  # (N, H): tanh'(c_t)
    dc *= o
    dc *= dnext_h
    dc += dnext_c  # total dL/dc_t: through h_t = o ⊙ tanh(c_t) and through c_{t+1}
    np.multiply(dnext_h, tanh_c, out=do)  # dL/do
    np.multiply(dc, g, out=di)  # dL/di
    np.multiply(dc, prev_c, out=df)  # dL/df
    np.multiply(dc, i, out=dg)  # dL/dg
    np.multiply(dc, f, out=dprev_c)  # dL/dc_{t-1}
    np.subtract(1, gates, out=dsig)  # (N, 4H): derivatives of the nonlinearities, σ' = s (1 - s) for i, f, o ...
    dsig *= gates
    dg_ = dsig[:, 2 * H:3 * H]
    np.multiply(g, g, out=dg_)  # ... and tanh' = 1 - g² for g
    np.subtract(1, dg_, out=dg_)
    da *= dsig


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b) -> tuple[np.ndarray, np.ndarray, LSTMStepCache]:
    """One LSTM step (equations in the module docstring).

    x: (N, D); prev_h: (N, H); prev_c: (N, H); Wx: (D, 4H); Wh: (H, 4H); b: (4H,), gates stacked (i, f, g, o).
    Returns next_h (N, H), next_c (N, H) and the cache for :func:`lstm_step_backward`.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, D", dims)
    check_shape("prev_h", prev_h, "N, H", dims)
    check_shape("prev_c", prev_c, "N, H", dims)
    _check_weights(Wx, Wh, b, dims)
    a = x @ Wx + prev_h @ Wh + b  # (N, D)x(D, 4H) + (N, H)x(H, 4H) -> (N, 4H)
    H = dims["H"]
    next_h, next_c, tanh_c = (np.empty((x.shape[0], H), dtype=a.dtype) for _ in range(3))  # (N, H) each
    _cell_forward(a, prev_c, next_c, tanh_c, next_h)
    return next_h, next_c, LSTMStepCache(x, prev_h, prev_c, Wx, Wh, a, tanh_c)


def lstm_step_backward(dnext_h, dnext_c, cache: LSTMStepCache) -> tuple[np.ndarray, ...]:
    """Backward of one step. dnext_h, dnext_c: (N, H).

    Returns dx (N, D), dprev_h (N, H), dprev_c (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    x, prev_h, prev_c, Wx, Wh, gates, tanh_c = cache
    dims = {"N": x.shape[0], "H": Wh.shape[0]}
    check_shape("dnext_h", dnext_h, "N, H", dims)
    check_shape("dnext_c", dnext_c, "N, H", dims)
    da = np.empty_like(gates)  # (N, 4H)
    dprev_c = np.empty_like(tanh_c)
    _cell_backward(dnext_h, dnext_c, gates, prev_c, tanh_c, da, dprev_c, np.empty_like(tanh_c), np.empty_like(gates))
    dx = da @ Wx.T  # (N, 4H) x (4H, D) -> (N, D)
    dprev_h = da @ Wh.T  # (N, 4H) x (4H, H) -> (N, H)
    dWx = x.T @ da  # (D, N) x (N, 4H) -> (D, 4H)
    dWh = prev_h.T @ da  # (H, N) x (N, 4H) -> (H, 4H)
    db = da.sum(axis=0)  # (4H,)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b, c0=None) -> tuple[np.ndarray, LSTMCache]:
    """Run the LSTM over a whole sequence.

    x: (N, T, D); h0: (N, H) initial hidden state; Wx: (D, 4H); Wh: (H, 4H); b: (4H,);
    c0: (N, H) initial cell state, or None for zeros (then :func:`lstm_backward` returns no dc0).
    Returns h (N, T, H), the hidden state of every step, and the cache for :func:`lstm_backward`
    (and :func:`lstm_gates`). The dtype is that of the inputs combined (float32 in, float32 out).
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, D", dims)
    check_shape("h0", h0, "N, H", dims)
    _check_weights(Wx, Wh, b, dims)
    if c0 is not None:
        check_shape("c0", c0, "N, H", dims)
    N, T, D = x.shape
    H = dims["H"]
    dtype = np.result_type(x, h0, Wx, Wh, b, *([] if c0 is None else [c0]))
    x2d = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype).reshape(T * N, D)  # (T·N, D), time-major
    gates = np.matmul(x2d, Wx.astype(dtype, copy=False)).reshape(T, N, 4 * H)  # (T·N, D)x(D, 4H) -> (T, N, 4H)
    gates += b
    # one allocation for the three state arrays: a block this large gets huge pages, several small ones do not
    states = np.empty((3, T + 1, N, H), dtype=dtype)
    hs, cs, tanh_c = states[0], states[1], states[2, 1:]  # hs[t+1] = h_t, cs[t+1] = c_t, tanh_c[t] = tanh(c_t)
    hs[0] = h0
    cs[0] = 0 if c0 is None else c0
    Wh_ = Wh.astype(dtype, copy=False)
    hw = np.empty((N, 4 * H), dtype=dtype)
    for t in range(T):
        np.matmul(hs[t], Wh_, out=hw)  # (N, H) x (H, 4H) -> (N, 4H)
        gates[t] += hw  # pre-activations of step t, turned into the gates in place below
        _cell_forward(gates[t], cs[t], cs[t + 1], tanh_c[t], hs[t + 1])
    h = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))  # (N, T, H), a copy: the cache keeps its own
    return h, LSTMCache(x2d, Wx, Wh, gates, hs, cs, tanh_c, c0 is not None)


def lstm_backward(dh, cache: LSTMCache) -> tuple[np.ndarray, ...]:
    """Backpropagation through time over the whole sequence.

    dh: (N, T, H), the upstream gradient of every hidden state (not only the last).
    Returns dx (N, T, D), dh0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,), and dc0 (N, H) last
    when :func:`lstm_forward` was given c0. Gradients have the dtype of the forward pass.
    """
    if not isinstance(cache, LSTMCache):
        raise ValueError(f"cache: expected the cache returned by lstm_forward, got {type(cache).__name__}")
    x2d, Wx, Wh, gates, hs, cs, tanh_c, has_c0 = cache
    T, N, H = tanh_c.shape
    D = x2d.shape[1]
    check_shape("dh", dh, "N, T, H", {"N": N, "T": T, "H": H})
    dtype = gates.dtype
    dh_t = dh.transpose(1, 0, 2)  # (T, N, H) view
    da = np.empty_like(gates)  # (T, N, 4H): gradients of the pre-activations of every step
    dnext_h = np.zeros((N, H), dtype=dtype)  # gradient of h_t from step t+1
    dnext_c = np.zeros((N, H), dtype=dtype)  # gradient of c_t from step t+1
    dh_total, dc = np.empty((N, H), dtype=dtype), np.empty((N, H), dtype=dtype)  # scratch
    dsig = np.empty((N, 4 * H), dtype=dtype)  # scratch
    WhT = np.ascontiguousarray(Wh.T, dtype=dtype)  # (4H, H): a contiguous copy multiplies a little faster
    for t in reversed(range(T)):
        np.add(dh_t[t], dnext_h, out=dh_total)  # (N, H)
        _cell_backward(dh_total, dnext_c, gates[t], cs[t], tanh_c[t], da[t], dnext_c, dc, dsig)
        np.matmul(da[t], WhT, out=dnext_h)  # (N, 4H) x (4H, H) -> (N, H)
    da2 = da.reshape(T * N, 4 * H)
    dx = (da2 @ Wx.astype(dtype, copy=False).T).reshape(T, N, D)  # (T·N, 4H) x (4H, D) -> (T, N, D)
    dx = np.ascontiguousarray(dx.transpose(1, 0, 2))  # (N, T, D)
    dWx = x2d.T @ da2  # (D, T·N) x (T·N, 4H) -> (D, 4H)
    dWh = hs[:-1].reshape(T * N, H).T @ da2  # (H, T·N) x (T·N, 4H) -> (H, 4H)
    db = da2.sum(axis=0)  # (4H,)
    grads = (dx, dnext_h, dWx, dWh, db)
    return grads + (dnext_c,) if has_c0 else grads


def lstm_gates(cache: LSTMCache) -> dict[str, np.ndarray]:
    """The gate activations and cell states of a forward pass, batch first, for plotting.

    cache: the cache returned by :func:`lstm_forward`.
    Returns ``dict(i=…, f=…, g=…, o=…, c=…)``, each (N, T, H): the input, forget and output gates in (0, 1),
    the candidate g in (-1, 1) and the cell state c_t, for t = 1 … T (copies; the cache is not shared).
    """
    if not isinstance(cache, LSTMCache):
        raise ValueError(f"cache: expected the cache returned by lstm_forward, got {type(cache).__name__}")
    H = cache.tanh_c.shape[2]
    out = {k: np.ascontiguousarray(cache.gates[:, :, j * H:(j + 1) * H].transpose(1, 0, 2))
           for j, k in enumerate("ifgo")}
    out["c"] = np.ascontiguousarray(cache.cs[1:].transpose(1, 0, 2))
    return out
