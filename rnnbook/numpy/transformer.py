r"""A decoder-only transformer block: causal multi-head self-attention and a position-wise feed-forward net,
each inside a residual connection with layer normalisation, pre-LN or post-LN. Forward and backward.

Shape letters: N batch, T positions, E model size (``d_model``), h heads, d = E/h the head size, F the
feed-forward size (``dim_feedforward``).

With x the block's input (N, T, E), MHA the causal multi-head self-attention of :mod:`rnnbook.numpy.multihead`,
FFN the net of :mod:`rnnbook.numpy.feedforward` and LN₁, LN₂ the layer norms of :mod:`rnnbook.numpy.layernorm`::

    pre-LN  (norm_first=True, GPT-2's order):       post-LN (norm_first=False, Vaswani et al. 2017):
        u = x + MHA(LN₁(x))                             u = LN₁(x + MHA(x))
        y = u + FFN(LN₂(u))                             y = LN₂(u + FFN(u))

The parameters come in the order the block uses them, which is also the order of their gradients:

    x (N, T, E), gamma1, beta1 (E,),  Wq, Wk, Wv (E, E), bq, bk, bv (E,), Wo (E, E), bo (E,),
    gamma2, beta2 (E,),  W1 (E, F), b1 (F,), W2 (F, E), b2 (E,)

This is ``torch.nn.TransformerEncoderLayer(E, h, F, dropout=0.0, batch_first=True, norm_first=...)`` called
with a causal mask (``is_causal=True``); :func:`block_params_from_torch` maps its parameters here. A
"decoder-only" block has no cross-attention, so it is torch's *encoder* layer with a causal mask; torch's
``TransformerDecoderLayer`` adds a cross-attention sub-layer (see ``tests/numpy/test_transformer.py``).
Dropout is not modelled.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_shape
from rnnbook.numpy.attention import causal_mask
from rnnbook.numpy.feedforward import feedforward_backward, feedforward_forward
from rnnbook.numpy.layernorm import layer_norm_backward, layer_norm_forward
from rnnbook.numpy.multihead import multi_head_attention_backward, multi_head_attention_forward

__all__ = ["BLOCK_PARAMS", "transformer_block_forward", "transformer_block_backward", "block_params_from_torch",
           "block_params_to_torch"]

BLOCK_PARAMS = ("gamma1", "beta1", "Wq", "Wk", "Wv", "bq", "bk", "bv", "Wo", "bo", "gamma2", "beta2",
                "W1", "b1", "W2", "b2")
"""The names of the block's parameters, in the order of the forward's arguments after x."""


def transformer_block_forward(x, gamma1, beta1, Wq, Wk, Wv, bq, bk, bv, Wo, bo, gamma2, beta2, W1, b1, W2, b2,
                              num_heads, norm_first: bool = True, eps: float = 1e-5):
    """One causal transformer block (position i attends to positions j <= i).

    x: (N, T, E); gamma1, beta1, gamma2, beta2: (E,); Wq, Wk, Wv, Wo: (E, E); bq, bk, bv, bo: (E,);
    W1: (E, F); b1: (F,); W2: (F, E); b2: (E,); num_heads: h, dividing E; norm_first: pre-LN if True,
    post-LN if False; eps: the layer norms' ε.
    Returns y (N, T, E) and the cache for :func:`transformer_block_backward`
    (``cache["mha"]["attn"]["weights"]`` holds the (N, h, T, T) attention weights).
    """
    dims: dict[str, int] = {}
    check_shape("x", x, "N, T, E", dims)
    for name, p in (("gamma1", gamma1), ("beta1", beta1), ("gamma2", gamma2), ("beta2", beta2)):
        check_shape(name, p, "E", dims)
    mask = causal_mask(dims["T"])  # (T, T), True = attend
    mha = (Wq, Wk, Wv, bq, bk, bv, Wo, bo)
    ffn = (W1, b1, W2, b2)
    if norm_first:
        a, ln1 = layer_norm_forward(x, gamma1, beta1, eps)  # (N, T, E)
        s, att = multi_head_attention_forward(a, a, a, *mha, num_heads=num_heads, mask=mask)  # (N, T, E)
        u = x + s  # residual
        c, ln2 = layer_norm_forward(u, gamma2, beta2, eps)
        f, ff = feedforward_forward(c, *ffn)  # (N, T, E)
        y = u + f  # residual
    else:
        s, att = multi_head_attention_forward(x, x, x, *mha, num_heads=num_heads, mask=mask)
        u, ln1 = layer_norm_forward(x + s, gamma1, beta1, eps)
        f, ff = feedforward_forward(u, *ffn)
        y, ln2 = layer_norm_forward(u + f, gamma2, beta2, eps)
    return y, {"norm_first": bool(norm_first), "ln1": ln1, "mha": att, "ln2": ln2, "ffn": ff, "shape": x.shape}


def transformer_block_backward(dout, cache):
    """dout: (N, T, E). Returns the gradients in the forward's order: dx (N, T, E), dgamma1, dbeta1 (E,),
    dWq, dWk, dWv (E, E), dbq, dbk, dbv (E,), dWo (E, E), dbo (E,), dgamma2, dbeta2 (E,), dW1 (E, F),
    db1 (F,), dW2 (F, E), db2 (E,).

    dbk is 0 up to rounding: adding bk to every key shifts each score row by a constant, which softmax ignores.
    """
    N, T, E = cache["shape"]
    check_shape("dout", dout, "N, T, E", {"N": N, "T": T, "E": E})
    if cache["norm_first"]:
        du = dout.copy()  # y = u + f
        dc, *dffn = feedforward_backward(dout, cache["ffn"])
        du_ln, dg2, db2_ln = layer_norm_backward(dc, cache["ln2"])
        du += du_ln
        dx = du.copy()  # u = x + s
        dq, dk, dv, *dmha = multi_head_attention_backward(du, cache["mha"])
        dx_ln, dg1, db1_ln = layer_norm_backward(dq + dk + dv, cache["ln1"])  # a fed query, key and value
        dx += dx_ln
    else:
        dz, dg2, db2_ln = layer_norm_backward(dout, cache["ln2"])  # z = u + f
        du = dz.copy()
        du_ff, *dffn = feedforward_backward(dz, cache["ffn"])
        du += du_ff
        dw, dg1, db1_ln = layer_norm_backward(du, cache["ln1"])  # w = x + s
        dq, dk, dv, *dmha = multi_head_attention_backward(dw, cache["mha"])
        dx = dw + dq + dk + dv
    return (dx, dg1, db1_ln, *dmha, dg2, db2_ln, *dffn)


def block_params_from_torch(layer) -> dict:
    """NumPy parameters of a ``torch.nn.TransformerEncoderLayer`` (or of :class:`rnnbook.torch.TransformerBlock`).

    Returns {name: array for name in BLOCK_PARAMS} plus "num_heads", "norm_first" and "eps", so that
    ``transformer_block_forward(x, **params)`` computes the layer with ``is_causal=True``.
    """
    from rnnbook.numpy.multihead import mha_params_from_torch

    import torch

    act = getattr(layer, "activation", torch.nn.functional.relu)
    if not (act is torch.nn.functional.relu or isinstance(act, torch.nn.ReLU)):
        raise ValueError(f"layer: expected the ReLU activation, got {act!r}")

    def np_(t):
        return t.detach().cpu().numpy().copy()

    p = mha_params_from_torch(layer.self_attn)
    p.update(gamma1=np_(layer.norm1.weight), beta1=np_(layer.norm1.bias), gamma2=np_(layer.norm2.weight),
             beta2=np_(layer.norm2.bias), W1=np_(layer.linear1.weight).T.copy(), b1=np_(layer.linear1.bias),
             W2=np_(layer.linear2.weight).T.copy(), b2=np_(layer.linear2.bias), norm_first=bool(layer.norm_first),
             eps=float(layer.norm1.eps))
    return p


def block_params_to_torch(params: dict) -> dict:
    """State dict for ``torch.nn.TransformerEncoderLayer`` (batch_first) from parameters named as BLOCK_PARAMS."""
    import torch

    from rnnbook.numpy.multihead import mha_params_to_torch

    sd = {f"self_attn.{k}": v for k, v in mha_params_to_torch(params).items()}
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    sd.update({"linear1.weight": t(params["W1"].T), "linear1.bias": t(params["b1"]),
               "linear2.weight": t(params["W2"].T), "linear2.bias": t(params["b2"]),
               "norm1.weight": t(params["gamma1"]), "norm1.bias": t(params["beta1"]),
               "norm2.weight": t(params["gamma2"]), "norm2.bias": t(params["beta2"])})
    return sd
