"""Vanilla RNN: fixed values, finite differences, torch.nn.RNN, edge cases and bad input."""

import numpy as np
import pytest
import torch
from torch.func import functional_call
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

from rnnbook.numpy import rel_error, rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from rnnbook.torch.layout import from_torch_params, to_torch_params


# Centred-difference step. With h = 1e-6 the rounding error of f(x ± h) (~1e-16 / h) reaches 1e-7 relative
# on the smaller gradient entries of a random draw; h = 1e-5 keeps truncation (~h²) and rounding both far below
# the bounds (worst case over 30 seeds: 9e-9 for a step, 1e-7 for T = 10).
FD_H = 1e-5


def rnn_inputs(rng, N, T, D, H, zero_h0=False):
    """x ~ N(0, 1), weights ~ N(0, 0.3²), h0 ~ N(0, 0.5²) or zeros."""
    x = rng.standard_normal((N, T, D))
    h0 = np.zeros((N, H)) if zero_h0 else 0.5 * rng.standard_normal((N, H))
    return [x, h0, 0.3 * rng.standard_normal((D, H)), 0.3 * rng.standard_normal((H, H)),
            0.3 * rng.standard_normal(H)]


def torch_step(x, prev_h, Wx, Wh, b):
    return torch.tanh(x @ Wx + prev_h @ Wh + b)


def torch_nn_rnn(x, h0, Wx, Wh, b):
    """torch.nn.RNN (batch first) run on the given weights: weight_ih = Wxᵀ, weight_hh = Whᵀ."""
    D, H = Wx.shape
    module = torch.nn.RNN(D, H, batch_first=True).double()
    params = {"weight_ih_l0": Wx.T, "weight_hh_l0": Wh.T, "bias_ih_l0": b, "bias_hh_l0": torch.zeros_like(b)}
    out, _ = functional_call(module, params, (x, h0[None]))
    return out


# ------------------------------------------------------------------------------------ fixed values
def test_rnn_step_forward_linspace():
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)
    next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
    expected = np.array([[-0.5817208894, -0.5018203226, -0.4123277085, -0.3141009840],
                         [0.6685469230, 0.7956237812, 0.8775555281, 0.9279596661],
                         [0.9793450054, 0.9914421288, 0.9964669105, 0.9985435332]])
    assert rel_error(next_h, expected) < 1e-7


def test_rnn_forward_linspace():
    N, T, D, H = 2, 3, 4, 5
    x = np.linspace(-0.1, 0.3, num=N * T * D).reshape(N, T, D)
    h0 = np.linspace(-0.3, 0.1, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.2, 0.4, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.4, 0.1, num=H * H).reshape(H, H)
    b = np.linspace(-0.7, 0.1, num=H)
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    expected = np.array([
        [[-0.4207074942, -0.2727926124, -0.1107494520, 0.0574040860, 0.2223625070],
         [-0.3952580808, -0.2255466056, -0.0409453971, 0.1464941193, 0.3239731603],
         [-0.4230511116, -0.2422372755, -0.0428702695, 0.1599704463, 0.3501452527]],
        [[-0.5585747447, -0.3906582466, -0.1919818177, 0.0237840763, 0.2373567088],
         [-0.2715019860, -0.0708880427, 0.1356293887, 0.3309972767, 0.5015876838],
         [-0.5101482462, -0.3052442859, -0.0675520165, 0.1780639206, 0.4033304299]]])
    assert rel_error(h, expected) < 1e-7


# ---------------------------------------------------------------------------------------- one step
@pytest.mark.parametrize("N,D,H", [(3, 5, 4), (1, 4, 4), (2, 2, 6)])
def test_rnn_step_backward(rng, N, D, H):
    x, h0, Wx, Wh, b = rnn_inputs(rng, N, 1, D, H)
    inputs = [x[:, 0], h0, Wx, Wh, b]
    pair = numpy_pair(rnn_step_forward, rnn_step_backward)
    assert_twins(pair, finite_differences(rnn_step_forward, h=FD_H), inputs, tol=1e-7)
    assert_twins(pair, torch_autograd(torch_step), inputs, tol=1e-10)


# ---------------------------------------------------------------------------------------- sequence
@pytest.mark.parametrize("N,T,D,H,zero_h0", [(2, 10, 3, 4, False), (3, 1, 4, 5, False), (1, 12, 5, 3, True)])
def test_rnn_backward_finite_differences(rng, N, T, D, H, zero_h0):
    inputs = rnn_inputs(rng, N, T, D, H, zero_h0)
    assert_twins(numpy_pair(rnn_forward, rnn_backward), finite_differences(rnn_forward, h=FD_H), inputs,
                 tol=1e-7 if T == 1 else 1e-6)


@pytest.mark.parametrize("N,T,D,H,zero_h0", [(2, 10, 3, 4, False), (1, 1, 4, 6, True), (4, 7, 6, 2, False)])
def test_rnn_against_torch_nn_rnn(rng, N, T, D, H, zero_h0):
    inputs = rnn_inputs(rng, N, T, D, H, zero_h0)
    assert_twins(numpy_pair(rnn_forward, rnn_backward), torch_autograd(torch_nn_rnn), inputs, tol=1e-10)


def test_rnn_layout_round_trip_with_torch_module(rng):
    """Weights taken from a torch.nn.RNN through from_torch_params give the module's output, and back."""
    N, T, D, H = 2, 5, 3, 4
    module = torch.nn.RNN(D, H, batch_first=True).double()
    Wx, Wh, b = from_torch_params(module.state_dict())
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    expected, _ = module(torch.tensor(x), torch.tensor(h0)[None])
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    assert rel_error(h, expected.detach().numpy()) < 1e-10
    module2 = torch.nn.RNN(D, H, batch_first=True).double()
    module2.load_state_dict(to_torch_params(Wx, Wh, b))
    assert rel_error(module2(torch.tensor(x), torch.tensor(h0)[None])[0].detach().numpy(), h) < 1e-10


def test_rnn_forward_backward_equal_the_loop_of_steps(rng):
    N, T, D, H = 2, 6, 3, 5
    x, h0, Wx, Wh, b = rnn_inputs(rng, N, T, D, H)
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    prev, caches = h0, []
    for t in range(T):
        prev, c = rnn_step_forward(x[:, t], prev, Wx, Wh, b)
        caches.append(c)
        assert rel_error(h[:, t], prev) < 1e-12
    dh = rng.standard_normal((N, T, H))
    dx, dh0, dWx, dWh, db = rnn_backward(dh, cache)
    dnext = np.zeros((N, H))
    sums = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
    for t in reversed(range(T)):
        dxt, dnext, *dw = rnn_step_backward(dh[:, t] + dnext, caches[t])
        assert rel_error(dx[:, t], dxt) < 1e-12
        sums = [s + d for s, d in zip(sums, dw)]
    assert rel_error(dh0, dnext) < 1e-12
    for got, want in zip((dWx, dWh, db), sums):
        assert rel_error(got, want) < 1e-12


def test_rnn_initial_state_matters(rng):
    x, h0, Wx, Wh, b = rnn_inputs(rng, 2, 4, 3, 5)
    h_zero, _ = rnn_forward(x, np.zeros_like(h0), Wx, Wh, b)
    h_given, _ = rnn_forward(x, h0, Wx, Wh, b)
    first, _ = rnn_step_forward(x[:, 0], np.zeros_like(h0), Wx, Wh, b)
    assert rel_error(h_zero[:, 0], np.tanh(x[:, 0] @ Wx + b)) < 1e-12 and rel_error(h_zero[:, 0], first) < 1e-12
    assert np.max(np.abs(h_zero - h_given)) > 1e-3


def test_rnn_dtype_follows_inputs(rng):
    x, h0, Wx, Wh, b = (a.astype(np.float32) for a in rnn_inputs(rng, 2, 3, 4, 5))
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    grads = rnn_backward(np.ones_like(h), cache)
    assert h.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)


# --------------------------------------------------------------------------------------- bad input
def test_rnn_bad_input(rng):
    x, h0, Wx, Wh, b = rnn_inputs(rng, 2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"Wx: expected \(D, H\) = \(4, 5\), got \(5, 5\)"):
        rnn_forward(x, h0, np.zeros((5, 5)), Wh, b)
    with pytest.raises(ValueError, match=r"Wh: expected \(H, H\) = \(5, 5\), got \(5, 4\)"):
        rnn_forward(x, h0, Wx, np.zeros((5, 4)), b)
    with pytest.raises(ValueError, match=r"h0: expected \(N, H\) = \(2, 5\), got \(3, 5\)"):
        rnn_forward(x, np.zeros((3, 5)), Wx, Wh, b)
    with pytest.raises(ValueError, match=r"x: expected 3 dimensions \(N, T, D\), got 2 dimensions \(2, 4\)"):
        rnn_forward(x[:, 0], h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"x: expected a floating-point dtype, got int64"):
        rnn_step_forward(np.zeros((2, 4), dtype=np.int64), h0, Wx, Wh, b)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"dh: expected \(N, T, H\) = \(2, 3, 5\), got \(2, 4, 5\)"):
        rnn_backward(np.zeros((2, 4, 5)), cache)
