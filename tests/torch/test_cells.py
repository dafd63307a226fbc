"""rnnbook.torch.RNNCell / LSTMCell / GRUCell against torch.nn's cells: outputs and every gradient,
after load_state_dict both ways; unbatched input; bad input."""

import numpy as np
import pytest
import torch
from torch import nn

import rnnbook.torch as R
from twin import assert_twins, module_call, random_douts, torch_autograd

KINDS = {
    "rnn_tanh": (R.RNNCell, nn.RNNCell, {}),
    "rnn_relu": (R.RNNCell, nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (R.LSTMCell, nn.LSTMCell, {}),
    "gru": (R.GRUCell, nn.GRUCell, {}),
}



def make_pair(kind, direction, dtype=torch.float64, **kw):
    ours_cls, theirs_cls, extra = KINDS[kind]
    torch.manual_seed(0)
    ours, theirs = ours_cls(**kw, **extra).to(dtype), theirs_cls(**kw, **extra).to(dtype)
    src, dst = (theirs, ours) if direction == "theirs_to_ours" else (ours, theirs)
    with torch.no_grad():
        for p in src.parameters():
            p.uniform_(-0.7, 0.7)
    dst.load_state_dict(src.state_dict())
    return ours, theirs


def as_tuple(r):
    return tuple(r) if isinstance(r, tuple) else (r,)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("direction", ["theirs_to_ours", "ours_to_theirs"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("given_state", [True, False])
@pytest.mark.parametrize("N,D,H", [(3, 5, 4), (1, 2, 6)])
def test_twin_float64(kind, direction, bias, given_state, N, D, H):
    ours, theirs = make_pair(kind, direction, input_size=D, hidden_size=H, bias=bias)
    rng = np.random.default_rng(1)
    n_states = 2 if kind == "lstm" else 1
    states = [rng.standard_normal((N, H)) for _ in range(n_states)] if given_state else []
    names = list(theirs.state_dict())
    assert names == list(ours.state_dict())
    params = [p.detach().double().numpy() for p in theirs.state_dict().values()]

    def call(run, x, *s):
        if not s:
            return as_tuple(run(x))
        return as_tuple(run(x, s[0] if n_states == 1 else tuple(s)))

    inputs = [rng.standard_normal((N, D)), *states, *params]
    errs = assert_twins(torch_autograd(module_call(theirs, names, call)), torch_autograd(module_call(ours, names, call)),
                        inputs, tol=1e-10)
    assert len(errs) == n_states + len(inputs)
    x = torch.tensor(inputs[0])
    for a, b in zip(as_tuple(theirs(x)), as_tuple(ours(x))):  # the loaded module, its own parameters
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_twin_float32(kind):
    ours, theirs = make_pair(kind, "ours_to_theirs", dtype=torch.float32, input_size=5, hidden_size=4)
    names = list(theirs.state_dict())
    params = [p.detach().double().numpy() for p in theirs.state_dict().values()]
    rng = np.random.default_rng(2)
    inputs = [rng.standard_normal((3, 5)), *params]
    a = torch_autograd(module_call(theirs, names, lambda run, x: as_tuple(run(x))), dtype=torch.float32)
    b = torch_autograd(module_call(ours, names, lambda run, x: as_tuple(run(x))), dtype=torch.float32)
    douts = random_douts(a(inputs, None)[0])
    (oa, ga), (ob, gb) = a(inputs, douts), b(inputs, douts)
    for u, v in zip(oa + ga, ob + gb):  # |a - b| <= 1e-5 + 1e-5 |a| (elementwise rel_error is too strict at 0)
        np.testing.assert_allclose(v, u, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_like_torch(kind):
    ours, theirs = make_pair(kind, "theirs_to_ours", input_size=3, hidden_size=4)
    x, h = torch.randn(3, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    hx = (h, 2 * h) if kind == "lstm" else h
    for args in ((x,), (x, hx)):
        for a, b in zip(as_tuple(theirs(*args)), as_tuple(ours(*args))):
            assert a.shape == b.shape == (4,)
            torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_parameter_names_and_init(kind):
    ours_cls, theirs_cls, extra = KINDS[kind]
    ours, theirs = ours_cls(3, 16, **extra), theirs_cls(3, 16, **extra)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == \
           [(k, v.shape) for k, v in theirs.state_dict().items()]
    for name, p in ours.named_parameters():
        assert p.abs().max() <= 0.25 and p.std() > 0.05, name  # U(-1/√16, 1/√16)
    assert [n for n, _ in ours_cls(3, 4, bias=False, **extra).named_parameters()] == ["weight_ih", "weight_hh"]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input(kind):
    ours_cls, _, extra = KINDS[kind]
    cell = ours_cls(10, 20, **extra)
    with pytest.raises(ValueError, match=r"input: expected \(N, D\) = \(3, 10\), got \(3, 11\)"):
        cell(torch.randn(3, 11))
    bad = torch.zeros(4, 20)
    hx = (bad, torch.zeros(3, 20)) if kind == "lstm" else bad
    with pytest.raises(ValueError, match=r"hx(\[0\])?: expected \(N, H\) = \(3, 20\), got \(4, 20\)"):
        cell(torch.randn(3, 10), hx)
    with pytest.raises(ValueError, match=r"input: expected dtype torch.float32 .*, got torch.float64"):
        cell(torch.randn(3, 10, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"input: expected \(N, D\) or an unbatched \(D,\), got 3 dimensions"):
        cell(torch.randn(3, 10, 1))


def test_step_functions_are_the_cells():
    """The sequence modules use rnn_step/lstm_step/gru_step; one step of them is the cell."""
    torch.manual_seed(0)
    x, h, c = torch.randn(2, 3).double(), torch.randn(2, 4).double(), torch.randn(2, 4).double()
    cell = R.GRUCell(3, 4).double()
    gx = x @ cell.weight_ih.t() + cell.bias_ih
    torch.testing.assert_close(R.gru_step(gx, h, cell.weight_hh, cell.bias_hh), cell(x, h), rtol=1e-15, atol=1e-15)
    cell = R.LSTMCell(3, 4).double()
    gx = x @ cell.weight_ih.t() + cell.bias_ih + cell.bias_hh
    for u, v in zip(R.lstm_step(gx, h, c, cell.weight_hh), cell(x, (h, c))):
        torch.testing.assert_close(u, v, rtol=1e-15, atol=1e-15)
