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
