r"""The position-wise feed-forward network of a transformer block, forward and backward.

Shape letters: N batch, T positions, E model size, F hidden size of the feed-forward net (torch's
``dim_feedforward``, usually 4E).

The same two-layer net is applied to every position separately (Vaswani et al. 2017, eq. 2)::

    FFN(x) = ReLU(x W_1 + b_1) W_2 + b_2        W_1: (E, F), b_1: (F,), W_2: (F, E), b_2: (E,)

which is ``linear2(relu(linear1(x)))`` of ``torch.nn.TransformerEncoderLayer`` with ``W_1 = linear1.weight.T``
and ``W_2 = linear2.weight.T`` (weights here are (in, out)). Positions do not interact: all mixing across time
happens in the attention.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape

__all__ = ["feedforward_forward", "feedforward_backward"]


def feedforward_forward(x, W1, b1, W2, b2):
    """Position-wise feed-forward net with a ReLU.

    x: (N, T, E); W1: (E, F); b1: (F,); W2: (F, E); b2: (E,).
    Returns out (N, T, E) and the cache for :func:`feedforward_backward`.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, E", dims)
    check_shape("W1", W1, "E, F", dims)
    check_shape("b1", b1, "F", dims)
    check_shape("W2", W2, "F, E", dims)
    check_shape("b2", b2, "E", dims)
    a = x @ W1 + b1  # (N, T, E) x (E, F) -> (N, T, F)
    r = np.maximum(a, 0.0)  # (N, T, F)
    out = r @ W2 + b2  # (N, T, F) x (F, E) -> (N, T, E)
    return out, (x, W1, W2, a, r)


def feedforward_backward(dout, cache):
    """dout: (N, T, E). Returns dx (N, T, E), dW1 (E, F), db1 (F,), dW2 (F, E), db2 (E,)."""
    x, W1, W2, a, r = cache
    N, T, E = x.shape
    check_shape("dout", dout, "N, T, E", {"N": N, "T": T, "E": E})
    F = W1.shape[1]
    dW2 = r.reshape(-1, F).T @ dout.reshape(-1, E)  # (F, NT) x (NT, E) -> (F, E)
    db2 = dout.sum(axis=(0, 1))  # (E,)
    da = (dout @ W2.T) * (a > 0)  # (N, T, F): through the ReLU
    dW1 = x.reshape(-1, E).T @ da.reshape(-1, F)  # (E, NT) x (NT, F) -> (E, F)
    db1 = da.sum(axis=(0, 1))  # (F,)
    dx = da @ W1.T  # (N, T, F) x (F, E) -> (N, T, E)
    return dx, dW1, db1, dW2, db2
