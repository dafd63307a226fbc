"""The one comparison used by the notebooks and the grader: plain data only, honest feedback."""

import numpy as np
import pytest
import torch

from autograder.compare import NotPlainData, compare, to_plain
from autograder.spec import PUBLIC_SEED, case_rng


class FakeArray:
    """Pretends to be an array: equal to everything, converts to whatever it is compared with."""

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(3)


class SubArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)


def test_to_plain_refuses_objects_that_pretend_to_be_arrays():
    with pytest.raises(NotPlainData, match="expected a NumPy array or a number, got .*FakeArray"):
        to_plain(FakeArray())
    with pytest.raises(NotPlainData, match="SubArray"):
        to_plain(np.zeros(3).view(SubArray))
    with pytest.raises(NotPlainData, match="dtype object"):
        to_plain(np.array([None, 1]))
    with pytest.raises(NotPlainData, match="expected 2 outputs, got 1"):
        to_plain((np.zeros(2),), n=2)


def test_to_plain_accepts_arrays_numbers_and_plain_tensors():
    out = to_plain((np.arange(3.0), 2.5, np.float32(1), torch.ones(2, requires_grad=True)))
    assert [type(o) for o in out] == [np.ndarray] * 4
    assert out[3].tolist() == [1.0, 1.0]


def test_to_plain_copies_so_later_mutation_cannot_change_a_result():
    a = np.zeros(3)
    (b,) = to_plain(a)
    a[0] = 1.0
    assert b[0] == 0.0


def test_compare_reports_shape_nan_and_first_mismatch():
    e = (np.zeros((2, 3)),)
    v = compare(e, (np.zeros((3, 2)),), rtol=1e-7, atol=1e-9)
    assert not v.passed and v.message == "output 0: expected shape (2, 3), got (3, 2)"
    g = np.zeros((2, 3))
    g[1, 2] = np.nan
    v = compare(e, (g,), rtol=1e-7, atol=1e-9)
    assert not v.passed and v.message == "output 0: NaN found at index (1, 2)"
    g = np.zeros((2, 3))
    g[0, 1] = 0.5
    g[1, 0] = 0.25
    v = compare((np.zeros((2, 3)) + 1.0,), (g + 1.0,), rtol=1e-7, atol=1e-9, names=("h",))
    assert not v.passed
    assert "h: values differ; first mismatch at index (0, 1), 2 of 6 elements off" in v.message
    assert "expected" not in v.message.split("largest")[1]  # hidden case: expected values never revealed
    v = compare((np.ones(2),), (np.array([1.0, 2.0]),), rtol=1e-7, atol=1e-9, reveal=True)
    assert "expected output 0[1] = 1, got 2" in v.message


def test_compare_passes_within_tolerance_only():
    e = (np.linspace(-1, 1, 5),)
    assert compare(e, (e[0] * (1 + 1e-9),), rtol=1e-7, atol=1e-9).passed
    assert not compare(e, (e[0] * (1 + 1e-5),), rtol=1e-7, atol=1e-9).passed
    assert not compare(e, (e[0], e[0]), rtol=1e-7, atol=1e-9).passed


def test_hidden_cases_depend_on_the_secret():
    a = case_rng("secret-1", "ch02_x", "T=1").standard_normal(4)
    b = case_rng("secret-2", "ch02_x", "T=1").standard_normal(4)
    c = case_rng("secret-1", "ch02_x", "T=1").standard_normal(4)
    assert not np.allclose(a, b) and np.array_equal(a, c)
    assert not np.allclose(case_rng(PUBLIC_SEED, "ch02_x", "T=1").standard_normal(4), a)
