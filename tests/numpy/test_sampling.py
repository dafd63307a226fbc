"""rnnbook.numpy.sampling: temperature, greedy limit, reproducibility, entropy."""

import math

import numpy as np
import pytest

from rnnbook.numpy.sampling import (distinct_ngram_fraction, entropy_bits, sample_next, softmax_temperature)

SCORES = np.linspace(-1.0, 2.0, 7)[[3, 0, 6, 1, 5, 2, 4]]  # argmax at index 2


def test_temperature_to_zero_gives_the_argmax():
    rng = np.random.default_rng(0)
    assert all(sample_next(SCORES, 1e-4, rng) == 2 for _ in range(200))
    assert sample_next(SCORES, 0) == 2                     # exactly zero: greedy, no generator needed
    p = softmax_temperature(SCORES, 1e-3)
    assert p[2] > 1 - 1e-12


def test_same_seed_same_samples_and_different_seed_different_samples():
    scores = np.random.default_rng(1).standard_normal((50, 9))
    a = sample_next(scores, 1.0, np.random.default_rng(7))
    b = sample_next(scores, 1.0, np.random.default_rng(7))
    c = sample_next(scores, 1.0, np.random.default_rng(8))
    assert a.shape == (50,) and a.dtype == np.int64
    np.testing.assert_array_equal(a, b)
    assert np.any(a != c)


def test_samples_follow_the_tempered_distribution():
    rng = np.random.default_rng(0)
    draws = sample_next(np.tile(SCORES, (40_000, 1)), 0.7, rng)  # (40000,)
    freq = np.bincount(draws, minlength=len(SCORES)) / len(draws)
    np.testing.assert_allclose(freq, softmax_temperature(SCORES, 0.7), atol=0.01)


def test_high_temperature_flattens_and_entropy_grows_with_temperature():
    ts = [0.25, 0.5, 1.0, 2.0, 8.0]
    H = [float(entropy_bits(softmax_temperature(SCORES, t))) for t in ts]
    assert all(a < b for a, b in zip(H, H[1:]))
    assert H[-1] < math.log2(len(SCORES)) and H[-1] > math.log2(len(SCORES)) - 0.05
    assert entropy_bits(np.eye(4)[1]) == 0.0
    assert entropy_bits(np.full(8, 1 / 8)) == pytest.approx(3.0)


@pytest.mark.parametrize("bad", [-0.5, float("nan"), float("inf"), "hot", None, True])
def test_a_bad_temperature_is_a_one_line_value_error(bad):
    with pytest.raises(ValueError) as e:
        sample_next(SCORES, bad, np.random.default_rng(0))
    assert "temperature: expected a finite number >= 0" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ValueError, match="temperature: expected a finite number > 0"):
        softmax_temperature(SCORES, 0)


def test_distinct_ngram_fraction():
    assert distinct_ngram_fraction("abcdef", 2) == 1.0
    assert distinct_ngram_fraction("aaaaa", 2) == 0.25
    with pytest.raises(ValueError, match="n: expected"):
        distinct_ngram_fraction("ab", 3)
