"""Word (or character) embedding: out[n, t] = W[x[n, t]].

Shape letters: N batch, T time, V vocabulary size, D embedding size.
The backward scatters the upstream gradient into the rows of W with ``np.add.at``, so a token that
appears several times accumulates all its contributions.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape

__all__ = ["word_embedding_forward", "word_embedding_backward"]


def word_embedding_forward(x: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Look up the rows of W.

    x: integer ids of shape (N, T) in [0, V); W: (V, D). Returns out (N, T, D) and the cache.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T", dims, floating=False)
    check_shape("W", W, "V, D", dims)
    if not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"x: expected an integer dtype, got {x.dtype}")
    V = W.shape[0]
    if x.size and (x.min() < 0 or x.max() >= V):
        raise ValueError(f"x: expected ids in [0, V) = [0, {V}), got values in [{x.min()}, {x.max()}]")
    out = W[x]  # (N, T, D)
    return out, (x, W.shape, W.dtype)


def word_embedding_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dout: (N, T, D). Returns dW (V, D) (the ids get no gradient)."""
    x, (V, D), dtype = cache
    check_shape("dout", dout, "N, T, D", {"N": x.shape[0], "T": x.shape[1], "D": D})
    dW = np.zeros((V, D), dtype=dtype)
    np.add.at(dW, x, dout)  # rows of repeated ids accumulate
    return dW
