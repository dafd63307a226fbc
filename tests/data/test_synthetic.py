"""The generated tasks have exactly the stated structure; the sentiment corpus defeats a bag of words."""

import numpy as np
import pytest

from rnnbook.data import (CONNECTIVES, adding_problem, bag_of_words_baseline, copy_task, make_sentiment_corpus,
                          sentiment_label, temporal_order)


@pytest.mark.parametrize("T", [20, 50, 100])
def test_adding_problem_structure(T):
    x, y, lengths = adding_problem(500, T, seed=1)
    assert x.shape == (500, lengths.max(), 2) and x.dtype == np.float64
    assert lengths.min() >= T and lengths.max() <= T + T // 10
    for i in range(500):
        L = lengths[i]
        m = x[i, :L, 1]
        marked = np.flatnonzero(m == 1.0)
        assert len(marked) == 2 and any(a < 10 and b < T // 2 - 1 for a, b in (marked, marked[::-1]))
        assert set(np.unique(m)) <= {-1.0, 0.0, 1.0}
        assert m[L - 1] == -1.0 and (m[0] == -1.0 or 0 in marked)
        assert np.all(x[i, L:] == 0) and np.all(np.abs(x[i, :L, 0]) <= 1)
        assert np.isclose(y[i], 0.5 + x[i, marked, 0].sum() / 4)
    assert np.all((0 <= y) & (y <= 1))
    x2, y2, _ = adding_problem(500, T, seed=1)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)


def test_temporal_order_structure():
    L = 100
    x, y = temporal_order(300, L, seed=2)
    assert x.shape == (300, L, 6) and np.all(x.sum(-1) == 1) and y.dtype == np.int64
    sym = x.argmax(-1)
    for i in range(300):
        ab = np.flatnonzero(sym[i] < 2)
        assert len(ab) == 2 and 10 <= ab[0] < 20 and 50 <= ab[1] < 60
        assert y[i] == sym[i, ab[0]] + 2 * sym[i, ab[1]]
    assert set(np.unique(y)) == {0, 1, 2, 3}


def test_copy_task_structure():
    x, y = copy_task(10, T=20, n_symbols=8, length=5, seed=0)
    assert x.shape == y.shape == (10, 30)
    assert np.all(x[:, 5 + 19] == 9) and np.array_equal(y[:, 25:], x[:, :5])
    assert np.all(y[:, :25] == 0) and np.all((x[:, :5] >= 1) & (x[:, :5] <= 8))


def test_sentiment_labels_follow_order_and_negation():
    assert sentiment_label("the movie was good but bad".split()) == 0
    assert sentiment_label("the movie was bad but good".split()) == 1  # same bag, other order
    assert sentiment_label("the movie was bad but not good".split()) == 0
    assert sentiment_label("the movie was good and not bad".split()) == 1
    assert sentiment_label("the movie was not good and bad".split()) == 0
    sents, y = make_sentiment_corpus(300, seed=0)
    assert all(sentiment_label(s) == l for s, l in zip(sents, y))
    assert all(sum(w in CONNECTIVES for w in s) == 1 for s in sents)


def test_bag_of_words_is_at_chance():
    train = make_sentiment_corpus(4000, seed=0)
    test = make_sentiment_corpus(4000, seed=1)
    assert 0.45 < test[1].mean() < 0.55
    acc = bag_of_words_baseline(train, test)
    assert abs(acc["test_accuracy"] - 0.5) < 0.04
