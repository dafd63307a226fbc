"""Linear recurrence h_t = a_t ⊙ h_{t-1} + b_t: the parallel scan equals the loop (values and gradients);
the minGRU gives the same result in parallel and sequentially."""

import numpy as np
import pytest
import torch

import rnnbook.torch as R
from twin import assert_twins, torch_autograd


@pytest.mark.parametrize("T", [1, 2, 3, 8, 13])
@pytest.mark.parametrize("given_h0", [False, True])
def test_scan_equals_loop(T, given_h0):
    rng = np.random.default_rng(T)
    N, H = 3, 4
    inputs = [rng.uniform(0.2, 1.1, (N, T, H)), rng.standard_normal((N, T, H))]
    if given_h0:
        inputs.append(rng.standard_normal((N, H)))
    errs = assert_twins(torch_autograd(R.linear_recurrence_loop), torch_autograd(R.linear_recurrence_scan),
                        inputs, tol=1e-12)
    assert errs["out0"] <= 1e-12


def test_loop_matches_the_definition():
    a = torch.tensor([[[0.5], [2.0], [0.1]]], dtype=torch.float64)  # (1, 3, 1)
    b = torch.tensor([[[1.0], [1.0], [3.0]]], dtype=torch.float64)
    h0 = torch.tensor([[4.0]], dtype=torch.float64)
    expected = torch.tensor([[[3.0], [7.0], [3.7]]], dtype=torch.float64)  # 0.5·4+1, 2·3+1, 0.1·7+3
    for f in (R.linear_recurrence_loop, R.linear_recurrence_scan):
        torch.testing.assert_close(f(a, b, h0), expected, rtol=1e-15, atol=1e-15)


def test_scan_takes_log_T_rounds(monkeypatch):
    calls = []
    real_cat = torch.cat
    monkeypatch.setattr(torch, "cat", lambda *a, **k: calls.append(1) or real_cat(*a, **k))
    R.linear_recurrence_scan(torch.rand(2, 100, 3), torch.rand(2, 100, 3))
    assert len(calls) == 2 * 7  # ⌈log2 100⌉ = 7 rounds, two shifted copies each


def test_scan_bad_input():
    a = torch.rand(2, 5, 3)
    with pytest.raises(ValueError, match=r"b: expected \(N, T, H\) = \(2, 5, 3\), got \(2, 4, 3\)"):
        R.linear_recurrence_scan(a, torch.rand(2, 4, 3))
    with pytest.raises(ValueError, match=r"h0: expected \(N, H\) = \(2, 3\), got \(3, 3\)"):
        R.linear_recurrence_loop(a, a, torch.rand(3, 3))
    with pytest.raises(ValueError, match="b: expected dtype torch.float32 .*, got torch.float64"):
        R.linear_recurrence_scan(a, a.double())
    with pytest.raises(ValueError, match="a: expected at least one time step"):
        R.linear_recurrence_loop(a[:, :0], a[:, :0])


@pytest.mark.parametrize("given_h0", [False, True])
def test_mingru_parallel_equals_sequential(given_h0):
    torch.manual_seed(0)
    m = R.MinGRU(5, 4).double()
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((3, 9, 5))] + ([rng.standard_normal((3, 4))] if given_h0 else [])
    params = [p.detach().numpy() for p in m.parameters()]
    names = [n for n, _ in m.named_parameters()]

    def run(parallel):
        def fn(x, *rest):
            k = len(rest) - len(names)
            out = torch.func.functional_call(m, dict(zip(names, rest[k:])), (x, *rest[:k]),
                                             {"parallel": parallel}, strict=True)
            return out
        return fn

    assert_twins(torch_autograd(run(False)), torch_autograd(run(True)), inputs + params, tol=1e-12)


def test_mingru_matches_its_equations():
    torch.manual_seed(0)
    m = R.MinGRU(3, 2).double()
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    h = torch.zeros(2, 2, dtype=torch.float64)
    hs = []
    for t in range(4):
        z = torch.sigmoid(m.linear_z(x[:, t]))
        h = (1 - z) * h + z * m.linear_h(x[:, t])
        hs.append(h)
    out, h_last = m(x)
    torch.testing.assert_close(out, torch.stack(hs, 1), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h_last, hs[-1], rtol=1e-12, atol=1e-12)
    assert torch.equal(h_last, out[:, -1])
    with pytest.raises(ValueError, match=r"x: expected \(N, T, D\) = \(2, 4, 3\), got \(2, 4, 5\)"):
        m(torch.randn(2, 4, 5, dtype=torch.float64))
