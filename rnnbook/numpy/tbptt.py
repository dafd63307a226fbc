"""Truncated backpropagation through time (TBPTT) for the vanilla RNN.

Shape letters: N batch, T time, D input size, H hidden size, k chunk length.

The sequence is cut into chunks of k steps, [0, k), [k, 2k), …, the last one possibly shorter.
The forward pass carries the hidden state across chunk borders (chunk j starts from the last state of
chunk j-1), but the backward pass stops at each border: the carried state is treated as a constant
("detached"), so no gradient flows from chunk j into chunk j-1. The weight gradients are the sum of the
chunk-wise gradients; dh0 is the gradient reaching h0 from the first chunk alone.

With k >= T there is one chunk and the result is exactly full BPTT (:func:`rnn_backward`).

Here the whole sequence is processed in one call and the chunk gradients are summed, which is what a
test or a demo needs; in training one would usually take an optimiser step after each chunk instead
(forward the chunk from the carried state, backward, update, carry ``h[:, -1]`` on).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnbook._validate import check_shape
from .rnn import rnn_backward, rnn_forward

__all__ = ["tbptt_chunks", "rnn_truncated_bptt"]


def tbptt_chunks(T: int, k: int) -> list[slice]:
    """The time slices [0, k), [k, 2k), … covering range(T); the last may be shorter. T >= 1, k >= 1."""
    if int(T) != T or T < 1:
        raise ValueError(f"T: expected a positive integer, got {T!r}")
    if int(k) != k or k < 1:
        raise ValueError(f"k: expected a positive integer chunk length, got {k!r}")
    return [slice(s, min(s + k, T)) for s in range(0, T, k)]


def rnn_truncated_bptt(x, h0, Wx, Wh, b, dh_fn: Callable[[np.ndarray, slice], np.ndarray], k: int
                       ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Forward the RNN chunk by chunk carrying the state; backpropagate within each chunk only.

    x: (N, T, D); h0: (N, H); Wx: (D, H); Wh: (H, H); b: (H,); k: chunk length (>= 1).
    dh_fn(h_chunk, sl) -> dh_chunk: given the hidden states of one chunk, h_chunk (N, len(sl), H), and
        its time slice ``sl``, returns the upstream gradient of those states (N, len(sl), H), e.g. the
        gradient of a per-chunk loss. It is called once per chunk, in time order.
    Returns h_last (N, H), the state after the last step, and a dict of gradients
    ``{"x": (N, T, D), "h0": (N, H), "Wx": (D, H), "Wh": (H, H), "b": (H,)}``.
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, D", dims)
    check_shape("h0", h0, "N, H", dims)
    check_shape("Wx", Wx, "D, H", dims)
    check_shape("Wh", Wh, "H, H", dims)
    check_shape("b", b, "H", dims)
    grads = {"x": np.zeros_like(x), "h0": None, "Wx": np.zeros_like(Wx), "Wh": np.zeros_like(Wh),
             "b": np.zeros_like(b)}
    h_carry = h0
    for sl in tbptt_chunks(x.shape[1], k):
        h, cache = rnn_forward(x[:, sl], h_carry, Wx, Wh, b)  # (N, len, H)
        dh = dh_fn(h, sl)
        check_shape("dh_fn(...)", dh, "N, L, H", {"N": h.shape[0], "L": h.shape[1], "H": h.shape[2]})
        dx, dh_start, dWx, dWh, db = rnn_backward(dh, cache)
        grads["x"][:, sl] = dx
        if grads["h0"] is None:
            grads["h0"] = dh_start  # only the first chunk reaches h0; later dh_start are cut
        grads["Wx"] += dWx
        grads["Wh"] += dWh
        grads["b"] += db
        h_carry = h[:, -1]  # carried forward as a constant: its gradient is dropped at the border
    return h_carry, grads
