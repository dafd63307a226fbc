"""Multi-head attention with projections, the math of ``torch.nn.MultiheadAttention(batch_first=True)``.

Shape letters: N batch, T query positions, S key/value positions, E embedding size, h heads,
d = E / h the size of one head.

    Q = query Wq + bq,  K = key Wk + bk,  V = value Wv + bv                 (N, T|S, E)
    head_i = softmax(Q_i K_iᵀ / sqrt(d)) V_i    with Q_i = Q[..., i·d:(i+1)·d]  (N, T, d)
    out = concat(head_1, ..., head_h) Wo + bo                               (N, T, E)

Weights are (in, out): Wq = in_proj_weight[:E].T, Wk = in_proj_weight[E:2E].T,
Wv = in_proj_weight[2E:].T, bq|bk|bv = in_proj_bias split in three, Wo = out_proj.weight.T,
bo = out_proj.bias (see :func:`mha_params_from_torch` / :func:`mha_params_to_torch`). Key and value
have size E here (torch's kdim = vdim = embed_dim); dropout is not modelled.

Mask convention: boolean, **True = attend**, as for ``F.scaled_dot_product_attention``. It is the
*opposite* of ``nn.MultiheadAttention``, whose boolean ``attn_mask`` and ``key_padding_mask`` mark
the positions that may NOT be attended. To reproduce torch's call

    module(q, k, v, attn_mask=am, key_padding_mask=kpm)   (am (T, S), kpm (N, S), True = blocked)

pass ``mask = ~am[None] & ~kpm[:, None, :]`` here, shape (N, T, S). Accepted mask shapes: (T, S),
(N, T, S) or (N, h, T, S), or anything broadcastable to them. A fully masked query row gives
attention output 0 (so out = bo there) and gradient 0. torch 2.13 gives the same on its autograd path
(training, or inputs that require grad) but NaN on its no-grad fast path (eval mode under no_grad).

For self-attention (query is key is value) add dquery + dkey + dvalue to get the input's gradient.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape
from rnnbook.numpy.attention import _attention_backward, _attention_forward, _check_mask

__all__ = [
    "multi_head_attention_forward",
    "multi_head_attention_backward",
    "mha_params_from_torch",
    "mha_params_to_torch",
]


def _split(x, h):
    """(N, L, E) -> (N, h, L, d)."""
    N, L, E = x.shape
    return x.reshape(N, L, h, E // h).transpose(0, 2, 1, 3)


def _merge(x):
    """(N, h, L, d) -> (N, L, E)."""
    N, h, L, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, L, h * d)


def multi_head_attention_forward(query, key, value, Wq, Wk, Wv, bq, bk, bv, Wo, bo, num_heads, mask=None):
    """Multi-head attention forward.

    query: (N, T, E); key: (N, S, E); value: (N, S, E); Wq, Wk, Wv, Wo: (E, E); bq, bk, bv, bo: (E,);
    num_heads: h, must divide E; mask: optional boolean, True = attend, shape (T, S), (N, T, S) or
    (N, h, T, S) (broadcastable).
    Returns out (N, T, E) and the cache for :func:`multi_head_attention_backward`
    (``cache["attn"]["weights"]`` holds the (N, h, T, S) attention weights).
    """
    dims: dict[str, int] = {}
    check_shape("query", query, "N, T, E", dims)
    check_shape("key", key, "N, S, E", dims)
    check_shape("value", value, "N, S, E", dims)
    for name, W in (("Wq", Wq), ("Wk", Wk), ("Wv", Wv), ("Wo", Wo)):
        check_shape(name, W, "E, E", dims)
    for name, bias in (("bq", bq), ("bk", bk), ("bv", bv), ("bo", bo)):
        check_shape(name, bias, "E", dims)
    N, T, E, S = dims["N"], dims["T"], dims["E"], dims["S"]
    if isinstance(num_heads, bool) or not isinstance(num_heads, (int, np.integer)) or num_heads < 1:
        raise ValueError(f"num_heads: expected a positive integer, got {num_heads!r}")
    h = int(num_heads)
    if E % h:
        raise ValueError(f"num_heads: embedding size E = {E} is not divisible by num_heads = {h}")
    if mask is not None:
        m = np.asarray(mask) if not hasattr(mask, "shape") else mask
        if getattr(m, "ndim", 0) == 3:
            m = m[:, None]  # (N, T, S) -> (N, 1, T, S)
        mask = _check_mask("mask", m, (N, h, T, S))
    Q = query @ Wq + bq  # (N, T, E) x (E, E) -> (N, T, E)
    K = key @ Wk + bk  # (N, S, E)
    V = value @ Wv + bv  # (N, S, E)
    heads, attn = _attention_forward(_split(Q, h), _split(K, h), _split(V, h), mask, 1.0 / np.sqrt(E // h))
    concat = _merge(heads)  # (N, h, T, d) -> (N, T, E)
    out = concat @ Wo + bo  # (N, T, E)
    cache = {"query": query, "key": key, "value": value, "Wq": Wq, "Wk": Wk, "Wv": Wv, "Wo": Wo,
             "concat": concat, "attn": attn, "h": h}
    return out, cache


def multi_head_attention_backward(dout, cache):
    """dout: (N, T, E). Returns dquery (N, T, E), dkey (N, S, E), dvalue (N, S, E),
    dWq, dWk, dWv (E, E), dbq, dbk, dbv (E,), dWo (E, E), dbo (E,)."""
    query, key, value, concat = cache["query"], cache["key"], cache["value"], cache["concat"]
    check_shape("dout", dout, "N, T, E", {"N": query.shape[0], "T": query.shape[1], "E": query.shape[2]})
    E = query.shape[2]
    dWo = concat.reshape(-1, E).T @ dout.reshape(-1, E)  # (E, NT) x (NT, E) -> (E, E)
    dbo = dout.sum(axis=(0, 1))  # (E,)
    dconcat = dout @ cache["Wo"].T  # (N, T, E)
    dQh, dKh, dVh = _attention_backward(_split(dconcat, cache["h"]), cache["attn"])  # (N, h, T|S, d)
    grads = []
    for x, dX, W in ((query, _merge(dQh), cache["Wq"]), (key, _merge(dKh), cache["Wk"]),
                     (value, _merge(dVh), cache["Wv"])):
        grads.append((dX @ W.T, x.reshape(-1, E).T @ dX.reshape(-1, E), dX.sum(axis=(0, 1))))
    (dquery, dWq, dbq), (dkey, dWk, dbk), (dvalue, dWv, dbv) = grads
    return dquery, dkey, dvalue, dWq, dWk, dWv, dbq, dbk, dbv, dWo, dbo


def mha_params_from_torch(module) -> dict:
    """NumPy parameters of a ``torch.nn.MultiheadAttention`` (kdim = vdim = embed_dim, with biases).

    Returns {"Wq", "Wk", "Wv", "Wo": (E, E); "bq", "bk", "bv", "bo": (E,); "num_heads": int}, arrays in
    the module's dtype, so that ``multi_head_attention_forward(q, k, v, **params)`` gives the module's output.
    """
    if getattr(module, "in_proj_weight", None) is None:
        raise ValueError("module: expected nn.MultiheadAttention with kdim = vdim = embed_dim "
                         "(a packed in_proj_weight)")
    if module.in_proj_bias is None:
        raise ValueError("module: expected nn.MultiheadAttention(bias=True)")
    if getattr(module, "bias_k", None) is not None:
        raise ValueError("module: add_bias_kv=True is not supported")
    E = module.embed_dim

    def np_(t):
        return t.detach().cpu().numpy().copy()

    W, b = np_(module.in_proj_weight), np_(module.in_proj_bias)  # (3E, E), (3E,)
    return {"Wq": W[:E].T.copy(), "Wk": W[E:2 * E].T.copy(), "Wv": W[2 * E:].T.copy(),
            "bq": b[:E], "bk": b[E:2 * E], "bv": b[2 * E:],
            "Wo": np_(module.out_proj.weight).T.copy(), "bo": np_(module.out_proj.bias),
            "num_heads": int(module.num_heads)}


def mha_params_to_torch(params: dict) -> dict:
    """State dict for ``torch.nn.MultiheadAttention`` from NumPy parameters as in :func:`mha_params_from_torch`.

    Returns {"in_proj_weight": (3E, E), "in_proj_bias": (3E,), "out_proj.weight": (E, E), "out_proj.bias": (E,)}
    as torch tensors in the arrays' dtype; load it with ``module.load_state_dict(...)``.
    """
    import torch

    dims: dict[str, int] = {}
    for name in ("Wq", "Wk", "Wv", "Wo"):
        check_shape(name, params[name], "E, E", dims)
    for name in ("bq", "bk", "bv", "bo"):
        check_shape(name, params[name], "E", dims)
    return {
        "in_proj_weight": torch.from_numpy(np.concatenate([params["Wq"].T, params["Wk"].T, params["Wv"].T])),
        "in_proj_bias": torch.from_numpy(np.concatenate([params["bq"], params["bk"], params["bv"]])),
        "out_proj.weight": torch.from_numpy(np.ascontiguousarray(params["Wo"].T)),
        "out_proj.bias": torch.from_numpy(np.array(params["bo"], copy=True)),
    }
