"""Variational dropout (one mask per sequence, shared over time) and weight tying, checked three ways in float64:
NumPy backward against finite differences, NumPy against the torch twin, and the twin against torch.nn."""

import numpy as np
import pytest
import torch
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

from rnnbook.numpy import CharLM
from rnnbook.numpy.dropout import (lstm_variational_backward, lstm_variational_forward, variational_dropout_backward,
                                   variational_dropout_forward, variational_mask)
from rnnbook.numpy.gradcheck import eval_numerical_gradient, rel_error
from rnnbook.torch.dropout import VariationalLSTM

N, T, D, H = 3, 5, 4, 6


def _inputs(seed=0, p=0.4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, T, D))
    h0 = 0.5 * rng.standard_normal((N, H))
    Wx, Wh = rng.standard_normal((D, 4 * H)) / 2, rng.standard_normal((H, 4 * H)) / 2
    b = 0.1 * rng.standard_normal(4 * H)
    m_x, m_h = variational_mask(N, D, p, rng), variational_mask(N, H, p, rng)
    return [x, h0, Wx, Wh, b, m_x, m_h]


def test_mask_values_and_rate():
    m = variational_mask(2000, 50, 0.3, np.random.default_rng(0))
    assert set(np.unique(m)) == {0.0, 1 / 0.7}
    assert abs(np.mean(m == 0) - 0.3) < 0.01 and abs(m.mean() - 1.0) < 0.02
    assert np.all(variational_mask(3, 4, 0.0, np.random.default_rng(0)) == 1.0)
    with pytest.raises(ValueError, match="p: expected a dropout probability 0 <= p < 1, got 1.0"):
        variational_mask(3, 4, 1.0, np.random.default_rng(0))


def test_the_mask_is_constant_over_time():
    x = np.ones((N, T, D))
    mask = variational_mask(N, D, 0.5, np.random.default_rng(3))
    out, _ = variational_dropout_forward(x, mask)
    assert np.all(out == out[:, :1])                        # every step of a sequence sees the same mask
    assert np.any(out[0] != out[1])                         # different sequences see different masks
    # inside the LSTM: a unit of h_{t-1} that the mask drops gets no gradient at any step
    inp = _inputs(1, p=0.5)
    inp[6][0] = 0.0
    inp[6][0, 2] = 2.0                                      # sequence 0 keeps only unit 2 of its state
    h, cache = lstm_variational_forward(*inp)
    assert all(np.array_equal(c.prev_h[0] != 0, np.arange(H) == 2) for c in cache.steps[1:])
    # the torch module draws one mask per sequence and call: an input unit it drops gets no gradient at any step,
    # one it keeps gets a gradient at every step
    torch.manual_seed(0)
    lstm = VariationalLSTM(D, H, dropout_input=0.5).double().train()
    xs = torch.randn(N, T, D, dtype=torch.float64, requires_grad=True)
    out, _ = lstm(xs)
    (g,) = torch.autograd.grad(out.sum(), [xs])
    m_x, m_h = lstm.last_masks
    assert m_h is None and m_x.shape == (N, D) and (m_x == 0).any() and (m_x != 0).any()
    dropped = (g == 0)                                      # (N, T, D)
    assert torch.equal(dropped, (m_x == 0)[:, None, :].expand(N, T, D))


def test_dropout_backward_against_finite_differences():
    rng = np.random.default_rng(2)
    x, mask = rng.standard_normal((N, T, D)), variational_mask(N, D, 0.5, rng)
    assert_twins(numpy_pair(variational_dropout_forward, variational_dropout_backward, wrt=[0]),
                 finite_differences(variational_dropout_forward, wrt=[0]), [x, mask], tol=1e-8)


def test_lstm_variational_backward_against_finite_differences():
    fwd = lambda *a: lstm_variational_forward(*a)
    assert_twins(numpy_pair(fwd, lstm_variational_backward, wrt=[0, 1, 2, 3, 4]),
                 finite_differences(fwd, wrt=[0, 1, 2, 3, 4], h=1e-5), _inputs(), tol=1e-6, atol=1e-8)


def _torch_variational(x, h0, Wx, Wh, b, m_x, m_h):
    lstm = VariationalLSTM(D, H).double()
    params = {"weight_ih_l0": Wx.t(), "weight_hh_l0": Wh.t(), "bias_ih_l0": b, "bias_hh_l0": torch.zeros_like(b)}
    out, _ = torch.func.functional_call(lstm, params, (x, (h0, torch.zeros_like(h0))), {"masks": (m_x, m_h)})
    return out


def test_numpy_against_the_torch_twin():
    assert_twins(numpy_pair(lstm_variational_forward, lstm_variational_backward, wrt=[0, 1, 2, 3, 4]),
                 torch_autograd(_torch_variational, wrt=[0, 1, 2, 3, 4]), _inputs(4), tol=1e-10)


def test_without_dropout_the_twin_is_torch_nn_lstm():
    torch.manual_seed(0)
    ours = VariationalLSTM(D, H, dropout_input=0.3, dropout_hidden=0.3).double()
    ref = torch.nn.LSTM(D, H, batch_first=True).double()
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(N, T, D, dtype=torch.float64, requires_grad=True)
    ours.eval()                                             # evaluation: no masks
    a, (ha, ca) = ours(x)
    b, (hb, cb) = ref(x)
    assert rel_error(a.detach().numpy(), b.detach().numpy()) < 1e-12
    assert rel_error(ca.detach().numpy(), cb[0].detach().numpy()) < 1e-12
    ga = torch.autograd.grad(a.sum(), [x, ours.weight_hh_l0])
    gb = torch.autograd.grad(b.sum(), [x, ref.weight_hh_l0])
    assert all(rel_error(u.numpy(), v.numpy()) < 1e-10 for u, v in zip(ga, gb))
    ours.train()                                            # training: masks drawn, so the output changes
    assert not torch.allclose(ours(x)[0], b)
    with pytest.raises(ValueError, match="dropout_hidden: expected a dropout probability"):
        VariationalLSTM(D, H, dropout_hidden=-0.1)


# ------------------------------------------------------------------------------------------- weight tying
def _char_data(V=7, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, size=(2, 7))
    return ids[:, :-1], ids[:, 1:]


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_tied_weights_are_one_parameter_with_the_sum_of_both_gradients(cell):
    V, Hd = 7, 5
    x, y = _char_data(V)
    tied = CharLM(V, wordvec_dim=Hd, hidden_dim=Hd, cell_type=cell, seed=1, tie_weights=True)
    assert "W_vocab" not in tied.params and tied.params["W_embed"].shape == (V, Hd)
    loss, grads = tied.loss(x, y)
    assert set(grads) == set(tied.params)
    # the untied model holding the same values in both places: its two gradients add up to the tied one
    untied = CharLM(V, wordvec_dim=Hd, hidden_dim=Hd, cell_type=cell, seed=1)
    untied.params = {k: v.copy() for k, v in tied.params.items()}
    untied.params["W_vocab"] = tied.params["W_embed"].T.copy()
    loss_u, grads_u = untied.loss(x, y)
    assert loss_u == pytest.approx(loss, rel=1e-14)
    np.testing.assert_allclose(grads["W_embed"], grads_u["W_embed"] + grads_u["W_vocab"].T, rtol=1e-12, atol=1e-14)
    assert np.abs(grads_u["W_embed"]).max() > 1e-3 and np.abs(grads_u["W_vocab"]).max() > 1e-3  # both uses count
    # and against finite differences of the tied loss
    def f(W):
        tied.params["W_embed"] = W
        return tied.loss(x, y)[0]
    num = eval_numerical_gradient(f, tied.params["W_embed"].copy(), 1e-5)
    assert rel_error(num, grads["W_embed"]) < 1e-6


def test_tying_needs_equal_sizes_and_samples_run():
    with pytest.raises(ValueError, match="tie_weights: expected wordvec_dim == hidden_dim, got 4 and 5"):
        CharLM(7, wordvec_dim=4, hidden_dim=5, tie_weights=True)
    m = CharLM(7, wordvec_dim=5, hidden_dim=5, cell_type="lstm", tie_weights=True)
    out = m.sample([1, 2], 6, temperature=0)
    assert out.shape == (6,) and m.next_probs([1, 2]).sum() == pytest.approx(1.0)


def test_torch_tied_parameter_gradient_is_the_sum_of_both_uses():
    from rnnbook.experiments.charlm import _CharLSTMReg

    torch.manual_seed(0)
    V, E = 9, 6
    net = _CharLSTMReg(V, E, E, tie=True).double()
    assert net.head.weight is net.emb.weight
    assert sum(p.numel() for p in net.parameters()) == sum(p.numel() for p in _CharLSTMReg(V, E, E).parameters()) - V * E
    idx = torch.randint(0, V, (2, 5))
    y = torch.randint(0, V, (2, 5))
    loss = torch.nn.functional.cross_entropy(net(idx)[0].reshape(-1, V), y.reshape(-1))
    (g,) = torch.autograd.grad(loss, [net.emb.weight])
    # the same model with the two uses as separate copies
    W = net.emb.weight.detach().clone()
    W_in, W_out = W.clone().requires_grad_(), W.clone().requires_grad_()
    out, _ = net.rnn(torch.nn.functional.embedding(idx, W_in))
    loss2 = torch.nn.functional.cross_entropy((out @ W_out.t() + net.head.bias).reshape(-1, V), y.reshape(-1))
    g_in, g_out = torch.autograd.grad(loss2, [W_in, W_out])
    assert rel_error(g.numpy(), (g_in + g_out).numpy()) < 1e-12 and g_in.abs().max() > 0 and g_out.abs().max() > 0
