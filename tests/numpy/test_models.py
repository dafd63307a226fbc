"""TwoLayerNet and CharLM: fixed values, finite differences, torch twins, sampling and a short training run."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

from rnnbook.numpy import CharLM, TwoLayerNet, Vocab, adam, rel_error

FD_H = 1e-5  # see tests/numpy/test_rnn.py: 1e-6 lets rounding error reach 1e-7 on small entries
# Whole models chain several layers (and a ReLU or a sequence), so their finite-difference bound is the
# sequence one, 1e-6 (CS231n's bound for its TwoLayerNet and captioning RNN); observed errors are ~1e-7.
MODEL_GRAD_TOL = 1e-6
CELLS = ["rnn", "lstm", "gru"]


# -------------------------------------------------------------------------------------- TwoLayerNet
def linspace_net(reg=0.0):
    N, D, H, C = 3, 5, 50, 7
    net = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=1e-2, reg=reg)
    net.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
    net.params["b1"] = np.linspace(-0.1, 0.9, num=H)
    net.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
    net.params["b2"] = np.linspace(-0.9, 0.1, num=C)
    X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T
    return net, X


def test_two_layer_net_linspace():
    net, X = linspace_net()
    expected = np.array([[11.5316510824, 12.2917343956, 13.0518177088, 13.8119010220, 14.5719843352, 15.3320676484,
                          16.0921509616],
                         [12.0576909768, 12.7461410521, 13.4345911275, 14.1230412029, 14.8114912783, 15.4999413536,
                          16.1883914290],
                         [12.5837308711, 13.2005477086, 13.8173645462, 14.4341813837, 15.0509982213, 15.6678150588,
                          16.2846318964]])
    assert rel_error(net.loss(X), expected) < 1e-7
    y = np.array([0, 5, 1])
    assert rel_error(net.loss(X, y)[0], 3.47022435559539) < 1e-7
    net.reg = 1.0
    assert rel_error(net.loss(X, y)[0], 26.594842695238583) < 1e-7


def test_two_layer_net_init():
    net = TwoLayerNet(input_dim=40, hidden_dim=30, num_classes=5, weight_scale=0.1, seed=3)
    assert {k: v.shape for k, v in net.params.items()} == {"W1": (40, 30), "b1": (30,), "W2": (30, 5), "b2": (5,)}
    assert 0.08 < net.params["W1"].std() < 0.12 and np.all(net.params["b1"] == 0)
    again = TwoLayerNet(input_dim=40, hidden_dim=30, num_classes=5, weight_scale=0.1, seed=3)
    assert np.array_equal(net.params["W1"], again.params["W1"])


def _net_impls(net, X, y):
    keys = list(net.params)

    def fwd(*ps):
        net.params = dict(zip(keys, ps))
        return net.loss(X, y)

    def torch_loss(W1, b1, W2, b2):
        scores = torch.relu(torch.tensor(X) @ W1 + b1) @ W2 + b2
        return F.cross_entropy(scores, torch.tensor(y)) + 0.5 * net.reg * ((W1 ** 2).sum() + (W2 ** 2).sum())

    pair = numpy_pair(fwd, lambda dloss, grads: [dloss * grads[k] for k in keys])
    return pair, finite_differences(fwd, h=FD_H), torch_autograd(torch_loss), [net.params[k] for k in keys]


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_two_layer_net_gradients(rng, reg):
    net = TwoLayerNet(input_dim=6, hidden_dim=8, num_classes=4, weight_scale=0.3, reg=reg, seed=1)
    net.params["b1"] = 0.3 * rng.standard_normal(8)
    net.params["b2"] = 0.3 * rng.standard_normal(4)
    X, y = rng.standard_normal((5, 6)), rng.integers(0, 4, size=5)
    pair, fd, twin_torch, params = _net_impls(net, X, y)
    assert_twins(pair, fd, params, tol=1e-7, grad_tol=MODEL_GRAD_TOL)
    assert_twins(pair, twin_torch, params, tol=1e-10)


def test_two_layer_net_bad_input(rng):
    net = TwoLayerNet(input_dim=6, hidden_dim=8, num_classes=4)
    with pytest.raises(ValueError, match=r"w: expected \(D, M\) = \(5, 8\), got \(6, 8\)"):
        net.loss(rng.standard_normal((3, 5)))
    with pytest.raises(ValueError, match=r"y: expected \(N\) = \(3,\), got \(2,\)"):
        net.loss(rng.standard_normal((3, 6)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"hidden_dim: expected a positive integer, got 0"):
        TwoLayerNet(6, 0, 4)


# -------------------------------------------------------------------------------------------- CharLM
def tiny_lm(cell, seed=0, V=5, D=3, H=4):
    m = CharLM(V, D, H, cell_type=cell, seed=seed)
    rng = np.random.default_rng(seed + 100)
    for k in m.params:  # nontrivial biases too
        if k.startswith("b"):
            m.params[k] = m.params[k] + 0.3 * rng.standard_normal(m.params[k].shape)
    return m


def _lm_pair_and_fd(m, x, y, mask, h0):
    keys = list(m.params)

    def fwd(*ps):
        m.params = dict(zip(keys, ps))
        return m.loss(x, y, mask, h0)

    return numpy_pair(fwd, lambda dloss, grads: [dloss * grads[k] for k in keys]), finite_differences(fwd, h=FD_H)


def torch_lm_loss(cell, x, y, mask, h0):
    """The same model written with torch.nn.Embedding-free indexing, torch.nn.RNN/LSTM/GRU and a matmul."""
    def loss(W_embed, Wx, Wh, *rest):
        D, GH = Wx.shape
        H = Wh.shape[0]
        if cell == "gru":
            bx, bh, W_vocab, b_vocab = rest
        else:
            bx, W_vocab, b_vocab = rest
            bh = torch.zeros_like(bx)
        module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](D, H, batch_first=True)
        module = module.double()
        params = {"weight_ih_l0": Wx.T, "weight_hh_l0": Wh.T, "bias_ih_l0": bx, "bias_hh_l0": bh}
        th0 = torch.tensor(h0)[None]
        state = (th0, torch.zeros_like(th0)) if cell == "lstm" else th0
        h, _ = functional_call(module, params, (W_embed[torch.tensor(x)], state))
        scores = h @ W_vocab + b_vocab  # (N, T, V)
        N, T, V = scores.shape
        nll = F.cross_entropy(scores.reshape(N * T, V), torch.tensor(y).reshape(N * T), reduction="none")
        return (nll * torch.tensor(mask.reshape(N * T), dtype=torch.float64)).sum() / N
    return loss


def lm_batch(rng, N=2, T=5, V=5, H=4):
    x, y = rng.integers(0, V, size=(N, T)), rng.integers(0, V, size=(N, T))
    mask = np.ones((N, T), dtype=bool)
    mask[0, -2:] = False
    return x, y, mask, 0.5 * rng.standard_normal((N, H))


@pytest.mark.parametrize("cell", CELLS)
def test_char_lm_gradients_finite_differences(rng, cell):
    m = tiny_lm(cell)
    x, y, mask, h0 = lm_batch(rng)
    pair, fd = _lm_pair_and_fd(m, x, y, mask, h0)
    assert_twins(pair, fd, list(m.params.values()), tol=1e-7, grad_tol=MODEL_GRAD_TOL, names=list(m.params))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("zero_h0", [False, True])
def test_char_lm_against_torch(rng, cell, zero_h0):
    m = tiny_lm(cell, seed=2)
    x, y, mask, h0 = lm_batch(rng, N=3, T=7)
    if zero_h0:
        h0 = np.zeros_like(h0)
    pair, _ = _lm_pair_and_fd(m, x, y, mask, None if zero_h0 else h0)
    assert_twins(pair, torch_autograd(torch_lm_loss(cell, x, y, mask, h0)), list(m.params.values()), tol=1e-10,
                 names=list(m.params))


@pytest.mark.parametrize("cell", CELLS)
def test_char_lm_params_and_default_mask(cell):
    m = CharLM(7, 4, 6, cell_type=cell, seed=1)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    shapes = {k: v.shape for k, v in m.params.items()}
    bias = {"bx": (3 * 6,), "bh": (3 * 6,)} if cell == "gru" else {"b": (G * 6,)}
    assert shapes == {"W_embed": (7, 4), "Wx": (4, G * 6), "Wh": (6, G * 6), **bias, "W_vocab": (6, 7),
                      "b_vocab": (7,)}
    x = np.array([[1, 2, 3, 4]])
    assert m.loss(x, x)[0] == m.loss(x, x, np.ones((1, 4), dtype=bool))[0]
    assert m.loss(x, x, np.array([[True, False, True, True]]))[0] < m.loss(x, x)[0]


def test_char_lm_float32():
    m = CharLM(6, 3, 5, cell_type="rnn", dtype=np.float32)
    _, grads = m.loss(np.array([[0, 1, 2]]), np.array([[1, 2, 3]]))
    assert all(v.dtype == np.float32 for v in m.params.values()) and all(g.dtype == np.float32 for g in grads.values())


@pytest.mark.parametrize("cell", CELLS)
def test_char_lm_sampling_is_reproducible_and_consistent(cell):
    m = CharLM(6, 4, 8, cell_type=cell, seed=3)
    a = m.sample([1, 2], 15, temperature=1.0, rng=np.random.default_rng(7))
    b = m.sample([1, 2], 15, temperature=1.0, rng=np.random.default_rng(7))
    c = m.sample([1, 2], 15, temperature=1.0, rng=np.random.default_rng(8))
    assert a.shape == (15,) and a.dtype == np.int64 and np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() < 6
    # greedy (temperature 0): every id is the argmax of the distribution after the prefix so far, which
    # next_probs computes by rerunning the whole prefix, so the step-by-step state is checked too
    for start in ([4], [4, 1, 3]):
        g = m.sample(start, 10, temperature=0.0)
        prefix = list(start)
        for gi in g:
            assert gi == np.argmax(m.next_probs(prefix))
            prefix.append(int(gi))
    assert np.array_equal(m.sample(4, 10, temperature=0.0), m.sample([4], 10, temperature=0.0))  # an int prefix
    # the carried state gives exactly the scores of a full rerun of the prefix (private helpers, on purpose)
    ids, state = [4, 1, 3], None
    for nxt in (0, 5, 2, 2):
        scores, state = m._advance(ids, state)
        assert rel_error(scores, m._scores_after(ids)) < 1e-12
        ids.append(nxt)
    assert np.array_equal(m.sample(4, 0), np.zeros(0, dtype=np.int64))


def _entropy(p):
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def test_char_lm_temperature_lowers_entropy():
    m = CharLM(8, 4, 8, cell_type="gru", seed=4)
    ents = [_entropy(m.next_probs([1, 5, 2], t)) for t in (0.25, 0.5, 1.0, 2.0, 4.0)]
    assert all(a < b for a, b in zip(ents, ents[1:]))
    assert ents[-1] < np.log(8) and ents[0] > 0

    def empirical_entropy(t):
        ids = m.sample([1], 400, temperature=t, rng=np.random.default_rng(0))
        return _entropy(np.bincount(ids, minlength=8) / ids.size)

    cold, warm, hot = empirical_entropy(0.3), empirical_entropy(1.0), empirical_entropy(3.0)
    assert cold < warm < hot


def test_char_lm_learns_a_repeated_string():
    text = "hello world " * 3
    vocab = Vocab(text)
    ids = vocab.encode(text)
    x, y = ids[None, :-1], ids[None, 1:]
    m = CharLM(len(vocab), 8, 16, cell_type="rnn", seed=0)
    uniform = x.shape[1] * np.log(len(vocab))  # summed over T, averaged over N = 1
    first, _ = m.loss(x, y)
    configs = {k: {"learning_rate": 2e-2} for k in m.params}
    for _ in range(300):
        loss, grads = m.loss(x, y)
        for k in m.params:
            m.params[k], configs[k] = adam(m.params[k], grads[k], configs[k])
    assert first > 0.5 * uniform
    assert loss < 0.02 * uniform
    assert vocab.decode(m.sample(vocab.encode("h"), 11, temperature=0.0)) == "ello world "


def test_vocab():
    v = Vocab("banana")
    assert len(v) == 3 and v.itos == ["a", "b", "n"]
    assert np.array_equal(v.encode("nab"), [2, 0, 1]) and v.decode(v.encode("banana")) == "banana"
    with pytest.raises(ValueError, match=r"text: characters not in the vocabulary: \['x'\]"):
        v.encode("bax")
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 3\), got \[3\]"):
        v.decode([0, 3])


def test_char_lm_bad_input():
    m = CharLM(5, 3, 4)
    with pytest.raises(ValueError, match=r"cell_type: expected one of \['gru', 'lstm', 'rnn'\], got 'elman'"):
        CharLM(5, 3, 4, cell_type="elman")
    with pytest.raises(ValueError, match=r"x: expected ids in \[0, V\) = \[0, 5\), got values in \[0, 7\]"):
        m.loss(np.array([[0, 7]]), np.array([[0, 1]]))
    with pytest.raises(ValueError, match=r"y: expected \(N, T\) = \(1, 2\), got \(1, 3\)"):
        m.loss(np.array([[0, 1]]), np.array([[0, 1, 2]]))
    with pytest.raises(ValueError, match=r"h0: expected \(N, H\) = \(1, 4\), got \(1, 3\)"):
        m.loss(np.array([[0, 1]]), np.array([[0, 1]]), h0=np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"temperature: expected a number >= 0 \(0 is greedy\), got -1"):
        m.sample([0], 3, temperature=-1)
    with pytest.raises(ValueError, match=r"start_ids: expected ids in \[0, V\) = \[0, 5\), got \[9\]"):
        m.sample([9], 3)
    with pytest.raises(ValueError, match=r"start_ids: expected an int or a non-empty 1-D sequence of ints"):
        m.sample([], 3)
