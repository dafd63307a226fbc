"""Checks of chapter 07, applications: a training loop for a character model on real text, within a budget.

The corpus is a slice of the Python standard library's own source (``textwrap.py``), read grader-side when
the case's inputs are drawn and passed as an int array (V ≤ 100 characters). The check gives the student's
loop a char-RNN ``loss_and_grads`` (plain NumPy BPTT, defined here) and a step budget; it counts the calls,
refuses a call with more than ``batch_size`` windows or windows longer than ``seq_len`` (the budget is stated
in calls of that size), then evaluates the returned parameters on the text and requires a stated loss. The
reference loop (Adam) meets it with a margin.
"""

from __future__ import annotations

import textwrap

import numpy as np

from ..spec import Check, Case

__all__ = ["CHECKS", "char_rnn_loss_and_grads", "evaluate", "corpus", "TARGET", "BUDGET"]

REF = "autograder.reference.ch07"

TARGET = 2.30  # nats per character on the training text (reference Adam: 0.85-1.45; plain SGD lr=1: 1.2-1.95)
BUDGET = 250  # calls of loss_and_grads
SEQ_LEN, BATCH, HIDDEN = 24, 16, 48


def corpus(start: int, length: int) -> tuple[np.ndarray, int]:
    """Characters [start, start + length) of textwrap.py as ints (0 … V-1), and V."""
    with open(textwrap.__file__, encoding="utf-8") as f:
        text = f.read()[start:start + length]
    chars = sorted(set(text))
    index = {c: k for k, c in enumerate(chars)}
    return np.array([index[c] for c in text], dtype=np.int64), len(chars)


def _forward(params, inputs, h0):
    Wx, Wh, b, Wy, by = params
    hs = [h0]
    for t in range(inputs.shape[1]):
        hs.append(np.tanh(Wx[inputs[:, t]] + hs[-1] @ Wh + b))  # (B, H)
    h = np.stack(hs[1:], axis=1)  # (B, L, H)
    s = h @ Wy + by  # (B, L, V)
    s = s - s.max(axis=2, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=2, keepdims=True))
    return hs, h, logp


def char_rnn_loss_and_grads(params, inputs, targets):
    """Mean cross-entropy (nats/char) of a char RNN on inputs/targets (B, L) ints, from h0 = 0, and the
    gradients of params = [Wx (V, H), Wh (H, H), b (H,), Wy (H, V), by (V,)] by BPTT."""
    Wx, Wh, b, Wy, by = params
    B, L = inputs.shape
    hs, h, logp = _forward(params, inputs, np.zeros((B, Wh.shape[0])))
    loss = -float(np.take_along_axis(logp, targets[:, :, None], axis=2).mean())
    ds = np.exp(logp)
    np.put_along_axis(ds, targets[:, :, None], np.take_along_axis(ds, targets[:, :, None], axis=2) - 1, axis=2)
    ds /= B * L  # (B, L, V)
    dWy = np.einsum("blh,blv->hv", h, ds)
    dby = ds.sum(axis=(0, 1))
    dh_out = ds @ Wy.T  # (B, L, H)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dnext = np.zeros((B, Wh.shape[0]))
    for t in reversed(range(L)):
        da = (dh_out[:, t] + dnext) * (1 - hs[t + 1] ** 2)
        np.add.at(dWx, inputs[:, t], da)
        dWh += hs[t].T @ da
        db += da.sum(axis=0)
        dnext = da @ Wh.T
    return loss, [dWx, dWh, db, dWy, dby]


def evaluate(params, data, seq_len=SEQ_LEN) -> float:
    """Mean loss (nats/char) over the text cut into rows of seq_len + 1 characters, each from h0 = 0."""
    n = (len(data) - 1) // seq_len
    idx = np.arange(n)[:, None] * seq_len + np.arange(seq_len + 1)[None]
    rows = data[idx]
    _, _, logp = _forward(params, rows[:, :-1], np.zeros((n, params[1].shape[0])))
    return -float(np.take_along_axis(logp, rows[:, 1:, None], axis=2).mean())


def _draw(start, length, seed):
    def draw(rng):
        data, V = corpus(start, length)
        k = 1 / np.sqrt(HIDDEN)
        params = (rng.normal(0, 0.3, (V, HIDDEN)), rng.normal(0, k, (HIDDEN, HIDDEN)), np.zeros(HIDDEN),
                  rng.normal(0, k, (HIDDEN, V)), np.zeros(V))
        return (data, params, int(seed))
    return draw


def _run(ns, inp):
    data, params, seed = inp
    calls, refused = [0], []

    def loss_and_grads(p, inputs, targets):
        calls[0] += 1
        if calls[0] > BUDGET:
            refused.append(f"over budget: loss_and_grads may be called at most {BUDGET} times")
            raise RuntimeError(refused[-1])
        inputs, targets = np.asarray(inputs), np.asarray(targets)
        if inputs.ndim != 2 or inputs.shape != targets.shape:
            refused.append(f"loss_and_grads takes inputs and targets of one shape (B, L), got {inputs.shape} "
                           f"and {targets.shape}")
            raise ValueError(refused[-1])
        if inputs.shape[0] > BATCH or inputs.shape[1] > SEQ_LEN:
            refused.append(f"call {calls[0]} of loss_and_grads got {inputs.shape[0]} windows of "
                           f"{inputs.shape[1]} characters; the exercise allows at most batch_size = {BATCH} "
                           f"windows of seq_len = {SEQ_LEN} per call")
            raise ValueError(refused[-1])
        return char_rnn_loss_and_grads(p, inputs, targets)

    final = ns["train_char_model"](loss_and_grads, [p.copy() for p in params], data, BUDGET, SEQ_LEN, BATCH, seed)
    if refused:  # also when the student's loop caught the exception
        raise AssertionError(refused[0])
    final = [np.asarray(p, dtype=np.float64) for p in final]
    if [p.shape for p in final] != [p.shape for p in params]:
        raise AssertionError(f"expected parameters of shapes {[p.shape for p in params]}, "
                             f"got {[p.shape for p in final]}")
    loss = evaluate(final, data)
    if not loss <= TARGET:  # also catches NaN
        raise AssertionError(f"the trained model's loss is {loss:.3f} nats/char; it must reach {TARGET} "
                             f"within {BUDGET} calls of loss_and_grads")
    return (np.float64(1.0),)


TRAIN_CHAR_MODEL = Check(
    id="ch07_train_char_model", chapter="ch07", functions=("train_char_model",), reference=REF, run=_run,
    cases=(Case("textwrap.py[0:6000]", _draw(0, 6000, 0), 1.0, visible=True),
           Case("textwrap.py[6000:12000], seed 1", _draw(6000, 6000, 1), 1.0),
           Case("textwrap.py[12000:16000], seed 2", _draw(12000, 4000, 2), 1.0)),
    rtol=0.0, atol=0.0,
    forbidden=("rnnbook", "torch"),
    description=f"a training loop that brings a char RNN below {TARGET} nats/char in {BUDGET} steps",
    outputs=("target reached",),
)

CHECKS = [TRAIN_CHAR_MODEL]
