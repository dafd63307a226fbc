"""The shared twin helper must itself catch a wrong gradient (a check that cannot fail is no check)."""

import numpy as np
import pytest
import torch

from twin import assert_twins, finite_differences, numpy_pair, torch_autograd


def _square_forward(x):
    return x * x, x


def _square_backward(dout, x):
    return (2 * x * dout,)


def _wrong_backward(dout, x):
    return (x * dout,)


def test_twin_agrees_on_correct_gradient(rng):
    x = rng.standard_normal((3, 4))
    errs = assert_twins(numpy_pair(_square_forward, _square_backward), finite_differences(_square_forward), [x],
                        tol=1e-10, grad_tol=1e-8)
    assert errs["grad0"] < 1e-8
    assert_twins(numpy_pair(_square_forward, _square_backward), torch_autograd(lambda t: t * t), [x])


def test_twin_catches_wrong_gradient(rng):
    x = rng.standard_normal((3, 4))
    with pytest.raises(AssertionError, match="disagreement"):
        assert_twins(numpy_pair(_square_forward, _wrong_backward), torch_autograd(lambda t: t * t), [x])


def test_twin_catches_wrong_output(rng):
    x = rng.standard_normal((3, 4))
    with pytest.raises(AssertionError, match="disagreement"):
        assert_twins(numpy_pair(_square_forward, _square_backward), torch_autograd(lambda t: t * t + 1e-6), [x])


def test_atol_rule_accepts_float32_noise_but_catches_real_errors(rng):
    x = rng.standard_normal((3, 4))
    noisy = torch_autograd(lambda t: t * t + 1e-7)  # absolute noise far above rel_error's 1e-8 floor near zero
    assert_twins(numpy_pair(_square_forward, _square_backward), noisy, [x], tol=1e-5, atol=1e-5)
    with pytest.raises(AssertionError, match="disagreement"):
        assert_twins(numpy_pair(_square_forward, _wrong_backward), noisy, [x], tol=1e-5, atol=1e-5)
