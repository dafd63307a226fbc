"""Checks of chapter 08, additive (Bahdanau) attention: forward, backward, and one decoder step; and beam search.

Shape letters: N batch, S source length, H_dec decoder state size, H_enc encoder state size, A attention
size, E embedding size. Scores e_j = v · tanh(s Wq + h_j Wk + b), weights α = softmax_j(e), context
c = Σ_j α_j h_j (the keys are also the values). The backward check builds its cache itself,
``(query, keys, Wq, Wk, b, v, u, alpha)`` with u = tanh(s Wq + h_j Wk + b) (N, S, A).

Beam search decodes a small RNN decoder given as data (V tokens, H state size): h_t = tanh(E[y_{t-1}] +
h_{t-1} W + b), log p(y_t | y_<t) = log_softmax(h_t Wo + bo), from h_0 and the start token. Its cases draw
models with peaked, varied next-token distributions; the "exhaustive" ones use a beam wide enough to keep every
output (beam_width >= V ** max_len), and are redrawn until greedy decoding does not find the best output, so a
search that keeps one hypothesis per step cannot pass them.
"""

from __future__ import annotations

import numpy as np

from ..spec import Check
from ._helpers import cases, gradcheck_flags, lin, randn, returns

__all__ = ["CHECKS", "additive_cache"]

REF = "autograder.reference.ch08"


def additive_cache(query, keys, Wq, Wk, b, v):
    """context, weights and the documented cache of additive attention (plain NumPy)."""
    u = np.tanh((query @ Wq)[:, None, :] + keys @ Wk + b)  # (N, S, A)
    e = u @ v  # (N, S)
    e = e - e.max(axis=1, keepdims=True)
    alpha = np.exp(e) / np.exp(e).sum(axis=1, keepdims=True)
    context = np.einsum("ns,nsh->nh", alpha, keys)
    return context, alpha, (query, keys, Wq, Wk, b, v, u, alpha)


def _draw(N, S, Hd, He, A, mode=None, scale=1.0):
    def draw(rng):
        arrays = (randn(rng, N, Hd), randn(rng, N, S, He), randn(rng, Hd, A, scale=scale / np.sqrt(Hd)),
                  randn(rng, He, A, scale=scale / np.sqrt(He)), randn(rng, A, scale=0.1), randn(rng, A, scale=scale))
        return arrays if mode is None else (mode, *arrays, randn(rng, N, He))
    return draw


def _overflow_draw(N, S, Hd, He, A, peak=1000.0):
    """Scores whose row maximum is about ``peak`` (> 709, where exp overflows), so that a softmax without the
    max subtraction returns NaN: v is rescaled so that the smallest row maximum of e = u v equals ``peak``."""
    base = _draw(N, S, Hd, He, A, scale=3.0)  # saturated u, so that e is nearly linear in v

    def draw(rng):
        while True:
            query, keys, Wq, Wk, b, v = base(rng)
            u = np.tanh((query @ Wq)[:, None, :] + keys @ Wk + b)  # (N, S, A)
            low = float((u @ v).max(axis=1).min())
            if low > 0.1 * np.abs(v).sum():
                return query, keys, Wq, Wk, b, v * (peak / low)
    return draw


def _linspace(rng):
    N, S, Hd, He, A = 2, 4, 3, 5, 6
    return (lin((N, Hd), -0.5, 0.5), lin((N, S, He), -1.0, 1.0), lin((Hd, A), -0.3, 0.4), lin((He, A), -0.6, 0.2),
            lin(A, -0.1, 0.1), lin(A, -1.0, 1.5))


ADDITIVE_FORWARD = Check(
    id="ch08_additive_attention_forward", chapter="ch08", functions=("additive_attention_forward",), reference=REF,
    run=lambda ns, inp: returns(ns["additive_attention_forward"](*inp), "additive_attention_forward",
                                 ("context", "alpha", "cache"))[:2],
    cases=cases("ch08_additive_attention_forward", _linspace,
                [("random N=3 S=5", _draw(3, 5, 4, 3, 6)),
                 ("sharp scores, max e = 1000 (exp overflows)", _overflow_draw(2, 4, 3, 3, 5)),
                 ("sharp scores, max e = 800", _overflow_draw(3, 6, 4, 4, 8, peak=800.0))],
                [("random N=4 S=7", _draw(4, 7, 5, 6, 3)), ("S=1", _draw(2, 1, 3, 4, 5)),
                 ("sharp scores, max e = 5000", _overflow_draw(3, 6, 4, 4, 8, peak=5000.0)),
                 ("N=1, H_dec != H_enc", _draw(1, 9, 2, 7, 4))]),
    forbidden=("rnnbook", "torch"),
    description="context and attention weights of additive attention for one decoder state",
    outputs=("context", "alpha"),
)


def _run_backward(ns, inp):
    mode, query, keys, Wq, Wk, b, v, dcontext = inp
    _, _, cache = additive_cache(query, keys, Wq, Wk, b, v)
    grads = returns(ns["additive_attention_backward"](dcontext, cache), "additive_attention_backward",
                    ("dquery", "dkeys", "dWq", "dWk", "db", "dv"))
    if mode == "compare":
        return tuple(grads)
    arrays = (query, keys, Wq, Wk, b, v)
    return (gradcheck_flags(lambda: float(np.sum(additive_cache(*arrays)[0] * dcontext)), arrays, grads),)


ADDITIVE_BACKWARD = Check(
    id="ch08_additive_attention_backward", chapter="ch08", functions=("additive_attention_backward",),
    reference=REF, run=_run_backward,
    cases=cases("ch08_additive_attention_backward",
                lambda rng: ("compare", *_linspace(rng), lin((2, 5), -0.5, 0.5)),
                [("gradient check", _draw(2, 3, 3, 2, 4, "gradcheck"))],
                [("random N=4 S=7", _draw(4, 7, 5, 6, 3, "compare")), ("S=1", _draw(2, 1, 3, 4, 5, "compare")),
                 ("N=1, H_dec != H_enc", _draw(1, 9, 2, 7, 4, "compare")),
                 ("gradient check S=4", _draw(2, 4, 2, 3, 3, "gradcheck"))]),
    forbidden=("rnnbook", "torch"),
    description="dquery, dkeys, dWq, dWk, db, dv of additive attention",
    outputs=("dquery", "dkeys", "dWq", "dWk", "db", "dv"),
)


def _dec_draw(N, S, E, Hd, He, A):
    def draw(rng):
        return (randn(rng, N, E), randn(rng, N, Hd, scale=0.5), randn(rng, N, S, He),
                randn(rng, Hd, A, scale=1 / np.sqrt(Hd)), randn(rng, He, A, scale=1 / np.sqrt(He)),
                randn(rng, A, scale=0.1), randn(rng, A), randn(rng, E, Hd, scale=1 / np.sqrt(E)),
                randn(rng, He, Hd, scale=1 / np.sqrt(He)), randn(rng, Hd, Hd, scale=1 / np.sqrt(Hd)),
                randn(rng, Hd, scale=0.1))
    return draw


def _dec_linspace(rng):
    N, S, E, Hd, He, A = 2, 3, 4, 3, 5, 2
    return (lin((N, E), -1.0, 1.0), lin((N, Hd), -0.4, 0.4), lin((N, S, He), -0.8, 0.9), lin((Hd, A), -0.3, 0.4),
            lin((He, A), -0.6, 0.2), lin(A, -0.1, 0.1), lin(A, -1.0, 1.5), lin((E, Hd), -0.5, 0.3),
            lin((He, Hd), -0.2, 0.6), lin((Hd, Hd), -0.4, 0.4), lin(Hd, 0.0, 0.2))


DECODER_STEP = Check(
    id="ch08_attention_decoder_step", chapter="ch08", functions=("attention_decoder_step",), reference=REF,
    run=lambda ns, inp: returns(ns["attention_decoder_step"](*inp), "attention_decoder_step",
                                ("s", "context", "alpha")),
    cases=cases("ch08_attention_decoder_step", _dec_linspace, [("random N=3 S=4", _dec_draw(3, 4, 2, 5, 3, 4))],
                [("random N=4 S=6", _dec_draw(4, 6, 3, 4, 6, 5)), ("S=1", _dec_draw(2, 1, 3, 3, 2, 2)),
                 ("N=1, long source", _dec_draw(1, 15, 4, 2, 3, 3)), ("E=1", _dec_draw(5, 3, 1, 4, 4, 4))]),
    forbidden=("rnnbook", "torch"),
    description="one decoder step: attend with s_{t-1}, then s_t = tanh(y Wy + c Wc + s_{t-1} Ws + bs)",
    outputs=("s", "context", "alpha"),
)


# ---------------------------------------------------------------------------------- beam search
def _rnn_logp(E, W, b, Wo, bo, h, y):
    """One step of the toy decoder for one hypothesis: (log p (V,), next state (H,))."""
    h = np.tanh(E[y] + h @ W + b)
    z = h @ Wo + bo
    z = z - z.max()
    return z - np.log(np.exp(z).sum()), h


def _greedy(E, W, b, Wo, bo, h0, bos, eos, max_len):
    out, h, y = [], h0, bos
    for _ in range(max_len):
        logp, h = _rnn_logp(E, W, b, Wo, bo, h, y)
        y = int(np.argmax(logp))
        out.append(y)
        if y == eos:
            break
    return out


def _best_by_enumeration(E, W, b, Wo, bo, h0, bos, eos, max_len, alpha):
    """The output of highest score / L**alpha among all of them, by depth-first enumeration (no pruning)."""
    V = E.shape[0]
    best = (-np.inf, None)
    stack = [([], 0.0, h0)]
    while stack:
        seq, score, h = stack.pop()
        logp, h = _rnn_logp(E, W, b, Wo, bo, h, seq[-1] if seq else bos)
        for v in range(V):
            s, y = score + logp[v], seq + [v]
            if v == eos or len(y) == max_len:
                best = max(best, (s / len(y) ** alpha, y), key=lambda t: t[0])
            else:
                stack.append((y, s, h))
    return best[1]


def _beam_draw(V, H, width, max_len, alpha=0.0, bos=0, eos=1, exhaustive=False, scale=2.5):
    """A decoder with V tokens and state size H, and the search's settings; ``exhaustive``: width >= V**max_len,
    redrawn until greedy decoding misses the best output."""
    def draw(rng):
        while True:
            arrays = (randn(rng, V, H, scale=scale), randn(rng, H, H, scale=1 / np.sqrt(H)), randn(rng, H, scale=0.1),
                      randn(rng, H, V, scale=scale / np.sqrt(H)), randn(rng, V, scale=0.5), randn(rng, H, scale=0.5))
            E, W, b, Wo, bo, h0 = arrays
            bo[eos] += 0.5  # outputs end, often before max_len
            if not exhaustive or _greedy(*arrays, bos, eos, max_len) != _best_by_enumeration(*arrays, bos, eos,
                                                                                              max_len, alpha):
                return (*arrays, bos, eos, width, max_len, float(alpha))
    return draw


def _beam_linspace(rng):
    V, H = 5, 4
    return (lin((V, H), -2.0, 2.5), lin((H, H), 0.6, -0.5), lin(H, -0.1, 0.1), lin((H, V), 1.5, -2.0),
            lin(V, -0.5, 0.5), lin(H, 0.3, -0.3), 0, 1, 3, 6, 0.0)


def _run_beam(ns, inp):
    tokens, score = returns(ns["beam_search"](*inp), "beam_search", ("tokens", "score"))
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or (tokens.dtype.kind not in "iu" and tokens.size):
        raise AssertionError(f"beam_search should return tokens as a list of ints, got {tokens.dtype} "
                             f"of shape {tokens.shape}")
    return tokens.astype(np.int64), np.float64(score)


BEAM_SEARCH = Check(
    id="ch08_beam_search", chapter="ch08", functions=("beam_search",), reference=REF, run=_run_beam,
    cases=cases("ch08_beam_search", _beam_linspace,
                [("V=6, width 3", _beam_draw(6, 4, 3, 6)),
                 ("exhaustive: V=4, max_len 3, width 64", _beam_draw(4, 3, 64, 3, exhaustive=True)),
                 ("length penalty 0.7, width 4", _beam_draw(7, 5, 4, 7, alpha=0.7))],
                [("V=7, width 5", _beam_draw(7, 5, 5, 8, bos=6, eos=2)),
                 ("width 1 (greedy)", _beam_draw(6, 3, 1, 6)),
                 ("exhaustive: V=3, max_len 5, width 243, length penalty 1",
                  _beam_draw(3, 4, 243, 5, alpha=1.0, bos=2, eos=0, exhaustive=True)),
                 ("length penalty 1, width 3, max_len 4", _beam_draw(8, 6, 3, 4, alpha=1.0, eos=3))]),
    forbidden=("rnnbook", "torch", "scipy"),
    description="beam search on a small RNN decoder: the best output (by score / L**alpha) and its log-probability",
    outputs=("tokens", "score"),
)

CHECKS = [ADDITIVE_FORWARD, ADDITIVE_BACKWARD, DECODER_STEP, BEAM_SEARCH]
