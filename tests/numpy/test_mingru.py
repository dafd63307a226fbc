"""minGRU (chapter 10's exercise 4): rnnbook.numpy's forward and backward against its torch twin
rnnbook.torch.MinGRU in float64 (outputs and every gradient, parameters included), and the exercise's two
reference forms against rnnbook's (finite differences and a hand-written torch formula are in
tests/numpy/test_positional_scan.py)."""

import numpy as np
import pytest
import torch
from twin import assert_twins, module_call, numpy_pair, torch_autograd

from autograder.checks.ch10 import exact_scan
from autograder.reference import ch10 as ref
from rnnbook.numpy.scan import min_gru_backward, min_gru_forward
from rnnbook.torch import MinGRU


def _inputs(rng, N=2, T=5, D=3, H=4):
    return [rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((D, H)) / np.sqrt(D),
            0.3 * rng.standard_normal(H), rng.standard_normal((D, H)) / np.sqrt(D), 0.3 * rng.standard_normal(H)]


@pytest.mark.parametrize("N,T,parallel", [(1, 1, True), (2, 7, True), (3, 6, False)])
def test_numpy_min_gru_equals_rnnbook_torch_min_gru(N, T, parallel):
    """rnnbook.torch.MinGRU holds Wz, Wh as linear_z.weight, linear_h.weight of shape (H, D): the NumPy (D, H)
    weights transposed."""
    rng = np.random.default_rng(T)
    inputs = _inputs(rng, N=N, T=T)
    D, H = inputs[2].shape
    module = MinGRU(D, H).double()
    names = ["linear_z.weight", "linear_z.bias", "linear_h.weight", "linear_h.bias"]

    def torch_fn(x, h0, Wz, bz, Wh, bh):
        run = module_call(module, names, lambda call, x, h0: call(x, h0, parallel=parallel)[0])
        return run(x, h0, Wz.T, bz, Wh.T, bh)

    assert_twins(numpy_pair(min_gru_forward, min_gru_backward), torch_autograd(torch_fn), inputs, tol=1e-10)


@pytest.mark.parametrize("T", [1, 9, 33])
def test_exercise_reference_forms_equal_rnnbook(T):
    rng = np.random.default_rng(100 + T)
    inputs = _inputs(rng, T=T)
    h, _ = min_gru_forward(*inputs)
    np.testing.assert_allclose(ref.min_gru_sequential(*inputs), h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref.min_gru_parallel(*inputs, exact_scan), h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref.min_gru_parallel(*inputs, lambda a, b, h0: ref.linear_recurrence_scan(a, b, h0)),
                               h, rtol=1e-12, atol=1e-12)
