"""Checks of chapter 02, the vanilla RNN: one step, a whole sequence, sampling at a temperature.

Shape letters: N batch, T time, D input, H hidden, V vocabulary.
Visible cases: a ``np.linspace`` case with frozen expected numbers and a random case; hidden cases:
other seeds and edge cases (T = 1, N = 1, H ≠ D, large scores), all compared with the reference.
"""

from __future__ import annotations

import numpy as np

from ..spec import Case, Check
from ._helpers import expected, lin, randn, returns

__all__ = ["CHECKS"]

REF = "autograder.reference.ch02"


# --- rnn_step_forward ---------------------------------------------------------------------------

def _step_inputs(N, D, H, scale=1.0):
    def draw(rng):
        return (randn(rng, N, D), randn(rng, N, H), randn(rng, D, H, scale=scale / np.sqrt(D)),
                randn(rng, H, H, scale=scale / np.sqrt(H)), randn(rng, H, scale=0.1))
    return draw


def _step_linspace(rng):
    N, D, H = 3, 10, 4
    return (lin((N, D), -0.4, 0.7), lin((N, H), -0.2, 0.5), lin((D, H), -0.1, 0.9),
            lin((H, H), -0.3, 0.7), lin(H, -0.2, 0.4))


def _run_step(ns, inp):
    next_h, _cache = returns(ns["rnn_step_forward"](*inp), "rnn_step_forward", ("next_h", "cache"))
    return (next_h,)


RNN_STEP_FORWARD = Check(
    id="ch02_rnn_step_forward", chapter="ch02", functions=("rnn_step_forward",), reference=REF,
    run=_run_step,
    cases=(
        Case("linspace", _step_linspace, 0.5, visible=True, expected=expected("ch02_rnn_step_forward")),
        Case("random N=3 D=5 H=4", _step_inputs(3, 5, 4), 0.5, visible=True),
        Case("random N=4 D=6 H=7", _step_inputs(4, 6, 7), 0.5),
        Case("N=1 D=1 H=3", _step_inputs(1, 1, 3), 0.5),
        Case("H != D, large weights", _step_inputs(5, 8, 3, scale=4.0), 0.5),
        Case("saturated (|a| ~ 1000)", _step_inputs(2, 4, 4, scale=400.0), 0.5),
    ),
    forbidden=("rnnbook", "torch"),
    description="next_h = tanh(x Wx + prev_h Wh + b) for one time step",
    outputs=("next_h",),
)


# --- rnn_forward ----------------------------------------------------------------------------------

def _seq_inputs(N, T, D, H, zero_h0=False):
    def draw(rng):
        h0 = np.zeros((N, H)) if zero_h0 else randn(rng, N, H, scale=0.5)
        return (randn(rng, N, T, D), h0, randn(rng, D, H, scale=1 / np.sqrt(D)),
                randn(rng, H, H, scale=1.2 / np.sqrt(H)), randn(rng, H, scale=0.1))
    return draw


def _seq_linspace(rng):
    N, T, D, H = 2, 3, 4, 5
    return (lin((N, T, D), -0.1, 0.3), lin((N, H), -0.3, 0.1), lin((D, H), -0.2, 0.4),
            lin((H, H), -0.4, 0.1), lin(H, -0.7, 0.1))


def _run_seq(ns, inp):
    h, _cache = returns(ns["rnn_forward"](*inp), "rnn_forward", ("h", "cache"))
    return (h,)


RNN_FORWARD = Check(
    id="ch02_rnn_forward", chapter="ch02", functions=("rnn_forward",), reference=REF,
    run=_run_seq,
    cases=(
        Case("linspace", _seq_linspace, 0.5, visible=True, expected=expected("ch02_rnn_forward")),
        Case("random N=2 T=5 D=3 H=4", _seq_inputs(2, 5, 3, 4), 0.5, visible=True),
        Case("random N=3 T=7 D=4 H=6", _seq_inputs(3, 7, 4, 6), 0.5),
        Case("T=1", _seq_inputs(2, 1, 3, 5), 0.5),
        Case("H != D, zero h0", _seq_inputs(4, 6, 9, 2, zero_h0=True), 0.5),
        Case("N=1 T=12", _seq_inputs(1, 12, 2, 3), 0.5),
    ),
    forbidden=("rnnbook", "torch"),
    description="all hidden states of a vanilla RNN over a sequence, h (N, T, H)",
    outputs=("h",),
)


# --- softmax_temperature ----------------------------------------------------------------------------

def _soft_inputs(N, V, scale, tau, offset=0.0):
    def draw(rng):
        return (randn(rng, N, V, scale=scale) + offset, float(tau))
    return draw


def _run_soft(ns, inp):
    return (ns["softmax_temperature"](*inp),)


SOFTMAX_TEMPERATURE = Check(
    id="ch02_softmax_temperature", chapter="ch02", functions=("softmax_temperature",), reference=REF,
    run=_run_soft,
    cases=(
        Case("linspace", lambda rng: (lin((2, 5), -2.0, 3.0), 0.5), 0.25, visible=True,
             expected=expected("ch02_softmax_temperature")),
        Case("random tau=1", _soft_inputs(3, 7, 2.0, 1.0), 0.25, visible=True),
        # s / tau in the hundreds: np.exp overflows (or underflows to 0/0) unless the row's maximum is subtracted
        Case("large scores, tau=0.5 (exp overflows)", _soft_inputs(3, 6, 40.0, 0.5, offset=400.0), 0.25, visible=True),
        Case("scores near -1000, tau=1", _soft_inputs(2, 5, 20.0, 1.0, offset=-1000.0), 0.25, visible=True),
        Case("tau=2", _soft_inputs(4, 11, 3.0, 2.0), 0.5),
        Case("tau=0.25", _soft_inputs(4, 11, 3.0, 0.25), 0.5),
        Case("large scores, tau=0.1", _soft_inputs(3, 6, 10.0, 0.1, offset=100.0), 0.5),
        Case("V=1", _soft_inputs(2, 1, 1.0, 0.7), 0.5),
    ),
    forbidden=("rnnbook", "torch", "scipy"),
    description="p = softmax(s / tau), row-wise and numerically stable",
    outputs=("p",),
)


# --- sample_chars ---------------------------------------------------------------------------------------

def _sample_inputs(N, T, V, H, tau, scale=2.0):
    def draw(rng):
        h0 = randn(rng, N, H, scale=0.5)
        c0 = rng.integers(0, V, size=N)
        return (h0, c0, randn(rng, V, H, scale=1.0), randn(rng, H, H, scale=1 / np.sqrt(H)),
                randn(rng, H, scale=0.1), randn(rng, H, V, scale=scale), randn(rng, V, scale=0.1),
                float(tau), rng.uniform(0.0, 1.0, size=(N, T)))
    return draw


def _sample_linspace(rng):
    N, T, V, H = 2, 4, 5, 3
    return (lin((N, H), -0.3, 0.3), np.array([0, 3]), lin((V, H), -1.0, 1.0), lin((H, H), -0.5, 0.5),
            lin(H, -0.1, 0.1), lin((H, V), -2.0, 2.0), lin(V, -0.2, 0.2), 1.0, lin((N, T), 0.05, 0.95))


def _run_sample(ns, inp):
    return (ns["sample_chars"](*inp),)


SAMPLE_CHARS = Check(
    id="ch02_sample_chars", chapter="ch02", functions=("sample_chars",), reference=REF,
    run=_run_sample,
    cases=(
        Case("linspace", _sample_linspace, 0.5, visible=True, expected=expected("ch02_sample_chars")),
        Case("random tau=1", _sample_inputs(3, 10, 6, 5, 1.0), 0.5, visible=True),
        Case("tau=0.5", _sample_inputs(4, 20, 8, 6, 0.5), 0.5),
        Case("tau=2", _sample_inputs(4, 20, 8, 6, 2.0), 0.5),
        Case("T=1", _sample_inputs(5, 1, 7, 4, 1.0), 0.5),
        Case("N=1, long", _sample_inputs(1, 40, 5, 3, 0.8), 0.5),
    ),
    forbidden=("rnnbook", "torch"),
    description="characters drawn from a character RNN at a temperature, by inverse CDF of given uniforms",
    outputs=("chars",),
)

CHECKS = [RNN_STEP_FORWARD, RNN_FORWARD, SOFTMAX_TEMPERATURE, SAMPLE_CHARS]
