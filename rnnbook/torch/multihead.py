r"""Multi-head attention from tensor operations, a drop-in for ``torch.nn.MultiheadAttention``.

Shape letters: N batch, L target (query) length, S source (key/value) length, E ``embed_dim``, h ``num_heads``,
d = E / h the head size, Ek ``kdim``, Ev ``vdim``.

With W^Q (E, E), W^K (E, Ek), W^V (E, Ev) and W^O (E, E)::

    Q = query W^Q^T + b^Q   K = key W^K^T + b^K   V = value W^V^T + b^V       split into h heads of size d
    head_i = softmax(Q_i K_i^T / √d + M) V_i                                  (N, L, d)
    out    = [head_1 | … | head_h] W^O^T + b^O                                (N, L, E)

The attention itself is :func:`rnnbook.torch.attention._attention` (the code behind this package's
``scaled_dot_product_attention``), never torch's.

Parameters carry ``torch.nn.MultiheadAttention``'s names, so state dicts load both ways: ``in_proj_weight``
(3E, E) = ``W^Q|W^K|W^V`` when kdim = vdim = E, else ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, Ek),
``v_proj_weight`` (E, Ev); ``in_proj_bias`` (3E,); ``out_proj.weight`` (E, E); ``out_proj.bias`` (E,).

Masks follow ``torch.nn.MultiheadAttention`` (note: the opposite of SDPA's boolean convention):
``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N·h, L, S) are boolean with **True = do not attend**,
or float and added to the scores. Unlike torch, a query row masked everywhere gives zeros, not NaN.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnbook._validate import check_shape
from rnnbook.torch._recurrent import check_like
from rnnbook.torch.attention import _attention

__all__ = ["MultiheadAttention"]


def _additive(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Boolean (True = blocked) -> float with -inf where blocked; float -> as is."""
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=like.dtype, device=like.device).masked_fill(mask, float("-inf"))
    return mask


class MultiheadAttention(nn.Module):
    """``MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, *, batch_first=False, kdim=None,
    vdim=None)``, with ``torch.nn.MultiheadAttention``'s parameters, masks and outputs (no ``add_bias_kv``,
    ``add_zero_attn``).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (attn_output, attn_weights)``:

    - query (L, N, E), key (S, N, Ek), value (S, N, Ev); (N, ·, ·) with batch_first; unbatched (L, E) etc.;
    - attn_output: like query; attn_weights: (N, L, S) averaged over heads, (N, h, L, S) with
      ``average_attn_weights=False``, None with ``need_weights=False``;
    - ``is_causal`` is only a hint, as in torch: it needs ``attn_mask`` (pass the causal mask itself).
    ``dropout`` drops attention weights in training.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True, *,
                 batch_first: bool = False, kdim: int | None = None, vdim: int | None = None,
                 device=None, dtype=None) -> None:
        super().__init__()
        for name, v in (("embed_dim", embed_dim), ("num_heads", num_heads), ("kdim", kdim or 1), ("vdim", vdim or 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"{name}: expected a positive int, got {v!r}")
        if embed_dim % num_heads:
            raise ValueError(f"num_heads: expected a divisor of embed_dim = {embed_dim}, got {num_heads}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"dropout: expected a number in [0, 1], got {dropout!r}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        E, factory = embed_dim, {"device": device, "dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * E, E, **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = nn.Parameter(torch.empty(E, E, **factory))
            self.k_proj_weight = nn.Parameter(torch.empty(E, self.kdim, **factory))
            self.v_proj_weight = nn.Parameter(torch.empty(E, self.vdim, **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * E, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(E, E, bias=bias, **factory)  # holds out_proj.weight (E, E), out_proj.bias (E,)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """As torch: Xavier-uniform input projections, zero biases, Linear's default for out_proj.weight."""
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if w is not None:
                nn.init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    def _projections(self):
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            w_q, w_k, w_v = self.in_proj_weight.chunk(3, 0)  # (E, E) each
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b = (None, None, None) if self.in_proj_bias is None else self.in_proj_bias.split(E)
        return (w_q, b[0]), (w_k, b[1]), (w_v, b[2])

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                key_padding_mask: torch.Tensor | None = None, need_weights: bool = True,
                attn_mask: torch.Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False):
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, torch.Tensor):
                raise ValueError(f"{name}: expected a torch.Tensor, got {type(t).__name__}")
        batched = query.dim() == 3
        ref = self.out_proj.weight
        dims = {"E": self.embed_dim, "Ek": self.kdim, "Ev": self.vdim}
        if batched:
            lead = "N, L" if self.batch_first else "L, N"
            check_shape("query", query, f"{lead}, E", dims)
            check_shape("key", key, ("N, S" if self.batch_first else "S, N") + ", Ek", dims)
            check_shape("value", value, ("N, S" if self.batch_first else "S, N") + ", Ev", dims)
        else:
            check_shape("query", query, "L, E", dims)
            check_shape("key", key, "S, Ek", dims)
            check_shape("value", value, "S, Ev", dims)
        for name, t in (("query", query), ("key", key), ("value", value)):
            check_like(name, t, ref, "out_proj.weight")
        if is_causal and attn_mask is None:
            raise ValueError("attn_mask: expected a causal mask with the is_causal hint (as torch), got None")
        # -> batch first, batched: (N, L, E), (N, S, Ek), (N, S, Ev)
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        N, L, E = query.shape
        S, h, d = key.shape[1], self.num_heads, self.head_dim
        dims.update(N=N, L=L, S=S, Nh=N * h)

        mask = None  # additive, broadcastable to (N, h, L, S)
        if attn_mask is not None:
            if attn_mask.dim() == 2:
                check_shape("attn_mask", attn_mask, "L, S", dims, floating=False)
                mask = _additive(attn_mask, query)  # (L, S)
            else:
                check_shape("attn_mask", attn_mask, "Nh, L, S", dims, floating=False)
                mask = _additive(attn_mask, query).view(N, h, L, S)
            if mask.dtype != query.dtype:
                raise ValueError(f"attn_mask: expected dtype torch.bool or {query.dtype}, got {attn_mask.dtype}")
        if key_padding_mask is not None:
            kpm = key_padding_mask if batched else key_padding_mask.unsqueeze(0)
            check_shape("key_padding_mask", kpm, "N, S", dims, floating=False)
            kpm = _additive(kpm, query)
            if kpm.dtype != query.dtype:
                raise ValueError(f"key_padding_mask: expected dtype torch.bool or {query.dtype}, "
                                 f"got {key_padding_mask.dtype}")
            kpm = kpm.view(N, 1, 1, S)
            mask = kpm if mask is None else mask + kpm  # (N, h, L, S) or (N, 1, L, S)

        (w_q, b_q), (w_k, b_k), (w_v, b_v) = self._projections()

        def heads(x, w, b, n):  # (N, n, ·) -> (N, h, n, d)
            y = x @ w.t() if b is None else x @ w.t() + b  # (N, n, E)
            return y.view(N, n, h, d).transpose(1, 2)

        q, k, v = heads(query, w_q, b_q, L), heads(key, w_k, b_k, S), heads(value, w_v, b_v, S)
        out, attn = _attention(q, k, v, mask, self.dropout, scale=1.0 / math.sqrt(d),
                               training=self.training)  # (N, h, L, d), (N, h, L, S)
        out = out.transpose(1, 2).reshape(N, L, E)  # (N, L, E)
        out = out @ self.out_proj.weight.t()
        if self.out_proj.bias is not None:
            out = out + self.out_proj.bias
        if not batched:
            out = out.squeeze(0)  # (L, E)
        elif not self.batch_first:
            out = out.transpose(0, 1)  # (L, N, E)
        if not need_weights:
            return out, None
        if average_attn_weights:
            attn = attn.mean(1)  # (N, L, S)
        return out, (attn if batched else attn.squeeze(0))
