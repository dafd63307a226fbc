"""Gradient norm against distance in time (chapter 5's constant-error-carousel figure): the state adjoints
agree with torch.nn's cells under autograd and with finite differences in float64, and the profiles the
page plots show what its prose says."""

import numpy as np
import pytest
import torch

from rnnbook.numpy.gradient_flow import carousel_profiles, state_gradient_norms
from rnnbook.numpy.lstm import lstm_step_forward
from rnnbook.numpy.rnn import rnn_step_forward


def _inputs(cell, seed=0, N=3, T=6, D=2, H=4):
    rng = np.random.default_rng(seed)
    G = 4 if cell == "lstm" else 1
    x = rng.standard_normal((N, T, D))
    h0 = 0.5 * rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, G * H)) / np.sqrt(D), rng.standard_normal((H, G * H)) / np.sqrt(H)
    b = 0.3 * rng.standard_normal(G * H)
    u = rng.standard_normal((N, H))
    return x, h0, Wx, Wh, b, u


def _torch_cell(cell, Wx, Wh, b):
    D, GH = Wx.shape
    module = (torch.nn.LSTMCell if cell == "lstm" else torch.nn.RNNCell)(D, Wh.shape[0]).double()
    with torch.no_grad():
        module.weight_ih.copy_(torch.from_numpy(Wx.T))
        module.weight_hh.copy_(torch.from_numpy(Wh.T))
        module.bias_ih.copy_(torch.from_numpy(b))
        module.bias_hh.zero_()
    return module


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_norms_equal_torch_autograd_from_every_state(cell):
    """‖∂L/∂s_t‖ with L = Σ u · h_T, by autograd from the state s_t (a leaf) through torch.nn's cell to T."""
    x, h0, Wx, Wh, b, u = _inputs(cell)
    norms = state_gradient_norms(cell, x, h0, Wx, Wh, b, u)
    N, T, _ = x.shape
    module, xt, ut = _torch_cell(cell, Wx, Wh, b), torch.from_numpy(x), torch.from_numpy(u)
    states = [(torch.from_numpy(h0), torch.zeros(N, h0.shape[1], dtype=torch.float64))]
    with torch.no_grad():
        for t in range(T):
            h, c = states[-1]
            states.append(module(xt[:, t], (h, c)) if cell == "lstm" else (module(xt[:, t], h), c))
    for t in range(T + 1):
        h, c = (s.clone().requires_grad_(True) for s in states[t])
        hh, cc = h, c
        for j in range(t, T):
            if cell == "lstm":
                hh, cc = module(xt[:, j], (hh, cc))
            else:
                hh = module(xt[:, j], hh)
        (hh * ut).sum().backward()
        sq = (h.grad ** 2).sum(1) + ((c.grad ** 2).sum(1) if cell == "lstm" and c.grad is not None else 0.0)
        np.testing.assert_allclose(norms[:, T - t], np.sqrt(sq.numpy()), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_gradient_reaching_h0_matches_finite_differences(cell):
    """For the RNN the initial state is h0 alone: ‖∂L/∂h0‖ by centred differences equals norms[:, T]."""
    x, h0, Wx, Wh, b, u = _inputs(cell, seed=1)
    N, T, _ = x.shape

    def loss(h0v, c0v):
        h, c = h0v, c0v
        for t in range(T):
            if cell == "lstm":
                h, c, _ = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
            else:
                h, _ = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        return float(np.sum(u * h))

    eps, c0 = 1e-6, np.zeros_like(h0)
    sq = np.zeros(N)
    for arr_index in range(2 if cell == "lstm" else 1):
        for n in range(N):
            for j in range(h0.shape[1]):
                plus, minus = [h0.copy(), c0.copy()], [h0.copy(), c0.copy()]
                plus[arr_index][n, j] += eps
                minus[arr_index][n, j] -= eps
                sq[n] += ((loss(*plus) - loss(*minus)) / (2 * eps)) ** 2
    norms = state_gradient_norms(cell, x, h0, Wx, Wh, b, u)
    np.testing.assert_allclose(norms[:, T], np.sqrt(sq), rtol=1e-7)


def test_profiles_show_what_chapter_5_says():
    """The page's call: over 100 steps the RNN's gradient falls by more than 15 orders of magnitude, the LSTM
    with b_f = 0 as much (within 100×), with b_f = 1 it keeps at least a million times more, and with b_f = 3 it
    drops over the first steps, then barely decays (above 0.98 per step over the second half) and ends above 1 %."""
    p = carousel_profiles()
    assert set(p) == {"rnn", "lstm, b_f = 0", "lstm, b_f = 1", "lstm, b_f = 3"}
    assert all(v.shape == (101,) and v[0] == pytest.approx(1.0) for v in p.values())
    rnn, f0, f1, f3 = p["rnn"][-1], p["lstm, b_f = 0"][-1], p["lstm, b_f = 1"][-1], p["lstm, b_f = 3"][-1]
    assert rnn < 1e-15
    assert 1e-2 < f0 / rnn < 1e2
    assert f1 > 1e6 * rnn
    assert f3 > 1e-2
    assert p["lstm, b_f = 3"][10] < 0.3  # most of an order of magnitude lost on the way into the cell
    assert (p["lstm, b_f = 3"][-1] / p["lstm, b_f = 3"][50]) ** (1 / 50) > 0.98  # then almost constant
    assert p["rnn"][-1] / p["rnn"][50] < 1e-8


def test_bad_input_is_a_one_line_error():
    x, h0, Wx, Wh, b, u = _inputs("rnn")
    with pytest.raises(ValueError, match=r"cell: expected one of \['lstm', 'rnn'\], got 'gru'"):
        state_gradient_norms("gru", x, h0, Wx, Wh, b, u)
    with pytest.raises(ValueError, match=r"Wx: expected \(D, 4H\)"):
        state_gradient_norms("lstm", x, h0, Wx, Wh, b, u)
    with pytest.raises(ValueError, match=r"u: expected \(N, H\)"):
        state_gradient_norms("rnn", x, h0, Wx, Wh, b, u[:, :2])
    with pytest.raises(ValueError, match="seeds: expected at least one seed"):
        carousel_profiles(seeds=[])
    with pytest.raises(ValueError, match="T: expected a positive integer, got 0"):
        carousel_profiles(T=0)
