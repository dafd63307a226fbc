"""Gated recurrent unit (Cho et al. 2014): one step and a whole sequence, forward and backward.

Shape letters: N batch, T time, D input size, H hidden size.

With batch-first rows (the book's column-vector ``W x`` is ``x W`` here), one step of the default
``variant="pytorch"`` reads, exactly as ``torch.nn.GRU``,

    r_t = σ(x_t W_xr + b_xr + h_{t-1} W_hr + b_hr)              reset gate
    z_t = σ(x_t W_xz + b_xz + h_{t-1} W_hz + b_hz)              update gate
    n_t = tanh(x_t W_xn + b_xn + r_t ⊙ (h_{t-1} W_hn + b_hn))   candidate state
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

``variant="cho"`` is the paper's candidate, with the reset gate applied to h_{t-1} *before* the product:

    n_t = tanh(x_t W_xn + b_xn + (r_t ⊙ h_{t-1}) W_hn + b_hn)

Where this differs from the paper on purpose: the default follows PyTorch (and cuDNN), which apply r_t *after*
the product h_{t-1} W_hn, so that the three recurrent products form one (N, H) x (H, 3H) product per step;
"cho" needs two dependent products per step. Both keep a hidden-side bias b_h next to b_x: in the "pytorch"
variant b_hn sits inside r_t ⊙ (…) and cannot be merged into b_xn. The paper also writes
h_t = z_t ⊙ h_{t-1} + (1 - z_t) ⊙ n_t with the same meaning of z_t, which both variants follow.

The three gates are stacked in PyTorch's order (r, z, n) along the last axis::

    Wx = [W_xr | W_xz | W_xn]: (D, 3H)    Wh = [W_hr | W_hz | W_hn]: (H, 3H)    bx, bh: (3H,)

so that ``Wx = weight_ih_l0.T``, ``Wh = weight_hh_l0.T``, ``bx = bias_ih_l0``, ``bh = bias_hh_l0`` of
``torch.nn.GRU`` (see :mod:`rnnbook.torch.layout`).

Speed: :func:`gru_forward` computes the input projection of all T steps as one product (T·N, D) x (D, 3H) and
loops over time only for the recurrent part; :func:`gru_backward` stores the pre-activation gradients of every
step and forms dx, dWx, dWh, dbx and dbh with one product (or sum) each after the loop. Arrays keep their dtype.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook._validate import check_choice, check_shape
from rnnbook.numpy._sigmoid import sigmoid

__all__ = ["gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"]

VARIANTS = ("pytorch", "cho")


class GRUStepCache(NamedTuple):
    """What :func:`gru_step_backward` needs from :func:`gru_step_forward`."""

    x: np.ndarray  # (N, D)
    prev_h: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    gates: np.ndarray  # (N, 3H): r, z, n after their nonlinearities
    hn: np.ndarray  # (N, H): "pytorch": h_{t-1} W_hn + b_hn; "cho": r ⊙ h_{t-1}
    variant: str


class GRUCache(NamedTuple):
    """What :func:`gru_backward` needs from :func:`gru_forward`; time-major so that every step is contiguous."""

    x2d: np.ndarray  # (T·N, D): x, time-major, flattened
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    gates: np.ndarray  # (T, N, 3H): r, z, n after their nonlinearities
    hs: np.ndarray  # (T+1, N, H): hs[0] = h0, hs[t+1] = h_t
    hn: np.ndarray  # (T, N, H): as in GRUStepCache, for every step
    variant: str


def _check(Wx, Wh, bx, bh, variant, dims) -> None:
    check_shape("Wx", Wx, "D, 3H", dims)
    check_shape("Wh", Wh, "H, 3H", dims)
    check_shape("bx", bx, "3H", dims)
    check_shape("bh", bh, "3H", dims)
    check_choice("variant", variant, VARIANTS)


def _cell_forward(a, prev_h, Wh, bh, variant, hn, next_h) -> None:
    """One step from the input-side pre-activations, in place.

    a: (N, 3H) x Wx + bx, overwritten with the gates (r, z, n); prev_h: (N, H); Wh: (H, 3H); bh: (3H,).
    Writes hn (N, H) (see GRUStepCache) and next_h (N, H).
    """
    H = prev_h.shape[1]
    rz, an = a[:, :2 * H], a[:, 2 * H:]
    if variant == "pytorch":
        hw = prev_h @ Wh  # (N, H) x (H, 3H) -> (N, 3H)
        hw += bh
        rz += hw[:, :2 * H]
        sigmoid(rz, out=rz)  # r, z
        hn[...] = hw[:, 2 * H:]  # h W_hn + b_hn
        an += a[:, :H] * hn  # + r ⊙ (h W_hn + b_hn)
    else:  # "cho"
        rz += prev_h @ Wh[:, :2 * H]  # (N, H) x (H, 2H) -> (N, 2H)
        rz += bh[:2 * H]
        sigmoid(rz, out=rz)  # r, z
        np.multiply(a[:, :H], prev_h, out=hn)  # r ⊙ h
        an += hn @ Wh[:, 2 * H:]  # + (r ⊙ h) W_hn: (N, H) x (H, H) -> (N, H)
        an += bh[2 * H:]
    np.tanh(an, out=an)  # n
    z, n = a[:, H:2 * H], an
    np.subtract(prev_h, n, out=next_h)  # h_t = n + z ⊙ (h_{t-1} - n) = (1 - z) ⊙ n + z ⊙ h_{t-1}
    next_h *= z
    next_h += n


def _cell_backward(dnext_h, gates, prev_h, hn, Wh, variant, dax, dah, dprev_h) -> None:
    """Gradients of one step: dnext_h (N, H) -> dax (N, 3H), the gradient of x Wx + bx, dah (N, 3H), the gradient
    of the hidden-side pre-activations (h W_h + b_h, or for n in "cho" (r ⊙ h) W_hn + b_hn), and dprev_h (N, H)."""
    H = prev_h.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
    dar, daz, dan = dax[:, :H], dax[:, H:2 * H], dax[:, 2 * H:]
    np.subtract(prev_h, n, out=daz)  # dL/dz = dh ⊙ (h_{t-1} - n)
    daz *= dnext_h
    np.multiply(dnext_h, 1 - z, out=dan)  # dL/dn = dh ⊙ (1 - z)
    dan *= 1 - n * n  # through tanh
    if variant == "pytorch":
        np.multiply(dan, hn, out=dar)  # dL/dr = dan ⊙ (h W_hn + b_hn)
        np.multiply(dan, r, out=dah[:, 2 * H:])  # gradient of h W_hn + b_hn
    else:  # "cho"
        dah[:, 2 * H:] = dan  # gradient of (r ⊙ h) W_hn + b_hn
        drh = dan @ Wh[:, 2 * H:].T  # gradient of r ⊙ h: (N, H) x (H, H) -> (N, H)
        np.multiply(drh, prev_h, out=dar)  # dL/dr
    dsig = 1 - gates[:, :2 * H]  # (N, 2H): σ' = s (1 - s) for r and z
    dsig *= gates[:, :2 * H]
    dax[:, :2 * H] *= dsig
    dah[:, :2 * H] = dax[:, :2 * H]
    np.multiply(dnext_h, z, out=dprev_h)  # directly through z ⊙ h_{t-1}
    if variant == "pytorch":
        dprev_h += dah @ Wh.T  # (N, 3H) x (3H, H) -> (N, H)
    else:
        drh *= r
        dprev_h += drh  # through r ⊙ h_{t-1}
        dprev_h += dah[:, :2 * H] @ Wh[:, :2 * H].T  # (N, 2H) x (2H, H) -> (N, H)


def gru_step_forward(x, prev_h, Wx, Wh, bx, bh, variant: str = "pytorch") -> tuple[np.ndarray, GRUStepCache]:
    """One GRU step (equations and variants in the module docstring).

    x: (N, D); prev_h: (N, H); Wx: (D, 3H); Wh: (H, 3H); bx, bh: (3H,), gates stacked (r, z, n);
    variant: "pytorch" (default, as torch.nn.GRU) or "cho" (reset before the product, as in the paper).
    Returns next_h (N, H) and the cache for :func:`gru_step_backward`.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, D", dims)
    check_shape("prev_h", prev_h, "N, H", dims)
    _check(Wx, Wh, bx, bh, variant, dims)
    a = x @ Wx + bx  # (N, D) x (D, 3H) -> (N, 3H)
    dtype = np.result_type(a, prev_h, Wh, bh)
    a = a.astype(dtype, copy=False)
    hn, next_h = np.empty_like(a[:, :dims["H"]]), np.empty_like(a[:, :dims["H"]])  # (N, H) each
    _cell_forward(a, prev_h, Wh, bh, variant, hn, next_h)
    return next_h, GRUStepCache(x, prev_h, Wx, Wh, a, hn, variant)


def gru_step_backward(dnext_h, cache: GRUStepCache) -> tuple[np.ndarray, ...]:
    """Backward of one step. dnext_h: (N, H).

    Returns dx (N, D), dprev_h (N, H), dWx (D, 3H), dWh (H, 3H), dbx (3H,), dbh (3H,).
    """
    x, prev_h, Wx, Wh, gates, hn, variant = cache
    H = Wh.shape[0]
    check_shape("dnext_h", dnext_h, "N, H", {"N": x.shape[0], "H": H})
    dax, dah = np.empty_like(gates), np.empty_like(gates)  # (N, 3H) each
    dprev_h = np.empty_like(hn)
    _cell_backward(dnext_h, gates, prev_h, hn, Wh, variant, dax, dah, dprev_h)
    dx = dax @ Wx.T  # (N, 3H) x (3H, D) -> (N, D)
    dWx = x.T @ dax  # (D, N) x (N, 3H) -> (D, 3H)
    hin_n = prev_h if variant == "pytorch" else hn  # what W_hn multiplies
    dWh = np.concatenate([prev_h.T @ dah[:, :2 * H], hin_n.T @ dah[:, 2 * H:]], axis=1)  # (H, 3H)
    return dx, dprev_h, dWx, dWh, dax.sum(axis=0), dah.sum(axis=0)


def gru_forward(x, h0, Wx, Wh, bx, bh, variant: str = "pytorch") -> tuple[np.ndarray, GRUCache]:
    """Run the GRU over a whole sequence.

    x: (N, T, D); h0: (N, H) initial state (pass zeros for a zero start); Wx: (D, 3H); Wh: (H, 3H);
    bx, bh: (3H,); variant: "pytorch" (default) or "cho".
    Returns h (N, T, H), the hidden state of every step, and the cache for :func:`gru_backward`.
    The dtype is that of the inputs combined (float32 in, float32 out).
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, D", dims)
    check_shape("h0", h0, "N, H", dims)
    _check(Wx, Wh, bx, bh, variant, dims)
    N, T, D = x.shape
    H = dims["H"]
    dtype = np.result_type(x, h0, Wx, Wh, bx, bh)
    Wx, Wh, bh = (w.astype(dtype, copy=False) for w in (Wx, Wh, bh))
    x2d = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype).reshape(T * N, D)  # (T·N, D), time-major
    gates = np.matmul(x2d, Wx).reshape(T, N, 3 * H)  # (T·N, D) x (D, 3H) -> (T, N, 3H)
    gates += bx
    # one allocation for both state arrays: a block this large gets huge pages, two smaller ones may not
    states = np.empty((2, T + 1, N, H), dtype=dtype)
    hs, hn = states[0], states[1, :T]  # hs[t+1] = h_t; hn[t] as in GRUStepCache, (T, N, H)
    hs[0] = h0
    for t in range(T):
        _cell_forward(gates[t], hs[t], Wh, bh, variant, hn[t], hs[t + 1])
    h = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))  # (N, T, H), a copy: the cache keeps its own
    return h, GRUCache(x2d, Wx, Wh, gates, hs, hn, variant)


def gru_backward(dh, cache: GRUCache) -> tuple[np.ndarray, ...]:
    """Backpropagation through time over the whole sequence.

    dh: (N, T, H), the upstream gradient of every hidden state (not only the last).
    Returns dx (N, T, D), dh0 (N, H), dWx (D, 3H), dWh (H, 3H), dbx (3H,), dbh (3H,), in the dtype of the forward.
    """
    if not isinstance(cache, GRUCache):
        raise ValueError(f"cache: expected the cache returned by gru_forward, got {type(cache).__name__}")
    x2d, Wx, Wh, gates, hs, hn, variant = cache
    T, N, H = hn.shape
    D = x2d.shape[1]
    check_shape("dh", dh, "N, T, H", {"N": N, "T": T, "H": H})
    dtype = gates.dtype
    dh_t = dh.transpose(1, 0, 2)  # (T, N, H) view
    dax, dah = np.empty_like(gates), np.empty_like(gates)  # (T, N, 3H) each
    dnext_h = np.zeros((N, H), dtype=dtype)  # gradient of h_t from step t+1
    dh_total = np.empty((N, H), dtype=dtype)
    for t in reversed(range(T)):
        np.add(dh_t[t], dnext_h, out=dh_total)  # (N, H)
        _cell_backward(dh_total, gates[t], hs[t], hn[t], Wh, variant, dax[t], dah[t], dnext_h)
    dax2, dah2 = dax.reshape(T * N, 3 * H), dah.reshape(T * N, 3 * H)
    dx = (dax2 @ Wx.T).reshape(T, N, D)  # (T·N, 3H) x (3H, D) -> (T, N, D)
    dx = np.ascontiguousarray(dx.transpose(1, 0, 2))  # (N, T, D)
    dWx = x2d.T @ dax2  # (D, T·N) x (T·N, 3H) -> (D, 3H)
    hs2 = hs[:-1].reshape(T * N, H)  # h_{t-1} of every step
    if variant == "pytorch":
        dWh = hs2.T @ dah2  # (H, T·N) x (T·N, 3H) -> (H, 3H)
    else:  # W_hr, W_hz multiply h_{t-1}; W_hn multiplies r ⊙ h_{t-1}
        dWh = np.concatenate([hs2.T @ dah2[:, :2 * H], hn.reshape(T * N, H).T @ dah2[:, 2 * H:]], axis=1)
    return dx, dnext_h, dWx, dWh, dax2.sum(axis=0), dah2.sum(axis=0)
