"""Chapter 7's check in the student's kernel: the char RNN the exercise gives (its loss and gradients) and the
budgeted call of ``train_char_model``.

The grader gives the student's loop a NumPy char RNN with hand-written BPTT (``autograder/checks/ch07.py``);
that backward pass is chapter 3's exercise, so here the same model is written with PyTorch's autograd instead
(float64, CPU): the student's loop gets the same loss and gradients (``autograder release`` checks that they
agree to rtol 1e-9 before it writes a bundle) without a line of the backward pass to copy.

Shapes: B windows, L window length, V vocabulary, H hidden. ``params = [Wx (V, H), Wh (H, H), b (H,),
Wy (H, V), by (V,)]``; every window starts from h_0 = 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["loss_and_grads", "evaluate", "run"]


def _loss(params, inputs, targets):
    """Mean cross-entropy (nats/char) as a torch scalar; ``params`` torch tensors, inputs/targets (B, L) ints."""
    import torch

    Wx, Wh, b, Wy, by = params
    inputs = torch.as_tensor(np.asarray(inputs), dtype=torch.long)
    targets = torch.as_tensor(np.asarray(targets), dtype=torch.long)
    B, L = inputs.shape
    h = torch.zeros(B, Wh.shape[0], dtype=Wh.dtype)
    scores = []
    for t in range(L):
        h = torch.tanh(Wx[inputs[:, t]] + h @ Wh + b)  # (B, H)
        scores.append(h @ Wy + by)  # (B, V)
    s = torch.stack(scores, dim=1)  # (B, L, V)
    return torch.nn.functional.cross_entropy(s.reshape(B * L, -1), targets.reshape(B * L))


def loss_and_grads(params, inputs, targets):
    """``(loss, [dWx, dWh, db, dWy, dby])`` of the char RNN on (B, L) windows, gradients by autograd."""
    import torch

    ps = [torch.tensor(np.asarray(p, dtype=np.float64), requires_grad=True) for p in params]
    loss = _loss(ps, inputs, targets)
    loss.backward()
    return float(loss.detach()), [p.grad.numpy().copy() for p in ps]


def evaluate(params, data, seq_len) -> float:
    """Mean loss over the text cut into rows of seq_len + 1 characters, each from h_0 = 0."""
    import torch

    n = (len(data) - 1) // seq_len
    rows = np.asarray(data)[np.arange(n)[:, None] * seq_len + np.arange(seq_len + 1)[None]]
    with torch.no_grad():
        ps = [torch.as_tensor(np.asarray(p, dtype=np.float64)) for p in params]
        return float(_loss(ps, rows[:, :-1], rows[:, 1:]))


def run(ns, inp, extra):
    """Call the student's ``train_char_model`` within the budget; (1.0,) when the trained model reaches the target."""
    data, params, seed = inp
    budget, seq_len, batch, target = extra["budget"], extra["seq_len"], extra["batch"], extra["target"]
    calls, refused = [0], []

    def counted(p, inputs, targets):
        calls[0] += 1
        if calls[0] > budget:
            refused.append(f"over budget: loss_and_grads may be called at most {budget} times")
            raise RuntimeError(refused[-1])
        inputs, targets = np.asarray(inputs), np.asarray(targets)
        if inputs.ndim != 2 or inputs.shape != targets.shape:
            refused.append(f"loss_and_grads takes inputs and targets of one shape (B, L), got {inputs.shape} "
                           f"and {targets.shape}")
            raise ValueError(refused[-1])
        if inputs.shape[0] > batch or inputs.shape[1] > seq_len:
            refused.append(f"call {calls[0]} of loss_and_grads got {inputs.shape[0]} windows of "
                           f"{inputs.shape[1]} characters; the exercise allows at most batch_size = {batch} "
                           f"windows of seq_len = {seq_len} per call")
            raise ValueError(refused[-1])
        return loss_and_grads(p, inputs, targets)

    final = ns["train_char_model"](counted, [p.copy() for p in params], data, budget, seq_len, batch, seed)
    if refused:  # also when the student's loop caught the exception
        raise AssertionError(refused[0])
    final = [np.asarray(p, dtype=np.float64) for p in final]
    if [p.shape for p in final] != [p.shape for p in params]:
        raise AssertionError(f"expected parameters of shapes {[p.shape for p in params]}, "
                             f"got {[p.shape for p in final]}")
    loss = evaluate(final, data, seq_len)
    if not loss <= target:  # also catches NaN
        raise AssertionError(f"the trained model's loss is {loss:.3f} nats/char; it must reach {target} "
                             f"within {budget} calls of loss_and_grads")
    return (np.float64(1.0),)
