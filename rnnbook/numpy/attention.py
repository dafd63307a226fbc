"""Attention: additive (Bahdanau) and (scaled) dot-product, with masks, forward and backward.

Shape letters: N batch, T query positions (decoder time), S key/value positions (source length),
d_k key/query size, d_v value size, A attention (hidden) size of the additive score, h heads.

Masks are boolean with **True = attend / keep**, the convention of the boolean ``attn_mask`` of
``torch.nn.functional.scaled_dot_product_attention`` (``torch.nn.MultiheadAttention`` uses the
opposite one: there True means *not* allowed; see :mod:`rnnbook.numpy.multihead`).

A row whose mask is all False (a query that may attend to nothing) gets weights 0, output 0 and
gradient 0 here, on purpose, so that a padded batch never spreads NaN. PyTorch is not consistent there:
``F.scaled_dot_product_attention`` on the CPU (torch 2.13) also gives 0 with zero gradients, but the
no-grad fast path of ``nn.MultiheadAttention`` and a plain ``softmax`` over -inf give NaN.

Additive attention (Bahdanau et al. 2015) for one decoder step, in batch-first rows::

    e_j   = v · tanh(s Wq + h_j Wk + b)        s = query (N, H_dec), h_j = keys[:, j] (N, H_enc)
    α     = softmax_j(e)   (masked entries get α_j = 0)
    c     = Σ_j α_j h_j                         values = keys, as in the paper

The paper's column-vector form e_tj = v_aᵀ tanh(W_a s_{t-1} + U_a h_j) maps to Wq = W_aᵀ (H_dec, A),
Wk = U_aᵀ (H_enc, A), v = v_a (A,); b (A,) is an extra bias (pass zeros to drop it).

Dot-product attention (Luong et al. 2015) and scaled dot-product attention (Vaswani et al. 2017)::

    P   = softmax(q kᵀ · scale, over S)         scale = 1 for dot-product, 1/sqrt(d_k) for scaled
    out = P v
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_float, check_same_shape, check_shape

__all__ = [
    "masked_softmax",
    "causal_mask",
    "padding_mask",
    "additive_attention_forward",
    "additive_attention_backward",
    "dot_product_attention_forward",
    "dot_product_attention_backward",
    "scaled_dot_product_attention_forward",
    "scaled_dot_product_attention_backward",
    "attention_weights",
]


def _check_mask(name: str, mask, shape: tuple) -> np.ndarray:
    """Return ``mask`` broadcast to ``shape``; ValueError unless it is boolean and broadcastable."""
    if not hasattr(mask, "shape") or not hasattr(mask, "dtype"):
        raise ValueError(f"{name}: expected a boolean array broadcastable to {shape}, got {type(mask).__name__}")
    if mask.dtype != np.bool_:
        raise ValueError(f"{name}: expected a boolean array (True = attend), got dtype {mask.dtype}")
    try:
        return np.broadcast_to(mask, shape)
    except ValueError:
        raise ValueError(f"{name}: expected a shape broadcastable to {shape}, got {tuple(mask.shape)}") from None


def masked_softmax(x, mask=None, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax of ``x`` along ``axis``, with entries where ``mask`` is False left out.

    softmax(x)_j = exp(x_j - m) / Σ_k exp(x_k - m) with m = max_k x_k over the kept entries. Masked entries
    get probability exactly 0; a slice with no kept entry gets all zeros (not NaN). No warnings are raised.

    x: float array of any shape; mask: boolean, broadcastable to x.shape, True = keep.
    """
    check_float("x", x)
    if mask is None:
        z = x - np.max(x, axis=axis, keepdims=True)
        e = np.exp(z)
        return e / np.sum(e, axis=axis, keepdims=True)
    m = _check_mask("mask", mask, x.shape)
    mx = np.max(np.where(m, x, -np.inf), axis=axis, keepdims=True)  # -inf on fully masked slices
    mx = np.where(np.isfinite(mx), mx, 0.0)
    e = np.where(m, np.exp(np.where(m, x - mx, 0.0)), 0.0)
    s = np.sum(e, axis=axis, keepdims=True)
    return e / np.where(s > 0, s, 1.0)


def _softmax_backward(dp, p, axis: int = -1) -> np.ndarray:
    """Gradient through p = softmax(x): dx = p ⊙ (dp - Σ_j p_j dp_j). Masked entries (p = 0) get 0."""
    return p * (dp - np.sum(dp * p, axis=axis, keepdims=True))


def causal_mask(T: int, S: int | None = None) -> np.ndarray:
    """(T, S) boolean mask, True where key position j <= query position i (True = attend).

    With S > T the queries are taken as the last T of the S positions (j <= i + S - T), as in
    ``torch.ones(T, S).tril(diagonal=S - T)``; S defaults to T.
    """
    S = T if S is None else S
    if int(T) != T or int(S) != S or T < 1 or S < 1:
        raise ValueError(f"causal_mask: expected positive integers T and S, got T={T!r}, S={S!r}")
    return np.tril(np.ones((int(T), int(S)), dtype=bool), k=int(S) - int(T))


def padding_mask(lengths, S: int) -> np.ndarray:
    """(N, S) boolean mask, True at positions j < lengths[n] (True = attend), for right-padded batches.

    Use ``padding_mask(lengths, S)[:, None, :]`` to mask keys for every query, shape (N, 1, S).
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths: expected a 1-D integer array (N,), got shape {lengths.shape} dtype {lengths.dtype}")
    if np.any(lengths < 0) or np.any(lengths > S):
        raise ValueError(f"lengths: expected values in [0, S={S}], got {lengths.tolist()}")
    return np.arange(S)[None, :] < lengths[:, None]  # (N, S)


# --------------------------------------------------------------------------------------- additive


def additive_attention_forward(query, keys, Wq, Wk, b, v, mask=None):
    """Additive (Bahdanau) attention for one decoder step.

    query: (N, H_dec) decoder state s_{t-1}; keys: (N, S, H_enc) encoder states h_j (also the values);
    Wq: (H_dec, A); Wk: (H_enc, A); b: (A,); v: (A,); mask: optional (N, S) boolean, True = keep.
    Returns ``(context, weights, cache)``: context (N, H_enc), weights α (N, S) (for heatmaps; rows of a
    fully masked example are 0 and its context is 0), and the cache for :func:`additive_attention_backward`.
    """
    dims: dict[str, int] = {}
    check_shape("query", query, "N, H_dec", dims)
    check_shape("keys", keys, "N, S, H_enc", dims)
    check_shape("Wq", Wq, "H_dec, A", dims)
    check_shape("Wk", Wk, "H_enc, A", dims)
    check_shape("b", b, "A", dims)
    check_shape("v", v, "A", dims)
    if mask is not None:
        N, S = keys.shape[:2]
        if getattr(mask, "shape", None) != (N, S):
            raise ValueError(f"mask: expected (N, S) = ({N}, {S}), got {getattr(mask, 'shape', type(mask).__name__)}")
        _check_mask("mask", mask, (N, S))
    u = np.tanh((query @ Wq)[:, None, :] + keys @ Wk + b)  # (N, 1, A) + (N, S, A) -> (N, S, A)
    e = u @ v  # (N, S, A) x (A,) -> (N, S)
    alpha = masked_softmax(e, mask)  # (N, S)
    context = np.einsum("ns,nsh->nh", alpha, keys)  # (N, H_enc)
    return context, alpha, (query, keys, Wq, Wk, v, u, alpha)


def additive_attention_backward(dcontext, cache, dweights=None):
    """dcontext: (N, H_enc); optional dweights: (N, S), an upstream gradient on α (default none).

    Returns dquery (N, H_dec), dkeys (N, S, H_enc), dWq (H_dec, A), dWk (H_enc, A), db (A,), dv (A,).
    """
    query, keys, Wq, Wk, v, u, alpha = cache
    N, S, H_enc = keys.shape
    check_shape("dcontext", dcontext, "N, H_enc", {"N": N, "H_enc": H_enc})
    dalpha = np.einsum("nh,nsh->ns", dcontext, keys)  # (N, S)
    if dweights is not None:
        check_same_shape("dweights", dweights, "weights", alpha)
        dalpha = dalpha + dweights
    dkeys = alpha[:, :, None] * dcontext[:, None, :]  # (N, S, H_enc): keys as values
    de = _softmax_backward(dalpha, alpha)  # (N, S)
    dv = np.einsum("ns,nsa->a", de, u)  # (A,)
    dpre = de[:, :, None] * v * (1.0 - u ** 2)  # (N, S, A): through tanh
    dq_proj = dpre.sum(axis=1)  # (N, A)
    dquery = dq_proj @ Wq.T  # (N, A) x (A, H_dec) -> (N, H_dec)
    dWq = query.T @ dq_proj  # (H_dec, A)
    dkeys = dkeys + dpre @ Wk.T  # (N, S, A) x (A, H_enc) -> (N, S, H_enc)
    dWk = np.einsum("nsh,nsa->ha", keys, dpre)  # (H_enc, A)
    db = dpre.sum(axis=(0, 1))  # (A,)
    return dquery, dkeys, dWq, dWk, db, dv


# ------------------------------------------------------------------------------------ dot product


def _check_qkv(q, k, v):
    dims: dict[str, int] = {}
    if getattr(q, "ndim", None) == 4:
        check_shape("q", q, "N, h, T, d_k", dims)
        check_shape("k", k, "N, h, S, d_k", dims)
        check_shape("v", v, "N, h, S, d_v", dims)
    else:
        check_shape("q", q, "N, T, d_k", dims)
        check_shape("k", k, "N, S, d_k", dims)
        check_shape("v", v, "N, S, d_v", dims)
    return dims


def _attention_forward(q, k, v, mask, scale):
    scores = (q @ np.swapaxes(k, -1, -2)) * scale  # (..., T, d_k) x (..., d_k, S) -> (..., T, S)
    if mask is not None:
        mask = _check_mask("mask", mask, scores.shape)
    p = masked_softmax(scores, mask)  # (..., T, S)
    out = p @ v  # (..., T, S) x (..., S, d_v) -> (..., T, d_v)
    return out, {"q": q, "k": k, "v": v, "weights": p, "scale": scale}


def _attention_backward(dout, cache):
    q, k, v, p, scale = cache["q"], cache["k"], cache["v"], cache["weights"], cache["scale"]
    check_same_shape("dout", dout, "out", np.empty(p.shape[:-1] + v.shape[-1:]))
    dp = dout @ np.swapaxes(v, -1, -2)  # (..., T, d_v) x (..., d_v, S) -> (..., T, S)
    dv = np.swapaxes(p, -1, -2) @ dout  # (..., S, T) x (..., T, d_v) -> (..., S, d_v)
    ds = _softmax_backward(dp, p) * scale  # (..., T, S)
    dq = ds @ k  # (..., T, S) x (..., S, d_k) -> (..., T, d_k)
    dk = np.swapaxes(ds, -1, -2) @ q  # (..., S, T) x (..., T, d_k) -> (..., S, d_k)
    return dq, dk, dv


def dot_product_attention_forward(q, k, v, mask=None):
    """Dot-product attention: out = softmax(q kᵀ) v (Luong et al.'s "dot" score).

    q: (N, T, d_k); k: (N, S, d_k); v: (N, S, d_v) — or with a head axis, (N, h, T, d_k) etc.
    mask: optional boolean broadcastable to (N, T, S) (resp. (N, h, T, S)), True = attend.
    Returns out (N, T, d_v) and the cache (its attention weights: :func:`attention_weights`).
    """
    _check_qkv(q, k, v)
    return _attention_forward(q, k, v, mask, 1.0)


def dot_product_attention_backward(dout, cache):
    """dout: (N, T, d_v). Returns dq (N, T, d_k), dk (N, S, d_k), dv (N, S, d_v)."""
    return _attention_backward(dout, cache)


def scaled_dot_product_attention_forward(q, k, v, mask=None):
    """Scaled dot-product attention: out = softmax(q kᵀ / sqrt(d_k)) v (Vaswani et al. 2017).

    Matches ``torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)`` on every
    row with at least one True in the mask (a fully masked row gives 0 here; see the module docstring).
    q: (N, T, d_k); k: (N, S, d_k); v: (N, S, d_v) — or (N, h, T, d_k) etc.
    mask: optional boolean broadcastable to (N, T, S) (resp. (N, h, T, S)), True = attend.
    Returns out (N, T, d_v) and the cache (its attention weights: :func:`attention_weights`).
    """
    _check_qkv(q, k, v)
    return _attention_forward(q, k, v, mask, 1.0 / np.sqrt(q.shape[-1]))


def scaled_dot_product_attention_backward(dout, cache):
    """dout: (N, T, d_v). Returns dq (N, T, d_k), dk (N, S, d_k), dv (N, S, d_v)."""
    return _attention_backward(dout, cache)


def attention_weights(cache) -> np.ndarray:
    """The attention weights P (N, T, S) (or (N, h, T, S)) of a (scaled) dot-product forward, for heatmaps."""
    return cache["weights"]
