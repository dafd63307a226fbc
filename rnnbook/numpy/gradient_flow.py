"""How far back a gradient reaches: the norm of dL/d(state_t) against the distance in time T - t.

Shape letters: N batch, T time, D input size, H hidden size.

For a loss on the last state only, L = Σ_n u_n · h_T[n] (one unit vector u_n per sequence), backpropagation
through time gives the adjoint of the recurrent state at every earlier step,

    tanh RNN (state h_t):      ∂L/∂h_{t-1} = (∂L/∂h_t ⊙ (1 - h_t²)) W_hᵀ
    LSTM (state (h_t, c_t)):   ∂L/∂c_{t-1} = c̄_t ⊙ f_t  (the constant error carousel),  ∂L/∂h_{t-1} through the gates,

computed here with the step backward functions of :mod:`rnnbook.numpy.rnn` and :mod:`rnnbook.numpy.lstm`.
For the LSTM the norm is that of the whole state, sqrt(‖∂L/∂h_t‖² + ‖∂L/∂c_t‖²) (each partial holding the
other fixed), so that both networks are measured on the state they carry from one step to the next.

:func:`state_gradient_norms` measures one network on one batch; :func:`carousel_profiles` is the
experiment of chapter 5's figure: the same inputs, hidden size and initialisation for a tanh RNN and LSTMs
with given forget-gate biases, averaged over seeds.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_choice, check_shape
from rnnbook.numpy.lstm import lstm_step_backward, lstm_step_forward
from rnnbook.numpy.rnn import rnn_step_backward, rnn_step_forward

__all__ = ["state_gradient_norms", "carousel_profiles"]


def state_gradient_norms(cell, x, h0, Wx, Wh, b, u) -> np.ndarray:
    """‖∂L/∂s_t‖ for L = Σ_n u[n] · h_T[n], against the distance k = T - t, for every sequence.

    cell: "rnn" (s_t = h_t; Wx (D, H), Wh (H, H), b (H,)) or "lstm" (s_t = (h_t, c_t), c_0 = 0; Wx (D, 4H),
    Wh (H, 4H), b (4H,) stacked i, f, g, o). x: (N, T, D); h0: (N, H); u: (N, H), ∂L/∂h_T.

    Returns norms (N, T + 1): norms[:, k] = ‖∂L/∂s_{T-k}‖, so norms[:, 0] = ‖u‖ and norms[:, T] is the
    gradient reaching the initial state.
    """
    check_choice("cell", cell, ("rnn", "lstm"))
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, D", dims)
    check_shape("h0", h0, "N, H", dims)
    gates = "4H" if cell == "lstm" else "H"
    check_shape("Wx", Wx, f"D, {gates}", dims)
    check_shape("Wh", Wh, f"H, {gates}", dims)
    check_shape("b", b, gates, dims)
    check_shape("u", u, "N, H", dims)
    T = x.shape[1]
    h, c, caches = h0, np.zeros_like(h0), []
    for t in range(T):
        if cell == "rnn":
            h, cache = rnn_step_forward(x[:, t], h, Wx, Wh, b)  # (N, H)
        else:
            h, c, cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)  # (N, H), (N, H)
        caches.append(cache)
    norms = np.empty((x.shape[0], T + 1), dtype=np.result_type(x, u))
    dh, dc = np.array(u, copy=True), np.zeros_like(u)  # ∂L/∂h_T, ∂L/∂c_T (h_T held fixed: 0)
    norms[:, 0] = np.linalg.norm(dh, axis=1)
    for k, cache in enumerate(reversed(caches), start=1):
        if cell == "rnn":
            _, dh, *_ = rnn_step_backward(dh, cache)  # ∂L/∂h_{T-k}
            norms[:, k] = np.linalg.norm(dh, axis=1)
        else:
            _, dh, dc, *_ = lstm_step_backward(dh, dc, cache)  # ∂L/∂h_{T-k}, ∂L/∂c_{T-k}
            norms[:, k] = np.sqrt(np.sum(dh ** 2, axis=1) + np.sum(dc ** 2, axis=1))
    return norms


def carousel_profiles(forget_biases=(0.0, 1.0, 3.0), seeds=range(5), N=8, T=100, D=4, H=32) -> dict[str, np.ndarray]:
    """The tanh RNN beside LSTMs on the same data, hidden size and initialisation; geometric means over seeds.

    For each seed: inputs x ~ N(0, 1) of shape (N, T, D), h0 = 0, a unit vector u_n per sequence for ∂L/∂h_T,
    and for both networks every block of Wx drawn N(0, 1/D) and every (H, H) block of Wh N(0, 1/H); biases
    zero except the LSTM's forget-gate block, set to each of ``forget_biases``. The RNN and the LSTMs of one
    seed read the same x and u.

    Returns {"rnn": (T+1,), "lstm, b_f = 1": (T+1,), …}: the geometric mean over the N sequences and the
    seeds of ‖∂L/∂s_{T-k}‖ / ‖∂L/∂h_T‖, indexed by the distance k (so every profile starts at 1).
    """
    for name, v in (("N", N), ("T", T), ("D", D), ("H", H)):
        if int(v) != v or v < 1:
            raise ValueError(f"{name}: expected a positive integer, got {v!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds: expected at least one seed, got none")
    logs: dict[str, list[np.ndarray]] = {"rnn": []}
    logs.update({f"lstm, b_f = {bf:g}": [] for bf in forget_biases})
    for seed in seeds:
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((N, T, D))
        u = rng.standard_normal((N, H))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        h0 = np.zeros((N, H))
        Wx = rng.standard_normal((D, 4 * H)) / np.sqrt(D)  # (D, 4H): the RNN takes the first block
        Wh = rng.standard_normal((H, 4 * H)) / np.sqrt(H)  # (H, 4H)
        logs["rnn"].append(np.log(state_gradient_norms("rnn", x, h0, Wx[:, :H], Wh[:, :H], np.zeros(H), u)))
        for bf in forget_biases:
            b = np.zeros(4 * H)
            b[H:2 * H] = bf  # order i, f, g, o
            logs[f"lstm, b_f = {bf:g}"].append(np.log(state_gradient_norms("lstm", x, h0, Wx, Wh, b, u)))
    return {name: np.exp(np.concatenate(v).mean(axis=0)) for name, v in logs.items()}
