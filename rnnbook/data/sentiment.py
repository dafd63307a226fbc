"""A generated sentiment corpus built to need memory, and a bag-of-words baseline that fails on it.

The generator (documented because the corpus is ours, not a published one). Every sentence is

    <subject> was [not] <adj1> <conn> [not] <adj2>

with a subject drawn from ``SUBJECTS``, one POSITIVE and one NEGATIVE adjective in random order,
each clause negated with probability 1/2, and a connective from ``CONNECTIVES``:

* ``but``, ``yet``: the clause AFTER the connective decides (``"was good but not bad"`` -> its
  second clause, ``not bad`` -> positive);
* ``and``: written ``"<subject> was [not] <adj1> and [not] <adj2>"`` too, but here the FIRST clause
  decides (an arbitrary rule, so that the model must read the connective, not just the end).

A clause's polarity is its adjective's polarity, flipped by ``not``. Label 1 = positive.

Why a bag of words cannot do better than chance: every sentence holds exactly one positive and one
negative adjective, and given the bag (which words, how many ``not``) the deciding clause's
adjective is equally likely to be the positive or the negative one, and its negation equally
likely present or absent. So P(label | bag) = 1/2 for every bag, and any bag-of-words classifier
is at chance on average. Order (which adjective comes after the connective) and negation scope
(which adjective ``not`` precedes) decide the label.

Shape letters: N sentences, V vocabulary.
"""

from __future__ import annotations

import numpy as np

__all__ = ["POSITIVE", "NEGATIVE", "SUBJECTS", "CONNECTIVES", "make_sentiment_corpus", "sentiment_label",
           "bag_of_words", "bag_of_words_baseline"]

POSITIVE = ["good", "great", "fun", "moving", "clever", "charming"]
NEGATIVE = ["bad", "dull", "boring", "awful", "clumsy", "tedious"]
SUBJECTS = ["the movie", "the plot", "the acting", "the ending", "the music", "the script"]
CONNECTIVES = ["but", "yet", "and"]


def sentiment_label(tokens: list[str]) -> int:
    """The rule that defines the label of a sentence from the generator (1 positive, 0 negative)."""
    conn = next(i for i, w in enumerate(tokens) if w in CONNECTIVES)
    first, second = tokens[tokens.index("was") + 1: conn], tokens[conn + 1:]
    clause = second if tokens[conn] in ("but", "yet") else first
    pol = clause[-1] in POSITIVE
    return int(pol != ("not" in clause))


def make_sentiment_corpus(n: int, seed=0) -> tuple[list[list[str]], np.ndarray]:
    """``n`` tokenised sentences and their labels int64 (N,), from a fixed seed."""
    if n < 1:
        raise ValueError(f"n: expected a positive number of sentences, got {n}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sents, labels = [], []
    for _ in range(n):
        adjs = [POSITIVE[rng.integers(len(POSITIVE))], NEGATIVE[rng.integers(len(NEGATIVE))]]
        if rng.random() < 0.5:
            adjs.reverse()
        toks = SUBJECTS[rng.integers(len(SUBJECTS))].split() + ["was"]
        for j, adj in enumerate(adjs):
            if j == 1:
                toks.append(CONNECTIVES[rng.integers(len(CONNECTIVES))])
            if rng.random() < 0.5:
                toks.append("not")
            toks.append(adj)
        sents.append(toks)
        labels.append(sentiment_label(toks))
    return sents, np.array(labels, dtype=np.int64)


def bag_of_words(sents: list[list[str]], vocab: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Word counts float64 (N, V) and the vocabulary (sorted words of ``sents`` unless given)."""
    vocab = sorted({w for s in sents for w in s}) if vocab is None else vocab
    idx = {w: i for i, w in enumerate(vocab)}
    X = np.zeros((len(sents), len(vocab)))
    for i, s in enumerate(sents):
        for w in s:
            if w in idx:
                X[i, idx[w]] += 1
    return X, vocab


def bag_of_words_baseline(train, test, steps: int = 500, lr: float = 0.5, l2: float = 1e-3) -> dict:
    """Logistic regression on word counts (full-batch gradient descent); returns train/test accuracy.

    ``train`` and ``test`` are (sentences, labels) pairs as made by :func:`make_sentiment_corpus`.
    """
    (s_tr, y_tr), (s_te, y_te) = train, test
    X, vocab = bag_of_words(s_tr)
    Xt, _ = bag_of_words(s_te, vocab)
    X = np.hstack([X, np.ones((len(X), 1))])  # (N, V + 1) with a bias column
    Xt = np.hstack([Xt, np.ones((len(Xt), 1))])
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        w -= lr * (X.T @ (p - y_tr) / len(X) + l2 * w)
    acc = lambda A, y: float(np.mean(((A @ w) > 0).astype(np.int64) == y))  # noqa: E731
    return {"train_accuracy": acc(X, y_tr), "test_accuracy": acc(Xt, y_te)}
