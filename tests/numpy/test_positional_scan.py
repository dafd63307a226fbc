"""Sinusoidal positional encoding, the linear-recurrence scan and minGRU."""

import numpy as np
import pytest
import torch

from rnnbook.numpy.positional import (
    add_positional_encoding_backward,
    add_positional_encoding_forward,
    positional_encoding,
)
from rnnbook.numpy.scan import (
    linear_recurrence_backward,
    linear_recurrence_scan,
    linear_recurrence_sequential,
    min_gru_backward,
    min_gru_forward,
)
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

FD_H = 1e-5

# ------------------------------------------------------------------------------------------ positional


def test_positional_encoding_literal_odd_d():
    pe = positional_encoding(3, 5)
    # frequencies 10000^(-0/5) = 1, 10000^(-2/5) = 0.025118864315, 10000^(-4/5) = 0.000630957344
    expected = [
        [0.0, 1.0, 0.0, 1.0, 0.0],
        [0.8414709848079, 0.5403023058681, 0.0251162229098, 0.9996845379152, 0.0006309573026],
        [0.9092974268257, -0.4161468365471, 0.0502165993875, 0.9987383506935, 0.0012619143540],
    ]
    np.testing.assert_allclose(pe, expected, rtol=1e-11, atol=1e-13)
    assert pe.shape == (3, 5) and pe.dtype == np.float64


def test_positional_encoding_formula_even_d_base_dtype():
    T, d, base = 7, 6, 100.0
    pe = positional_encoding(T, d, base=base, dtype=np.float32)
    assert pe.dtype == np.float32 and pe.shape == (T, d)
    pos = np.arange(T)[:, None]
    for i in range(d // 2):
        np.testing.assert_allclose(pe[:, 2 * i], np.sin(pos[:, 0] / base ** (2 * i / d)), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(pe[:, 2 * i + 1], np.cos(pos[:, 0] / base ** (2 * i / d)), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(positional_encoding(1, 1), [[0.0]])


def test_add_positional_encoding_twins(rng):
    x = rng.standard_normal((2, 4, 3))
    pair = numpy_pair(add_positional_encoding_forward, add_positional_encoding_backward)
    assert_twins(pair, finite_differences(add_positional_encoding_forward, h=FD_H), [x], tol=1e-12, grad_tol=1e-7)
    pe = torch.from_numpy(positional_encoding(4, 3))
    assert_twins(pair, torch_autograd(lambda t: t + pe), [x], tol=1e-10)


def test_positional_bad_input(rng):
    with pytest.raises(ValueError, match=r"^d: expected a positive integer"):
        positional_encoding(3, 0)
    with pytest.raises(ValueError, match=r"^T: expected a positive integer"):
        positional_encoding(2.5, 4)
    with pytest.raises(ValueError, match=r"^x: expected 3 dimensions"):
        add_positional_encoding_forward(rng.standard_normal((4, 3)))
    with pytest.raises(ValueError, match=r"^x: expected a floating-point dtype"):
        add_positional_encoding_forward(np.ones((1, 2, 3), dtype=np.int64))
    out, cache = add_positional_encoding_forward(rng.standard_normal((1, 2, 3)))
    with pytest.raises(ValueError, match=r"^dout: expected the shape"):
        add_positional_encoding_backward(out[:, :1], cache)


# ------------------------------------------------------------------------------------------------ scan


def _scan_forward(a, b, h0):
    h = linear_recurrence_scan(a, b, h0)
    return h, (a, h, h0)


def _scan_backward(dh, cache):
    a, h, h0 = cache
    return linear_recurrence_backward(dh, a, h, h0)


def _torch_recurrence(a, b, h0):
    hs, prev = [], h0
    for t in range(a.shape[1]):
        prev = a[:, t] * prev + b[:, t]
        hs.append(prev)
    return torch.stack(hs, dim=1)


def _ab(rng, N, T, H):
    return rng.uniform(0.3, 1.1, (N, T, H)), rng.standard_normal((N, T, H)), rng.standard_normal((N, H))


@pytest.mark.parametrize("T", [1, 2, 3, 7, 8, 16, 33])
def test_scan_equals_sequential(rng, T):
    a, b, h0 = _ab(rng, 2, T, 3)
    for start in (h0, None):
        seq = linear_recurrence_sequential(a, b, start)
        par = linear_recurrence_scan(a, b, start)
        assert np.max(np.abs(par - seq)) <= 1e-12 * max(1.0, np.max(np.abs(seq)))


def test_scan_linspace_literal():
    a = np.full((1, 4, 1), 0.5)
    b = np.linspace(1.0, 4.0, 4).reshape(1, 4, 1)
    # h = 1, 0.5·1 + 2, 0.5·2.5 + 3, 0.5·4.25 + 4
    np.testing.assert_allclose(linear_recurrence_scan(a, b)[0, :, 0], [1.0, 2.5, 4.25, 6.125], rtol=1e-15)
    np.testing.assert_allclose(linear_recurrence_scan(a, b, np.array([[2.0]]))[0, :, 0], [2.0, 3.0, 4.5, 6.25],
                               rtol=1e-15)
    # backward with dh = 1 everywhere: g = (1 + .5(1 + .5(1 + .5)), 1 + .5(1 + .5), 1 + .5, 1)
    da, db, dh0 = linear_recurrence_backward(np.ones((1, 4, 1)), a, linear_recurrence_scan(a, b))
    np.testing.assert_allclose(db[0, :, 0], [1.875, 1.75, 1.5, 1.0], rtol=1e-15)
    np.testing.assert_allclose(da[0, :, 0], [0.0, 1.75 * 1.0, 1.5 * 2.5, 1.0 * 4.25], rtol=1e-15)
    np.testing.assert_allclose(dh0, [[0.9375]], rtol=1e-15)


@pytest.mark.parametrize("N,T,H,tol", [(2, 3, 2, 1e-7), (1, 1, 3, 1e-7), (2, 12, 2, 1e-6)])
def test_scan_backward_matches_finite_differences(rng, N, T, H, tol):
    assert_twins(numpy_pair(_scan_forward, _scan_backward), finite_differences(_scan_forward, h=FD_H),
                 list(_ab(rng, N, T, H)), tol=1e-12, grad_tol=tol)


@pytest.mark.parametrize("T", [1, 5, 17])
def test_scan_matches_torch_autograd(rng, T):
    assert_twins(numpy_pair(_scan_forward, _scan_backward), torch_autograd(_torch_recurrence),
                 list(_ab(rng, 3, T, 4)), tol=1e-10)


def test_scan_backward_without_h0(rng):
    a, b, _ = _ab(rng, 2, 5, 3)

    def fwd(a_, b_):
        h = linear_recurrence_scan(a_, b_)
        return h, (a_, h)

    def bwd(dh, cache):
        return linear_recurrence_backward(dh, cache[0], cache[1])[:2]

    assert_twins(numpy_pair(fwd, bwd), torch_autograd(lambda a_, b_: _torch_recurrence(a_, b_, 0.0)), [a, b],
                 tol=1e-10)


# ---------------------------------------------------------------------------------------------- minGRU


def _min_gru_inputs(rng, N=2, T=3, D=3, H=4):
    return [rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((D, H)) / np.sqrt(D),
            0.3 * rng.standard_normal(H), rng.standard_normal((D, H)) / np.sqrt(D), 0.3 * rng.standard_normal(H)]


def _torch_min_gru(x, h0, Wz, bz, Wh, bh):
    z = torch.sigmoid(x @ Wz + bz)
    h_tilde = x @ Wh + bh
    return _torch_recurrence(1 - z, z * h_tilde, h0)


@pytest.mark.parametrize("T,tol", [(1, 1e-7), (3, 1e-7), (12, 1e-6)])
def test_min_gru_backward_matches_finite_differences(rng, T, tol):
    assert_twins(numpy_pair(min_gru_forward, min_gru_backward), finite_differences(min_gru_forward, h=FD_H),
                 _min_gru_inputs(rng, T=T), tol=1e-12, grad_tol=tol)


@pytest.mark.parametrize("N,T", [(1, 1), (3, 9)])
def test_min_gru_matches_torch(rng, N, T):
    assert_twins(numpy_pair(min_gru_forward, min_gru_backward), torch_autograd(_torch_min_gru),
                 _min_gru_inputs(rng, N=N, T=T), tol=1e-10)


def test_min_gru_saturated_gates_are_finite():
    x = np.array([[[800.0], [-800.0]]])  # z = σ(±800): no overflow warnings from the private sigmoid
    with np.errstate(over="raise", invalid="raise"):
        h, cache = min_gru_forward(x, np.array([[0.5]]), np.array([[1.0]]), np.zeros(1), np.array([[0.01]]),
                                   np.zeros(1))
    np.testing.assert_allclose(h[0, :, 0], [8.0, 8.0], rtol=1e-12)  # z=1 takes h̃ = 8; z=0 keeps it
    assert all(np.all(np.isfinite(g)) for g in min_gru_backward(np.ones_like(h), cache))


def test_scan_and_min_gru_bad_input(rng):
    a, b, h0 = _ab(rng, 2, 4, 3)
    with pytest.raises(ValueError, match=r"^b: expected \(N, T, H\) = \(2, 4, 3\), got \(2, 3, 3\)"):
        linear_recurrence_scan(a, b[:, :3])
    with pytest.raises(ValueError, match=r"^h0: expected"):
        linear_recurrence_sequential(a, b, h0[:, :2])
    with pytest.raises(ValueError, match=r"^a: expected 3 dimensions"):
        linear_recurrence_scan(a[0], b)
    with pytest.raises(ValueError, match=r"^a: expected a floating-point dtype"):
        linear_recurrence_scan(a.astype(np.int64), b)
    with pytest.raises(ValueError, match=r"^a: expected"):
        linear_recurrence_backward(a[:, :2], a, b)
    with pytest.raises(ValueError, match=r"^h: expected"):
        linear_recurrence_backward(a, a, b[:, :2])
    inputs = _min_gru_inputs(rng)
    with pytest.raises(ValueError, match=r"^Wh: expected \(D, H\)"):
        min_gru_forward(*inputs[:4], inputs[4][:, :2], inputs[5])
    h, cache = min_gru_forward(*inputs)
    with pytest.raises(ValueError, match=r"^dh: expected"):
        min_gru_backward(h[:, :1], cache)
