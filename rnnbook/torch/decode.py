r"""Greedy and beam-search decoding on torch tensors: the twin of :mod:`rnnbook.numpy.decode`.

Shape letters: K hypotheses (the beam), V vocabulary. The model is ``step(tokens, state) -> (log_probs,
state)`` with tokens a long tensor (K,), state a tensor with leading axis K (or a tuple of them) and
log_probs (K, V). The algorithm, the tie-breaking (the earlier hypothesis, then the lower token id), the
length normalisation (rank by score / L**α, L counting the end token) and the results are those of
:mod:`rnnbook.numpy.decode`, which documents them. Tensors are made on the device of the model's output.
Inference only: runs under ``torch.no_grad()``.
"""

from __future__ import annotations

import torch

from rnnbook.numpy.decode import _check_args

__all__ = ["greedy_decode", "beam_search"]


def _take(state, idx):
    if isinstance(state, tuple):
        return tuple(_take(s, idx) for s in state)
    return state[idx]


def _log_probs(step, tokens, state, K):
    logp, state = step(tokens, state)
    if logp.dim() != 2 or logp.shape[0] != K:
        raise ValueError(f"step: expected log_probs of shape ({K}, V), got {tuple(logp.shape)}")
    return logp, state


@torch.no_grad()
def greedy_decode(step, state, bos: int, eos: int, max_len: int, device=None):
    """The most probable next token at every step; returns ``(tokens, score)`` as the NumPy twin."""
    _check_args(bos, eos, max_len)
    out, score = [], 0.0
    last = torch.tensor([bos], device=device)
    for _ in range(max_len):
        logp, state = _log_probs(step, last, state, 1)
        last = logp[0].argmax().reshape(1)  # first maximum: the lower token id on ties
        out.append(int(last))
        score += float(logp[0, last])
        if out[-1] == eos:
            break
    return out, score


@torch.no_grad()
def beam_search(step, state, bos: int, eos: int, beam_width: int, max_len: int, length_penalty: float = 0.0,
                device=None):
    """Beam search; returns ``[(tokens, score, ranking_score), ...]`` best first, as the NumPy twin.

    device: where the first token tensor is made (the model's device; later ones follow the model's output).
    """
    _check_args(bos, eos, max_len, beam_width, length_penalty)
    last = torch.tensor([bos], device=device)
    seqs, scores = [[]], None
    finished = []
    for _ in range(max_len):
        logp, state = _log_probs(step, last, state, len(seqs))
        V = logp.shape[1]
        scores = torch.zeros(1, dtype=logp.dtype, device=logp.device) if scores is None else scores
        cand = (scores[:, None] + logp).reshape(-1)  # (K*V,)
        order = torch.sort(cand, descending=True, stable=True).indices[:beam_width]
        parents, keep = [], []
        for i in order.tolist():
            k, v = divmod(i, V)
            if v == eos:
                finished.append((seqs[k] + [v], float(cand[i])))
            else:
                parents.append(k)
                keep.append(i)
        if not parents:
            break
        seqs = [seqs[k] + [i % V] for k, i in zip(parents, keep)]
        keep_t = torch.tensor(keep, device=cand.device)
        scores = cand[keep_t]
        last = keep_t % V
        state = _take(state, torch.tensor(parents, device=cand.device))
    else:
        finished += [(s, float(c)) for s, c in zip(seqs, scores.tolist())]
    ranked = [(s, c, c / len(s) ** length_penalty) for s, c in finished]
    return sorted(ranked, key=lambda h: -h[2])
