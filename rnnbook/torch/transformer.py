r"""A decoder-only transformer from tensor operations: ``LayerNorm``, the causal ``TransformerBlock`` (a drop-in
for ``torch.nn.TransformerEncoderLayer`` called with a causal mask), a character ``CharTransformer``, and
:func:`train_char_model`, which trains any character model for a fixed budget of CPU seconds.

Shape letters: N batch, T positions, E ``d_model``, h ``nhead``, F ``dim_feedforward``, V vocabulary,
T_max ``block_size`` (the longest context).

LayerNorm over the last axis (biased variance, as torch)::

    y = γ ⊙ (x - μ) / sqrt(σ² + ε) + β

The block, with MHA :class:`rnnbook.torch.MultiheadAttention` (causal: position i reads j <= i) and
FFN(x) = linear2(ReLU(linear1(x)))::

    pre-LN  (norm_first=True):   u = x + MHA(LN₁(x));   y = u + FFN(LN₂(u))
    post-LN (norm_first=False):  u = LN₁(x + MHA(x));   y = LN₂(u + FFN(u))

Parameter names are ``torch.nn.TransformerEncoderLayer``'s (``self_attn.in_proj_weight`` (3E, E),
``self_attn.out_proj.weight`` (E, E), ``linear1.weight`` (F, E), ``linear2.weight`` (E, F), ``norm1.weight``
(E,), ...), so state dicts load both ways. Tensors are made on the device and in the dtype of the input.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from rnnbook._validate import check_shape
from rnnbook.torch._recurrent import check_like
from rnnbook.torch.multihead import MultiheadAttention

__all__ = ["LayerNorm", "TransformerBlock", "CharTransformer", "count_parameters", "train_char_model"]


def _positive_int(name, v):
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise ValueError(f"{name}: expected a positive int, got {v!r}")


class LayerNorm(nn.Module):
    """``LayerNorm(normalized_shape, eps=1e-5)`` over the last axis, with ``torch.nn.LayerNorm``'s ``weight`` (γ)
    and ``bias`` (β), both (E,). ``forward(x (..., E)) -> (..., E)``."""

    def __init__(self, normalized_shape: int, eps: float = 1e-5, device=None, dtype=None) -> None:
        super().__init__()
        _positive_int("normalized_shape", normalized_shape)
        if not (isinstance(eps, (int, float)) and eps > 0):
            raise ValueError(f"eps: expected a positive number, got {eps!r}")
        self.normalized_shape, self.eps = (normalized_shape,), float(eps)
        self.weight = nn.Parameter(torch.ones(normalized_shape, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(normalized_shape, device=device, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.shape[-1] != self.normalized_shape[0]:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x: expected (..., E) with E = {self.normalized_shape[0]}, got {got}")
        check_like("x", x, self.weight, "weight")
        mu = x.mean(-1, keepdim=True)  # (..., 1)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)  # (..., 1), biased
        return (x - mu) * torch.rsqrt(var + self.eps) * self.weight + self.bias  # (..., E)


class TransformerBlock(nn.Module):
    """``TransformerBlock(d_model, nhead, dim_feedforward=2048, dropout=0.0, layer_norm_eps=1e-5,
    norm_first=False)``: ``torch.nn.TransformerEncoderLayer(..., batch_first=True, activation="relu")`` with the
    causal mask built in. ``dropout`` (on the attention weights, after the ReLU and on each sub-layer's output,
    as torch) acts in training mode only.

    ``forward(x (N, T, E)) -> (N, T, E)``; position i depends on positions j <= i only.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.0,
                 layer_norm_eps: float = 1e-5, norm_first: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        _positive_int("dim_feedforward", dim_feedforward)
        f = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=True, **f)
        self.linear1 = nn.Linear(d_model, dim_feedforward, **f)  # weight (F, E)
        self.linear2 = nn.Linear(dim_feedforward, d_model, **f)  # weight (E, F)
        self.norm1 = LayerNorm(d_model, layer_norm_eps, **f)
        self.norm2 = LayerNorm(d_model, layer_norm_eps, **f)
        self.norm_first, self.dropout = bool(norm_first), float(dropout)
        self.activation = torch.nn.functional.relu

    def _drop(self, x):
        return torch.nn.functional.dropout(x, self.dropout, self.training) if self.dropout > 0 else x

    def _sa(self, x):
        T = x.shape[1]
        blocked = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)  # (T, T), True = j > i, not allowed
        return self._drop(self.self_attn(x, x, x, attn_mask=blocked, need_weights=False)[0])

    def _ff(self, x):
        return self._drop(self.linear2(self._drop(self.activation(self.linear1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"x: expected a torch.Tensor (N, T, E), got {type(x).__name__}")
        check_shape("x", x, "N, T, E", {"E": self.linear1.in_features})
        if self.norm_first:
            x = x + self._sa(self.norm1(x))  # (N, T, E)
            return x + self._ff(self.norm2(x))
        x = self.norm1(x + self._sa(x))
        return self.norm2(x + self._ff(x))


class CharTransformer(nn.Module):
    """A GPT-style character model: token and learned position embeddings, ``num_layers`` pre-LN
    :class:`TransformerBlock` s, a final LayerNorm and a linear read-out.

    ``CharTransformer(vocab_size, d_model, nhead, num_layers, dim_feedforward, block_size, dropout=0.0,
    fused=False)``; with ``fused=True`` the blocks are ``torch.nn.TransformerEncoderLayer`` (same parameter
    names and the same function, with torch's fused attention kernels: faster on a CPU, as ``torch.nn.LSTM`` is
    against a step-by-step LSTM), so a state dict moves between the two.
    ``forward(idx (N, T) int, targets=None) -> (logits (N, T, V), loss)``, with T <= block_size and loss the mean
    cross-entropy in nats (None without targets).
    """

    def __init__(self, vocab_size: int, d_model: int, nhead: int, num_layers: int, dim_feedforward: int,
                 block_size: int, dropout: float = 0.0, fused: bool = False) -> None:
        super().__init__()
        for name, v in (("vocab_size", vocab_size), ("num_layers", num_layers), ("block_size", block_size)):
            _positive_int(name, v)
        self.block_size = block_size
        self.tok = nn.Embedding(vocab_size, d_model)  # (V, E)
        self.pos = nn.Embedding(block_size, d_model)  # (T_max, E)
        self.fused = bool(fused)
        if fused:
            self.blocks = nn.ModuleList(nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                                   batch_first=True, norm_first=True)
                                        for _ in range(num_layers))
        else:
            self.blocks = nn.ModuleList(TransformerBlock(d_model, nhead, dim_feedforward, dropout, norm_first=True)
                                        for _ in range(num_layers))
        self.norm = LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)
        for m in self.modules():  # GPT-2's initialisation: small normal weights
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        if not isinstance(idx, torch.Tensor) or idx.dim() != 2 or idx.dtype != torch.long:
            got = f"{tuple(idx.shape)} {idx.dtype}" if isinstance(idx, torch.Tensor) else type(idx).__name__
            raise ValueError(f"idx: expected a (N, T) tensor of dtype torch.int64, got {got}")
        T = idx.shape[1]
        if T > self.block_size:
            raise ValueError(f"idx: expected T <= block_size = {self.block_size}, got T = {T}")
        x = self.tok(idx) + self.pos(torch.arange(T, device=idx.device))  # (N, T, E) + (T, E)
        if self.fused:
            mask = torch.ones(T, T, dtype=torch.bool, device=idx.device).triu(1)  # (T, T), True = not allowed
            for block in self.blocks:
                x = block(x, src_mask=mask, is_causal=True)  # (N, T, E)
        else:
            for block in self.blocks:
                x = block(x)  # (N, T, E)
        logits = self.head(self.norm(x))  # (N, T, V)
        loss = None
        if targets is not None:
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss


def count_parameters(model: nn.Module) -> int:
    """The number of trainable scalars of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _position_bpc(model, ids: np.ndarray, seq_len: int, device) -> np.ndarray:
    """Validation bits per character at each position of non-overlapping windows of ``seq_len``: (seq_len,)."""
    n = (len(ids) - 1) // seq_len * seq_len
    x = torch.tensor(ids[:n], device=device).view(-1, seq_len)  # (windows, T)
    y = torch.tensor(ids[1:n + 1], device=device).view(-1, seq_len)
    tot = torch.zeros(seq_len, dtype=torch.float64, device=device)
    was = model.training
    model.eval()
    with torch.no_grad():
        for i in range(0, len(x), 128):
            logits = model(x[i:i + 128])[0]  # (n, T, V)
            nll = nn.functional.cross_entropy(logits.transpose(1, 2), y[i:i + 128], reduction="none")  # (n, T)
            tot += nll.double().sum(0)
    model.train(was)
    return (tot / len(x) / math.log(2)).cpu().numpy()


def train_char_model(model: nn.Module, train_ids: np.ndarray, val_ids: np.ndarray, *, cpu_seconds: float,
                     seq_len: int, batch: int, lr: float, seed: int = 0, evals: int = 5, clip: float = 5.0,
                     warmup: int = 0) -> dict:
    """Train a character model with Adam on random windows for ``cpu_seconds`` of process CPU time.

    ``model(idx (N, T))`` must return ``(logits (N, T, V), anything)`` (the LSTM of chapter 7 and
    :class:`CharTransformer` both do). The budget counts training steps only (``time.process_time``, so it
    is the same on a loaded machine); the ``evals`` evaluations of validation bits per character, at equal
    steps of the budget, are not counted. ``warmup``: steps of linear learning-rate warm-up.

    Returns {"cpu_seconds": [...], "steps": [...], "val_bpc": [...]} at each evaluation, "final_val_bpc",
    "position_bpc" (seq_len,) at the end (bits per character at each position of a window), "parameters".
    """
    if not cpu_seconds > 0:
        raise ValueError(f"cpu_seconds: expected a positive budget, got {cpu_seconds!r}")
    dev = next(model.parameters()).device
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    res = {"cpu_seconds": [], "steps": [], "val_bpc": [], "parameters": count_parameters(model)}
    used, step = 0.0, 0
    marks = [cpu_seconds * (k + 1) / evals for k in range(evals)]
    model.train()
    while marks:
        t0 = time.process_time()
        starts = rng.integers(0, len(train_ids) - seq_len - 1, size=batch)
        win = torch.tensor(train_ids[starts[:, None] + np.arange(seq_len + 1)], device=dev)  # (N, T + 1)
        logits = model(win[:, :-1])[0]  # (N, T, V)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), win[:, 1:].reshape(-1))
        step += 1
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, step / warmup) if warmup else lr
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        used += time.process_time() - t0
        if used >= marks[0]:
            marks.pop(0)
            pos = _position_bpc(model, val_ids, seq_len, dev)
            res["cpu_seconds"].append(round(used, 2))
            res["steps"].append(step)
            res["val_bpc"].append(float(pos.mean()))
    res["final_val_bpc"] = res["val_bpc"][-1]
    res["position_bpc"] = pos.tolist()
    return res
