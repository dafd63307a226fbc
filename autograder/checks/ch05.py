"""Checks of chapter 05, the LSTM: one step forward and backward, a sequence, and a PyTorch LSTMCell.

Shape letters: N batch, T time, D input, H hidden. Gates are stacked (i, f, g, o) along the 4H axis.
The backward check builds the cache itself, in the documented format
``(x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c)``, so a mistake in the forward never costs points here.
The PyTorch check loads torch.nn.LSTMCell's state dict into the student's module and compares outputs and
gradients with torch.nn.LSTMCell itself, on CUDA when present.
"""

from __future__ import annotations

import numpy as np

from ..spec import Check
from ._helpers import cases, gradcheck_flags, lin, randn, returns

__all__ = ["CHECKS", "lstm_cache"]

REF = "autograder.reference.ch05"


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow


def lstm_cache(x, prev_h, prev_c, Wx, Wh, b):
    """next_h, next_c and the documented cache of one LSTM step (plain NumPy, gates i, f, g, o)."""
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b  # (N, 4H)
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, b, i, f, g, o, next_c)


def _step_draw(N, D, H, scale=1.0):
    def draw(rng):
        return (randn(rng, N, D), randn(rng, N, H), randn(rng, N, H), randn(rng, D, 4 * H, scale=scale / np.sqrt(D)),
                randn(rng, H, 4 * H, scale=scale / np.sqrt(H)), randn(rng, 4 * H, scale=0.5))
    return draw


def _step_linspace(rng):
    N, D, H = 3, 4, 5
    return (lin((N, D), -0.4, 1.2), lin((N, H), -0.3, 0.7), lin((N, H), -0.4, 0.9), lin((D, 4 * H), -2.1, 1.3),
            lin((H, 4 * H), -0.7, 2.2), lin(4 * H, 0.3, 0.7))


def _run_step_forward(ns, inp):
    next_h, next_c, _cache = returns(ns["lstm_step_forward"](*inp), "lstm_step_forward", ("next_h", "next_c", "cache"))
    return next_h, next_c


LSTM_STEP_FORWARD = Check(
    id="ch05_lstm_step_forward", chapter="ch05", functions=("lstm_step_forward",), reference=REF,
    run=_run_step_forward,
    cases=cases("ch05_lstm_step_forward", _step_linspace, [("random N=2 D=3 H=4", _step_draw(2, 3, 4))],
                [("random N=4 D=5 H=6", _step_draw(4, 5, 6)), ("N=1 D=1 H=2", _step_draw(1, 1, 2)),
                 ("H != D, saturated gates", _step_draw(3, 7, 2, scale=60.0)), ("D=H=3", _step_draw(5, 3, 3))]),
    forbidden=("rnnbook", "torch"),
    description="one LSTM step: gates (i, f, g, o), next_c = f c + i g, next_h = o tanh(next_c)",
    outputs=("next_h", "next_c"),
)


def _back_draw(N, D, H, mode="compare"):
    step = _step_draw(N, D, H)

    def draw(rng):
        return (mode, *step(rng), randn(rng, N, H), randn(rng, N, H))
    return draw


def _back_linspace(rng):
    N, H = 3, 5
    return ("compare", *_step_linspace(rng), lin((N, H), -0.5, 0.5), lin((N, H), -0.3, 0.6))


def _run_step_backward(ns, inp):
    mode, x, prev_h, prev_c, Wx, Wh, b, dnext_h, dnext_c = inp
    _, _, cache = lstm_cache(x, prev_h, prev_c, Wx, Wh, b)
    grads = returns(ns["lstm_step_backward"](dnext_h, dnext_c, cache), "lstm_step_backward",
                    ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"))
    if mode == "compare":
        return tuple(grads)
    arrays = (x, prev_h, prev_c, Wx, Wh, b)

    def loss():
        nh, nc, _ = lstm_cache(*arrays)
        return float(np.sum(nh * dnext_h) + np.sum(nc * dnext_c))
    return (gradcheck_flags(loss, arrays, grads),)


LSTM_STEP_BACKWARD = Check(
    id="ch05_lstm_step_backward", chapter="ch05", functions=("lstm_step_backward",), reference=REF,
    run=_run_step_backward,
    cases=cases("ch05_lstm_step_backward", _back_linspace,
                [("gradient check", _back_draw(2, 3, 4, mode="gradcheck"))],
                [("random N=4 D=5 H=6", _back_draw(4, 5, 6)), ("N=1 D=1 H=2", _back_draw(1, 1, 2)),
                 ("H != D", _back_draw(3, 7, 2)), ("gradient check N=3 D=2 H=3", _back_draw(3, 2, 3, "gradcheck"))]),
    forbidden=("rnnbook", "torch"),
    description="gradients of one LSTM step: dx, dprev_h, dprev_c, dWx, dWh, db",
    outputs=("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"),
)


def _seq_draw(N, T, D, H, scale=1.0):
    def draw(rng):
        return (randn(rng, N, T, D), randn(rng, N, H, scale=0.5), randn(rng, D, 4 * H, scale=scale / np.sqrt(D)),
                randn(rng, H, 4 * H, scale=scale / np.sqrt(H)), randn(rng, 4 * H, scale=0.5))
    return draw


def _seq_linspace(rng):
    N, T, D, H = 2, 3, 5, 4
    return (lin((N, T, D), -0.4, 0.6), lin((N, H), -0.4, 0.8), lin((D, 4 * H), -0.2, 0.9),
            lin((H, 4 * H), -0.3, 0.6), lin(4 * H, 0.2, 0.7))


def _run_seq(ns, inp):
    h, _cache = returns(ns["lstm_forward"](*inp), "lstm_forward", ("h", "cache"))
    return (h,)


LSTM_FORWARD = Check(
    id="ch05_lstm_forward", chapter="ch05", functions=("lstm_forward",), reference=REF, run=_run_seq,
    cases=cases("ch05_lstm_forward", _seq_linspace, [("random N=2 T=4 D=3 H=5", _seq_draw(2, 4, 3, 5))],
                [("random N=3 T=9 D=4 H=6", _seq_draw(3, 9, 4, 6)), ("T=1", _seq_draw(2, 1, 3, 4)),
                 ("H != D, long", _seq_draw(2, 25, 6, 2, scale=2.0)), ("N=1", _seq_draw(1, 5, 2, 3))]),
    forbidden=("rnnbook", "torch"),
    description="all hidden states of an LSTM over a sequence (c_0 = 0), h (N, T, H)",
    outputs=("h",),
)


def _cell_draw(N, D, H, with_state=True, scale=1.0):
    def draw(rng):
        k = 1 / np.sqrt(H)
        return (randn(rng, N, D), randn(rng, N, H) if with_state else np.zeros(0),
                randn(rng, N, H) if with_state else np.zeros(0),
                rng.uniform(-k, k, (4 * H, D)) * scale, rng.uniform(-k, k, (4 * H, H)) * scale,
                rng.uniform(-k, k, 4 * H), rng.uniform(-k, k, 4 * H), randn(rng, N, H), randn(rng, N, H))
    return draw


def _cell_linspace(rng):
    N, D, H = 2, 3, 4
    return (lin((N, D), -0.5, 0.5), lin((N, H), -0.2, 0.3), lin((N, H), -0.6, 0.4), lin((4 * H, D), -0.4, 0.4),
            lin((4 * H, H), -0.3, 0.5), lin(4 * H, -0.1, 0.2), lin(4 * H, 0.0, 0.3), lin((N, H), -1.0, 1.0),
            lin((N, H), 0.5, -0.5))


def _run_cell(ns, inp):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, gh, gc = inp
    N, D = x.shape
    H = w_hh.shape[1]
    state = {"weight_ih": w_ih, "weight_hh": w_hh, "bias_ih": b_ih, "bias_hh": b_hh}
    # forward on (x, (h0, c0)) or on x alone, backward of sum(h * gh) + sum(c * gc), on CUDA when present
    outs, in_grads, p_grads = ns.module("LSTMCell", (D, H), state, (x, (h0, c0) if h0.size else None), (gh, gc))
    if not h0.size:  # no state given: h_0.grad and c_0.grad are zeros on both sides, and the outputs keep their names
        in_grads = (*in_grads, np.zeros((N, H)), np.zeros((N, H)))
    return (*outs, *in_grads, *p_grads)


LSTM_CELL = Check(
    id="ch05_lstm_cell_torch", chapter="ch05", functions=("LSTMCell",), reference=REF, run=_run_cell,
    cases=cases("ch05_lstm_cell_torch", _cell_linspace, [("random N=3 D=4 H=5", _cell_draw(3, 4, 5))],
                [("random N=4 D=6 H=3", _cell_draw(4, 6, 3)), ("no state given (zeros)", _cell_draw(2, 3, 4, False)),
                 ("N=1 D=1 H=2", _cell_draw(1, 1, 2)), ("large weights", _cell_draw(3, 5, 5, scale=20.0))]),
    rtol=1e-7, atol=1e-9,
    # torch._VF's LSTM kernels only: the rest of torch._VF is what Tensor.split and friends call
    forbidden=("rnnbook", "torch.nn.LSTM", "torch.nn.LSTMCell", "torch._VF.lstm", "torch._VF.lstm_cell",
               "torch.lstm", "torch.lstm_cell", "torch._C._VariableFunctions.lstm",
               "torch._C._VariableFunctions.lstm_cell", "torch.nn.modules.rnn"),
    description="a torch.nn.Module with torch.nn.LSTMCell's parameters and results (outputs and gradients)",
    outputs=("h_1", "c_1", "input.grad", "h_0.grad", "c_0.grad", "weight_ih.grad", "weight_hh.grad", "bias_ih.grad",
             "bias_hh.grad"),
)

CHECKS = [LSTM_STEP_FORWARD, LSTM_STEP_BACKWARD, LSTM_FORWARD, LSTM_CELL]
