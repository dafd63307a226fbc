r"""Scaled dot-product attention from tensor operations, matching
``torch.nn.functional.scaled_dot_product_attention``.

Shape letters: L query length, S key/value length, E query/key size, Ev value size; ``...`` any batch dims
(e.g. N, heads). For queries Q (..., L, E), keys K (..., S, E), values V (..., S, Ev)::

    A   = softmax(Q K^T · scale + M)          scale = 1/√E unless given        (..., L, S)
    out = A V                                                                     (..., L, Ev)

M comes from ``attn_mask`` (broadcastable to (..., L, S)): a **boolean** mask says where to attend
(True = attend, False -> M = -inf); a **float** mask is added as is. ``is_causal=True`` lets query i attend to
keys j ≤ i (the mask ``ones(L, S).tril()``), and may not be combined with ``attn_mask``. A query row masked
everywhere yields zeros (and zero gradients), as torch's CPU kernels do, instead of NaN.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["scaled_dot_product_attention"]


def _check(query, key, value, attn_mask, is_causal) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, torch.Tensor) or t.dim() < 2:
            got = f"shape {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__
            raise ValueError(f"{name}: expected a tensor with at least 2 dimensions (..., len, size), got {got}")
        if not t.is_floating_point():
            raise ValueError(f"{name}: expected a floating-point dtype, got {t.dtype}")
        if t.dtype != query.dtype:
            raise ValueError(f"{name}: expected dtype {query.dtype} (the dtype of query), got {t.dtype}")
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(f"key: expected (..., S, E) with E = {query.shape[-1]} (from query), got {tuple(key.shape)}")
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(f"value: expected (..., S, Ev) with S = {key.shape[-2]} (from key), got {tuple(value.shape)}")
    if attn_mask is not None:
        if is_causal:
            raise ValueError("attn_mask: expected None with is_causal=True (the causal mask is built here), got a mask")
        if attn_mask.dtype != torch.bool and attn_mask.dtype != query.dtype:
            raise ValueError(f"attn_mask: expected dtype torch.bool or {query.dtype} (the dtype of query), "
                             f"got {attn_mask.dtype}")


def _attention(query, key, value, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False,
               scale: float | None = None, training: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """As :func:`scaled_dot_product_attention`, returning ``(out (..., L, Ev), A (..., L, S))``."""
    _check(query, key, value, attn_mask, is_causal)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale  # (..., L, E) x (..., E, S) -> (..., L, S)
    if is_causal:
        attn_mask = torch.ones(L, S, dtype=torch.bool, device=query.device).tril()  # (L, S)
    blocked = None
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask  # (..., L, S)
        blocked = torch.isneginf(scores).all(-1, keepdim=True)  # (..., L, 1): rows with nothing to attend to
        scores = scores.masked_fill(blocked, 0.0)  # keeps softmax finite there; zeroed below
    attn = torch.softmax(scores, dim=-1)  # (..., L, S)
    if blocked is not None:
        attn = attn.masked_fill(blocked, 0.0)
    if dropout_p > 0.0 and training:
        attn = F.dropout(attn, dropout_p, training=True)
    return attn @ value, attn  # (..., L, S) x (..., S, Ev) -> (..., L, Ev)


def scaled_dot_product_attention(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                                 attn_mask: torch.Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None) -> torch.Tensor:
    """softmax(Q K^T · scale + M) V, with ``torch.nn.functional.scaled_dot_product_attention``'s signature.

    query (..., L, E), key (..., S, E), value (..., S, Ev); attn_mask broadcastable to (..., L, S), boolean
    (True = attend) or float (added); ``dropout_p`` drops attention weights (always, as in torch: pass 0.0 in
    evaluation); ``scale`` defaults to 1/√E. Returns (..., L, Ev).
    """
    return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale)[0]
