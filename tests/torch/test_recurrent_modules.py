"""rnnbook.torch.RNN / LSTM / GRU against their torch.nn twins: outputs, final states and every gradient
(input, initial states, each parameter), after load_state_dict in both directions."""

import ast
import inspect
import itertools

import numpy as np
import pytest
import torch
from torch import nn

import rnnbook.torch as R
from rnnbook.torch import _recurrent, cells, gru, lstm, rnn
from twin import assert_twins, module_call, random_douts, torch_autograd

KINDS = {
    "rnn_tanh": (R.RNN, nn.RNN, {}),
    "rnn_relu": (R.RNN, nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (R.LSTM, nn.LSTM, {}),
    "gru": (R.GRU, nn.GRU, {}),
}



def assert_close_twins(a, b, inputs, *, tol, names):
    """float32: twin.assert_twins's elementwise relative error is too strict where a value is near zero
    (its floor is 1e-8), so compare |a - b| <= tol + tol·|b| (torch.testing's rule) per output and gradient.
    (Candidate for tests/twin.py: an ``atol`` option.)"""
    douts = random_douts(a(inputs, None)[0])
    (outs_a, grads_a), (outs_b, grads_b) = a(inputs, douts), b(inputs, douts)
    assert len(outs_a) == len(outs_b) and len(grads_a) == len(grads_b) == len(names)
    for label, u, v in zip([f"out{k}" for k in range(len(outs_a))] + list(names), outs_a + grads_a,
                           outs_b + grads_b):
        np.testing.assert_allclose(v, u, rtol=tol, atol=tol, err_msg=label)


def make_pair(kind, direction, dtype=torch.float64, seed=0, **kw):
    """(ours, theirs), the destination having loaded the (randomised) source's state dict."""
    ours_cls, theirs_cls, extra = KINDS[kind]
    torch.manual_seed(seed)
    ours, theirs = ours_cls(**kw, **extra).to(dtype), theirs_cls(**kw, **extra).to(dtype)
    src, dst = (theirs, ours) if direction == "theirs_to_ours" else (ours, theirs)
    with torch.no_grad():
        for p in src.parameters():
            p.uniform_(-0.7, 0.7)
    dst.load_state_dict(src.state_dict())  # strict: the same keys and shapes
    return ours, theirs


def flat(res):
    out, state = res
    return (out, *state) if isinstance(state, tuple) else (out, state)


def check_pair(kind, direction, *, dtype, tol, T, N, D, H, num_layers, bidirectional, batch_first, bias,
               given_state, seed=0):
    kw = dict(input_size=D, hidden_size=H, num_layers=num_layers, bidirectional=bidirectional,
              batch_first=batch_first, bias=bias)
    ours, theirs = make_pair(kind, direction, dtype, seed, **kw)
    rng = np.random.default_rng(seed)
    L = num_layers * (2 if bidirectional else 1)
    x = rng.standard_normal((N, T, D) if batch_first else (T, N, D))
    n_states = 2 if kind == "lstm" else 1
    states = [0.5 * rng.standard_normal((L, N, H)) for _ in range(n_states)] if given_state else []
    names = list(theirs.state_dict())
    assert names == list(ours.state_dict())
    params = [p.detach().cpu().double().numpy() for p in theirs.state_dict().values()]

    def call(run, x, *s):
        if not s:
            return flat(run(x))
        return flat(run(x, s[0] if n_states == 1 else tuple(s)))

    inputs = [x, *states, *params]
    labels = ["dx"] + [f"d{n}0" for n in "hc"[: len(states)]] + [f"d{n}" for n in names]
    twins = (torch_autograd(module_call(theirs, names, call), dtype=dtype),
             torch_autograd(module_call(ours, names, call), dtype=dtype))
    if dtype == torch.float64:
        errs = assert_twins(*twins, inputs, tol=tol, names=labels)
        assert len(errs) == 1 + n_states + len(inputs)  # every output and every gradient was compared
    else:
        assert_twins(*twins, inputs, tol=tol, atol=tol, names=labels)
    # the loaded module itself (its own parameters, no substitution) gives the same outputs
    xt = torch.tensor(x, dtype=dtype)
    st = [torch.tensor(s, dtype=dtype) for s in states]
    with torch.no_grad():
        a = call(lambda *z: theirs(*z), xt, *st)
        b = call(lambda *z: ours(*z), xt, *st)
    for u, v in zip(a, b):
        assert u.shape == v.shape and u.dtype == v.dtype == dtype
        torch.testing.assert_close(v, u, rtol=tol, atol=tol)


# 4 kinds x 2 layer counts x uni/bi x batch_first x bias; (initial state, load direction) cycles through
# its 4 combinations so that every kind meets each of them.
GRID = [
    (kind, layers, bi, bf, bias, *combo)
    for i, (kind, layers, bi, bf, bias) in enumerate(
        itertools.product(KINDS, (1, 2), (False, True), (False, True), (False, True)))
    for combo in [list(itertools.product((False, True), ("theirs_to_ours", "ours_to_theirs")))[i % 4]]
]


@pytest.mark.parametrize("kind,num_layers,bidirectional,batch_first,bias,given_state,direction", GRID)
def test_twin_float64(kind, num_layers, bidirectional, batch_first, bias, given_state, direction):
    check_pair(kind, direction, dtype=torch.float64, tol=1e-10, T=4, N=3, D=5, H=4, num_layers=num_layers,
               bidirectional=bidirectional, batch_first=batch_first, bias=bias, given_state=given_state)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("T,N,D,H", [(1, 2, 3, 4), (5, 1, 3, 4), (3, 2, 6, 2), (1, 1, 1, 1)])
def test_twin_edge_sizes(kind, T, N, D, H):
    """T = 1, N = 1, H ≠ D both ways, and everything of size 1."""
    check_pair(kind, "theirs_to_ours", dtype=torch.float64, tol=1e-10, T=T, N=N, D=D, H=H, num_layers=2,
               bidirectional=True, batch_first=False, bias=True, given_state=True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_twin_float32(kind, bidirectional):
    check_pair(kind, "ours_to_theirs", dtype=torch.float32, tol=1e-5, T=4, N=3, D=5, H=4, num_layers=2,
               bidirectional=bidirectional, batch_first=True, bias=True, given_state=True)


@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_like_torch(kind):
    ours, theirs = make_pair(kind, "theirs_to_ours", num_layers=2, input_size=3, hidden_size=4)
    x = torch.randn(5, 3, dtype=torch.float64)
    shape = (2, 4)
    state = (torch.randn(shape, dtype=torch.float64), torch.randn(shape, dtype=torch.float64))
    state = state if kind == "lstm" else state[0]
    for a, b in zip(flat(theirs(x, state)), flat(ours(x, state))):
        assert a.shape == b.shape
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_keys_and_init(kind):
    ours_cls, theirs_cls, extra = KINDS[kind]
    kw = dict(input_size=3, hidden_size=25, num_layers=2, bidirectional=True, **extra)
    ours, theirs = ours_cls(**kw), theirs_cls(**kw)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
           [(k, v.shape) for k, v in theirs.state_dict().items()]
    bound = 1 / 25 ** 0.5
    for name, p in ours.named_parameters():
        assert p.abs().max() <= bound and p.std() > bound / 4, name  # U(-1/√H, 1/√H), not all zero
    assert [n for n, _ in ours_cls(3, 4, bias=False, **extra).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


def test_dropout_between_layers_in_training_only():
    torch.manual_seed(0)
    m = R.LSTM(3, 4, num_layers=2, dropout=0.5).double()
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    torch.testing.assert_close(a, b)
    m.train()
    assert not torch.allclose(m(x)[0], a)  # some units of layer 0's output dropped
    with pytest.warns(UserWarning, match="num_layers=1"):
        R.GRU(3, 4, dropout=0.5)


def test_device_and_dtype_follow_the_input():
    m = R.GRU(3, 4).double()
    out, h = m(torch.randn(2, 5, 3, dtype=torch.float64))
    assert out.dtype == h.dtype == torch.float64 and out.device == h.device == m.weight_ih_l0.device


# ---------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_size(kind):
    ours_cls, _, extra = KINDS[kind]
    m = ours_cls(3, 20, **extra)
    with pytest.raises(ValueError, match=r"input: expected \(T, N, D\) = \(5, 2, 3\), got \(5, 2, 4\)"):
        m(torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match=r"input: expected 3 dimensions .* got 4 dimensions"):
        m(torch.randn(5, 2, 3, 1))
    with pytest.raises(ValueError, match=r"input: expected at least one time step, got shape \(0, 2, 3\)"):
        m(torch.randn(0, 2, 3))


@pytest.mark.parametrize("kind", KINDS)
def test_bad_hidden_shape(kind):
    ours_cls, _, extra = KINDS[kind]
    m = ours_cls(10, 20, **extra)
    x = torch.randn(5, 3, 10)
    good, bad = torch.zeros(1, 3, 20), torch.zeros(1, 4, 20)
    state = (bad, good) if kind == "lstm" else bad
    with pytest.raises(ValueError, match=r"h0: expected \(L, N, H\) = \(1, 3, 20\), got \(1, 4, 20\)"):
        m(x, state)
    if kind == "lstm":
        with pytest.raises(ValueError, match=r"c0: expected \(L, N, H\) = \(1, 3, 20\), got \(1, 4, 20\)"):
            m(x, (good, bad))
        with pytest.raises(ValueError, match=r"expected a tuple \(h0, c0\)"):
            m(x, good)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_dtype(kind):
    ours_cls, _, extra = KINDS[kind]
    m = ours_cls(3, 4, **extra)  # float32
    with pytest.raises(ValueError, match=r"input: expected dtype torch.float32 .*, got torch.float64"):
        m(torch.randn(5, 2, 3, dtype=torch.float64))
    h = torch.zeros(1, 2, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"h0: expected dtype torch.float32 .*, got torch.float64"):
        m(torch.randn(5, 2, 3), (h, h) if kind == "lstm" else h)
    with pytest.raises(ValueError, match=r"input: expected a floating-point dtype, got torch.int64"):
        m(torch.zeros(5, 2, 3, dtype=torch.long))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity: expected one of"):
        R.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size: expected a positive int, got 0"):
        R.LSTM(3, 0)
    with pytest.raises(ValueError, match=r"dropout: expected a number in \[0, 1\], got 1.5"):
        R.GRU(3, 4, num_layers=2, dropout=1.5)


# --------------------------------------------------------------------------- built from tensor operations
FORBIDDEN_VF = ["rnn_tanh", "rnn_relu", "lstm", "gru", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]


def _boom(*args, **kwargs):
    raise AssertionError("a torch.nn recurrent module or torch._VF kernel was called")


def test_never_calls_torch_recurrent_kernels(monkeypatch):
    for cls in (nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell):
        monkeypatch.setattr(cls, "forward", _boom)
    for name in FORBIDDEN_VF:
        monkeypatch.setattr(torch._VF, name, _boom)
    with pytest.raises(AssertionError, match="was called"):  # the trap works
        nn.LSTM(3, 4)(torch.randn(2, 1, 3))
    x = torch.randn(4, 2, 3, requires_grad=True)
    for m in (R.RNN(3, 4, 2, bidirectional=True), R.LSTM(3, 4, 2, bidirectional=True),
              R.GRU(3, 4, 2, bidirectional=True)):
        out, _ = m(x)
        out.sum().backward()
    for cell in (R.RNNCell(3, 4), R.GRUCell(3, 4)):
        cell(x[0]).sum().backward()
    sum(R.LSTMCell(3, 4)(x[0])).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_source_mentions_no_torch_recurrent_kernel():
    forbidden = {"_VF", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", *FORBIDDEN_VF,
                 "RNNBase", "RNNCellBase"}
    for mod in (_recurrent, cells, rnn, lstm, gru):
        tree = ast.parse(inspect.getsource(mod))
        used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"RNNCell", "LSTMCell", "GRUCell"}
        used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        hits = used & forbidden
        assert not hits, f"{mod.__name__} refers to {sorted(hits)}"
