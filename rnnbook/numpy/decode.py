r"""Greedy and beam-search decoding of an autoregressive model (inference only: nothing here is differentiated).

Shape letters: K hypotheses decoded side by side (the beam), V vocabulary, H state size.

The model reaches the decoders as one function, ``step(tokens, state) -> (log_probs, state)``:

- ``tokens``: int array of shape (K,), the last token of each hypothesis (the start token ``bos`` at first);
- ``state``: an array with leading axis K, or a tuple of them (e.g. a decoder state (K, H));
- ``log_probs``: array of shape (K, V), the log-probabilities of the next token (each row log-sums to 0).

A hypothesis is the list of tokens it generated, without ``bos``; it ends with ``eos`` when finished. Its
score is the sum of the log-probabilities of its tokens, :math:`\log p(y_1 \dots y_L) = \sum_t \log p(y_t \mid
y_{<t})`, and with length normalisation (``length_penalty`` α > 0) hypotheses are ranked by
:math:`\mathrm{score} / L^{\alpha}`, L counting every generated token (the end token too). α = 0 ranks by the
plain log-probability, which favours short outputs; α = 1 ranks by the mean log-probability per token.

Beam search, as implemented here (the beam shrinks as hypotheses finish):

1. start with one hypothesis, the empty one, with score 0;
2. at each step, extend every live hypothesis by every token (K·V candidates, score + log p), and keep the
   ``beam_width`` best candidates by plain score (ties: the earlier hypothesis, then the lower token id);
3. a kept candidate that ends with ``eos`` is finished and leaves the beam; the others are the next beam,
   each with its parent's state after the step;
4. stop when no hypothesis is live, or after ``max_len`` steps, when the live ones are finished as they are
   (without ``eos``); return every finished hypothesis, best first by the (normalised) score.

With ``beam_width=1`` this is greedy decoding. With ``beam_width >= V ** max_len`` nothing is ever pruned, so
the search is exhaustive and returns the most probable output exactly; in between it is a heuristic.
"""

from __future__ import annotations

import numpy as np

__all__ = ["greedy_decode", "beam_search", "sequence_log_prob"]


def _take(state, idx):
    """Rows ``idx`` of a state array or of each array of a tuple of them (leading axis K)."""
    if isinstance(state, tuple):
        return tuple(_take(s, idx) for s in state)
    return state[idx]


def _check_args(bos, eos, max_len, beam_width=1, length_penalty=0.0):
    for name, v in (("bos", bos), ("eos", eos)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name}: expected a token id (an int >= 0), got {v!r}")
    if not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len: expected an int >= 1, got {max_len!r}")
    if not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam_width: expected an int >= 1, got {beam_width!r}")
    if not np.isfinite(length_penalty) or length_penalty < 0:
        raise ValueError(f"length_penalty: expected a number >= 0, got {length_penalty!r}")


def _log_probs(step, tokens, state, K):
    logp, state = step(tokens, state)
    logp = np.asarray(logp, dtype=np.float64)
    if logp.ndim != 2 or logp.shape[0] != K:
        raise ValueError(f"step: expected log_probs of shape ({K}, V), got {logp.shape}")
    return logp, state


def greedy_decode(step, state, bos: int, eos: int, max_len: int):
    """Write the most probable next token at every step, until ``eos`` or ``max_len`` tokens.

    step: the model, ``step(tokens (1,), state) -> (log_probs (1, V), state)`` (module docstring);
    state: the initial state, leading axis 1. Returns ``(tokens, score)``: the generated tokens (a list of
    ints, without ``bos``, ending with ``eos`` if it was written) and their summed log-probability.
    """
    _check_args(bos, eos, max_len)
    out, score, last = [], 0.0, bos
    for _ in range(max_len):
        logp, state = _log_probs(step, np.array([last]), state, 1)
        last = int(np.argmax(logp[0]))  # ties: the lower token id, as in beam_search
        out.append(last)
        score += float(logp[0, last])
        if last == eos:
            break
    return out, score


def beam_search(step, state, bos: int, eos: int, beam_width: int, max_len: int, length_penalty: float = 0.0):
    """Beam search (module docstring): every finished hypothesis, best first.

    step: the model, ``step(tokens (K,), state) -> (log_probs (K, V), state)``; state: the initial state,
    leading axis 1 (one source); beam_width: hypotheses kept per step; max_len: the most tokens generated;
    length_penalty: α, rank by score / L**α (0: the plain log-probability).

    Returns a list of ``(tokens, score, ranking_score)``: tokens a list of ints without ``bos`` (ending with
    ``eos`` unless cut at ``max_len``), score the summed log-probability, ranking_score = score / L**α;
    sorted by ranking_score, highest first (ties: the one finished first).
    """
    _check_args(bos, eos, max_len, beam_width, length_penalty)
    seqs, scores = [[]], np.zeros(1)  # the live hypotheses and their scores (K,)
    last = np.array([bos])
    finished = []
    for _ in range(max_len):
        logp, state = _log_probs(step, last, state, len(seqs))
        V = logp.shape[1]
        cand = (scores[:, None] + logp).ravel()  # (K*V,): score of hypothesis k extended by token v at k*V + v
        best = np.argsort(-cand, kind="stable")[:beam_width]  # stable: ties go to the lower index
        parents, keep = [], []
        for i in best:
            k, v = divmod(int(i), V)
            if v == eos:
                finished.append((seqs[k] + [v], float(cand[i])))
            else:
                parents.append(k)
                keep.append(i)
        if not parents:
            break
        seqs = [seqs[k] + [int(i) % V] for k, i in zip(parents, keep)]
        scores = cand[keep]
        last = np.array([s[-1] for s in seqs])
        state = _take(state, np.array(parents))
    else:
        finished += [(s, float(c)) for s, c in zip(seqs, scores)]  # cut at max_len, without eos
    ranked = [(s, c, c / len(s) ** length_penalty) for s, c in finished]
    return sorted(ranked, key=lambda h: -h[2])  # sorted() is stable: ties keep the order of finishing


def sequence_log_prob(step, state, bos: int, tokens) -> float:
    """The model's log-probability of ``tokens`` (a list of ints, without ``bos``), fed one at a time:
    the score :func:`beam_search` gives that hypothesis. step and state as in :func:`greedy_decode`."""
    total, last = 0.0, bos
    for t in tokens:
        logp, state = _log_probs(step, np.array([last]), state, 1)
        total += float(logp[0, int(t)])
        last = int(t)
    return total
