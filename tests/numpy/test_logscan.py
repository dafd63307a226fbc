"""Heinsen's log-space scan (chapter 10): equal to the ordinary scan where both are representable, backward
checked in float64 against finite differences, against its torch twin under autograd and against autograd
through the ordinary scan; the float32 failure of the cumulative form, and of the product, that it avoids."""

import numpy as np
import pytest
import torch
from twin import assert_twins, finite_differences, numpy_pair, torch_autograd

from rnnbook.numpy.logscan import (
    linear_recurrence_cumulative,
    log_linear_recurrence_backward,
    log_linear_recurrence_forward,
)
from rnnbook.numpy.scan import linear_recurrence_scan, linear_recurrence_sequential
from rnnbook.torch.logscan import log_linear_recurrence
from rnnbook.torch.scan import linear_recurrence_scan as torch_scan


def _positive(rng, N=2, T=6, H=3, h0=True):
    a = rng.uniform(0.3, 1.0, (N, T, H))
    b = rng.uniform(0.05, 2.0, (N, T, H))
    out = [np.log(a), np.log(b)]
    return out + [np.log(rng.uniform(0.1, 1.5, (N, H)))] if h0 else out


@pytest.mark.parametrize("T,h0", [(1, True), (7, True), (64, False), (300, True)])
def test_equals_the_ordinary_scan_where_both_are_representable(T, h0):
    rng = np.random.default_rng(T)
    logs = _positive(rng, T=T, h0=h0)
    log_h, _ = log_linear_recurrence_forward(*logs)
    expected = linear_recurrence_sequential(*[np.exp(v) for v in logs])
    np.testing.assert_allclose(np.exp(log_h), expected, rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_h), linear_recurrence_scan(*[np.exp(v) for v in logs]), rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_h), linear_recurrence_cumulative(*[np.exp(v) for v in logs]), rtol=1e-9)


@pytest.mark.parametrize("T,h0", [(1, True), (5, True), (6, False)])
def test_backward_matches_finite_differences(T, h0):
    """Elementwise |a - b| <= atol + tol |b|: without h0 the gradient of log a_1 is exactly 0 here, and the
    differences' rounding floor (~1e-11) is not small relative to 0."""
    inputs = _positive(np.random.default_rng(10 + T), T=T, h0=h0)
    assert_twins(numpy_pair(log_linear_recurrence_forward, log_linear_recurrence_backward),
                 finite_differences(log_linear_recurrence_forward, h=1e-5), inputs, tol=1e-7, atol=1e-9)


@pytest.mark.parametrize("T,h0", [(1, False), (9, True), (40, True)])
def test_backward_matches_the_torch_twin(T, h0):
    """Autograd reaches the exactly-zero gradient of log a_1 (no h0) as a difference, 1e-16 away from 0."""
    inputs = _positive(np.random.default_rng(20 + T), N=3, T=T, h0=h0)
    assert_twins(numpy_pair(log_linear_recurrence_forward, log_linear_recurrence_backward),
                 torch_autograd(log_linear_recurrence), inputs, tol=1e-10, atol=1e-13)


def test_backward_matches_autograd_through_the_ordinary_scan():
    """log of rnnbook.torch's Hillis–Steele scan of exp(log a), exp(log b): another function, the same values."""
    inputs = _positive(np.random.default_rng(3), T=12)

    def through_scan(log_a, log_b, log_h0):
        return torch.log(torch_scan(log_a.exp(), log_b.exp(), log_h0.exp()))

    assert_twins(numpy_pair(log_linear_recurrence_forward, log_linear_recurrence_backward),
                 torch_autograd(through_scan), inputs, tol=1e-10)


def test_zero_inputs_and_zero_start():
    """b = 0 (log b = -inf) with h0 = 1: log h_t = Σ log a, the log of the product of the gates, gradient 1 each."""
    log_a = np.log(np.full((1, 5, 2), 0.9))
    log_b = np.full((1, 5, 2), -np.inf)
    log_h, cache = log_linear_recurrence_forward(log_a, log_b, np.zeros((1, 2)))
    np.testing.assert_allclose(log_h[0, :, 0], np.log(0.9) * np.arange(1, 6), rtol=1e-14)
    dlog_a, dlog_b, dlog_h0 = log_linear_recurrence_backward(np.ones_like(log_h), cache)
    np.testing.assert_allclose(dlog_a[0, :, 0], np.arange(5, 0, -1), rtol=1e-14)
    assert np.all(dlog_b == 0) and np.allclose(dlog_h0, 5.0)


def test_float32_the_log_form_keeps_what_the_cumulative_form_loses():
    """4096 gates of 0.9: the float32 product leaves float32's range (true value 10^-187.4); its log in float32
    is right to 1e-4. With b_t = 1 the true h_t tends to 10: the cumulative form (product, then sum of b / A)
    is inf or NaN in float32 after about 830 steps; the log form (NumPy and torch) stays within 1e-4 of 10 (its
log h_t = a*_t + S_t adds two numbers near ±430, each rounded to float32's 6e-8 relative: ~3e-5 in log h)."""
    T = 4096
    a = np.full((1, T, 1), 0.9, dtype=np.float32)
    b = np.ones((1, T, 1), dtype=np.float32)
    true_log = T * np.log(np.float64(np.float32(0.9)))
    assert np.cumprod(a, axis=1)[0, -1, 0] < 1e-44  # leaves the range: 0 or a few subnormal units, not 1e-187
    log_p, _ = log_linear_recurrence_forward(np.log(a), np.full_like(a, -np.inf), np.zeros((1, 1), np.float32))
    assert log_p.dtype == np.float32 and abs(log_p[0, -1, 0] / true_log - 1) < 1e-4
    h64 = linear_recurrence_sequential(a.astype(np.float64), b.astype(np.float64))
    cum = linear_recurrence_cumulative(a, b)
    assert np.all(np.isfinite(cum[0, :800])) and not np.any(np.isfinite(cum[0, 1000:]))
    log_h, _ = log_linear_recurrence_forward(np.log(a), np.log(b))
    assert log_h.dtype == np.float32
    np.testing.assert_allclose(np.exp(log_h), h64, rtol=1e-4)
    log_h_t = log_linear_recurrence(torch.from_numpy(np.log(a)), torch.from_numpy(np.log(b)))
    np.testing.assert_allclose(log_h_t.exp().numpy(), h64, rtol=1e-4)


def test_bad_input_is_a_one_line_error():
    log_a, log_b, log_h0 = _positive(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"log_b: expected \(N, T, H\)"):
        log_linear_recurrence_forward(log_a, log_b[:, :3])
    with pytest.raises(ValueError, match=r"log_h0: expected \(N, H\)"):
        log_linear_recurrence_forward(log_a, log_b, log_h0[:, :1])
    with pytest.raises(ValueError, match="every gate a_t > 0"):
        log_linear_recurrence_forward(np.full_like(log_a, -np.inf), log_b)
    with pytest.raises(ValueError, match="at least one time step"):
        log_linear_recurrence_forward(log_a[:, :0], log_b[:, :0])
    with pytest.raises(ValueError, match="at least one time step"):
        log_linear_recurrence(torch.zeros(1, 0, 2), torch.zeros(1, 0, 2))
    with pytest.raises(ValueError, match=r"log_h0: expected \(N, H\)"):
        log_linear_recurrence(torch.zeros(1, 3, 2), torch.zeros(1, 3, 2), torch.zeros(2, 2))
