"""The modules on CUDA: against torch.nn on CUDA (float64 ≤ 1e-10, float32 ≤ 1e-4 since cuDNN sums in another
order), outputs on the input's device, and our CUDA result against our CPU result. The CUDA tests are marked
``cuda`` (skipped with a reason on a machine without a GPU); the device helper's tests run everywhere."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

import rnnbook.torch as R
from twin import assert_twins, random_douts, torch_autograd

RECURRENT = {
    "rnn": (R.RNN, nn.RNN, dict(input_size=5, hidden_size=4, num_layers=2, bidirectional=True)),
    "lstm": (R.LSTM, nn.LSTM, dict(input_size=5, hidden_size=4, num_layers=2, bidirectional=True, batch_first=True)),
    "gru": (R.GRU, nn.GRU, dict(input_size=5, hidden_size=4, num_layers=2, bidirectional=True)),
    "rnn_cell": (R.RNNCell, nn.RNNCell, dict(input_size=5, hidden_size=4)),
    "lstm_cell": (R.LSTMCell, nn.LSTMCell, dict(input_size=5, hidden_size=4)),
    "gru_cell": (R.GRUCell, nn.GRUCell, dict(input_size=5, hidden_size=4)),
    "mha": (R.MultiheadAttention, nn.MultiheadAttention, dict(embed_dim=8, num_heads=2, batch_first=True)),
}


@pytest.fixture
def no_tf32():
    """TF32 would round float32 products to 10 mantissa bits; compare true float32.
    (Plain assignment: these flags are properties that monkeypatch.setattr cannot see.)"""
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = False, False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


def flatten(res):
    out = []
    for r in res if isinstance(res, tuple) else (res,):
        out.extend(flatten(r) if isinstance(r, tuple) else [r])
    return tuple(out)


def setup(kind, dtype, device):
    ours_cls, theirs_cls, kw = RECURRENT[kind]
    torch.manual_seed(0)
    theirs = theirs_cls(**kw).to(device=device, dtype=dtype)
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-0.6, 0.6)
    ours = ours_cls(**kw).to(device=device, dtype=dtype)
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5) if kind.endswith("cell") else (3, 4, 8 if kind == "mha" else 5))
    inputs = [x, x[::-1].copy(), x * 0.5] if kind == "mha" else [x]
    return ours, theirs, inputs


def as_fn(module, names, n_inputs):
    def fn(*ts):
        params = dict(zip(names, ts[n_inputs:]))
        return flatten(functional_call(module, params, tuple(ts[:n_inputs]), strict=True))
    return fn


@pytest.mark.cuda
@pytest.mark.parametrize("kind", RECURRENT)
def test_cuda_twin_float64(kind):
    ours, theirs, inputs = setup(kind, torch.float64, "cuda")
    names = list(theirs.state_dict())
    params = [p.detach().cpu().numpy() for p in theirs.state_dict().values()]
    n = len(inputs)
    wrt = list(range(n + len(params)))
    if kind == "mha":  # the key bias's gradient is zero up to rounding: compare it apart (see test_attention_modules)
        wrt.remove(n + names.index("in_proj_bias"))
    assert_twins(torch_autograd(as_fn(theirs, names, n), wrt=wrt, device="cuda"),
                 torch_autograd(as_fn(ours, names, n), wrt=wrt, device="cuda"), inputs + params, tol=1e-10)


@pytest.mark.cuda
@pytest.mark.parametrize("kind", RECURRENT)
def test_cuda_twin_float32(kind, no_tf32):
    ours, theirs, inputs = setup(kind, torch.float32, "cuda")
    names = list(theirs.state_dict())
    params = [p.detach().cpu().double().numpy() for p in theirs.state_dict().values()]
    n = len(inputs)
    a = torch_autograd(as_fn(theirs, names, n), dtype=torch.float32, device="cuda")
    b = torch_autograd(as_fn(ours, names, n), dtype=torch.float32, device="cuda")
    douts = random_douts(a(inputs + params, None)[0])
    (oa, ga), (ob, gb) = a(inputs + params, douts), b(inputs + params, douts)
    for u, v in zip(oa + ga, ob + gb):
        np.testing.assert_allclose(v, u, rtol=1e-4, atol=1e-4)


@pytest.mark.cuda
@pytest.mark.parametrize("kind", RECURRENT)
def test_cuda_outputs_stay_on_the_input_device_and_match_cpu(kind):
    ours, _, inputs = setup(kind, torch.float64, "cuda")
    xs = [torch.tensor(a, device="cuda") for a in inputs]
    outs = flatten(ours(*xs))
    assert all(o.device == xs[0].device and o.dtype == torch.float64 for o in outs if o is not None)
    cpu_outs = flatten(ours.cpu()(*[x.cpu() for x in xs]))
    for g, c in zip(outs, cpu_outs):
        torch.testing.assert_close(g.cpu(), c, rtol=1e-10, atol=1e-10)


@pytest.mark.cuda
def test_cuda_sdpa_and_scan():
    q, k, v = (torch.randn(2, 3, 4, 5, device="cuda", dtype=torch.float64) for _ in range(3))
    out = R.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert out.device == q.device
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), rtol=1e-10, atol=1e-10)
    a, b = torch.rand(2, 9, 3, device="cuda", dtype=torch.float64), torch.randn(2, 9, 3, device="cuda",
                                                                                  dtype=torch.float64)
    h = R.linear_recurrence_scan(a, b)
    assert h.device == a.device
    torch.testing.assert_close(h, R.linear_recurrence_loop(a, b), rtol=1e-12, atol=1e-12)
    m = R.MinGRU(3, 4).to("cuda", torch.float64)
    out, h_last = m(torch.randn(2, 6, 3, device="cuda", dtype=torch.float64))
    assert out.device == h_last.device == a.device


@pytest.mark.cuda
def test_cuda_input_against_cpu_module_is_a_clear_error():
    m = R.LSTM(5, 4)
    with pytest.raises(ValueError, match="input: expected device cpu .*, got cuda"):
        m(torch.randn(3, 2, 5, device="cuda"))


@pytest.mark.cuda
def test_default_device_is_cuda_when_available(monkeypatch):
    monkeypatch.delenv("RNNBOOK_DEVICE", raising=False)
    assert R.default_device().type == "cuda"


# ------------------------------------------------------------------- device helper (runs everywhere)
def test_default_device_falls_back_to_cpu(monkeypatch):
    monkeypatch.delenv("RNNBOOK_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert R.default_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert R.default_device() == torch.device("cuda")


def test_default_device_env_var(monkeypatch):
    monkeypatch.setenv("RNNBOOK_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert R.default_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("RNNBOOK_DEVICE", "cuda:1")
    with pytest.raises(ValueError, match=r"RNNBOOK_DEVICE: expected a device this machine has .*got 'cuda:1'"):
        R.default_device()
    monkeypatch.setenv("RNNBOOK_DEVICE", "gpu-please")
    with pytest.raises(ValueError, match=r"RNNBOOK_DEVICE: expected a torch device .*got 'gpu-please'"):
        R.default_device()


def test_to_device(monkeypatch):
    monkeypatch.setenv("RNNBOOK_DEVICE", "cpu")
    a, b = torch.zeros(2), torch.ones(3)
    assert R.to_device(a).device.type == "cpu"
    moved = R.to_device(a, None, b, device="cpu")
    assert moved[1] is None and torch.equal(moved[2], b)
