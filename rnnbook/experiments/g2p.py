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

Score: phoneme error rate (PER) = edit distance / reference length, summed over held-out words.

Shape letters: N batch, S source letters, T target phonemes, E embedding, H hidden.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data.phonemes import LETTERS, PHONEMES, load_cmudict
from ._common import setup

__all__ = ["G2P_CONFIGS", "edit_distance", "run_g2p", "plot_g2p"]

G2P_CONFIGS = {
    "small": dict(n_train=4000, n_test=400, max_len=10, emb=32, hidden=64, epochs=6, batch=64, lr=5e-3),
    "full": dict(n_train=None, n_test=None, max_len=None, emb=64, hidden=256, epochs=20, batch=128, lr=2e-3),
}
PAD, BOS, EOS = 0, 1, 2


def edit_distance(a, b) -> int:
    """Levenshtein distance between two sequences."""
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[-1]


class _Seq2Seq(torch.nn.Module):
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
        h, mask, mean, s = self.encode(src)
        keys = self.W_h(h)  # (N, S, H)
        logits = []
        for t in range(tgt_in.shape[1]):
            lo, s, _ = self.step(tgt_in[:, t], s, h, mask, mean, keys)
            logits.append(lo)
        return torch.stack(logits, 1)  # (N, T, V)

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


def run_g2p(scale: str = "small", seed: int = 0, device=None, **overrides) -> dict:
    """Train both models; returns PER on held-out words, examples and one attention map.

    ``per_by_length``: one ``[letters, edit errors, reference phonemes, words]`` row per word length of the test
    words, so that PER can be read by length (errors over phonemes, pooled over the words of that length).
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
    for name, att in (("no_attention", False), ("attention", True)):
        torch.manual_seed(seed)
        model = _Seq2Seq(att, cfg["emb"], cfg["hidden"]).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
        for _ in range(cfg["epochs"]):
            order = rng.permutation(len(train))
            for i in range(0, len(order), cfg["batch"]):
                src, tin, tout = _tensors([train[j] for j in order[i : i + cfg["batch"]]], dev)
                logits = model(src, tin)
                loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tout.reshape(-1), ignore_index=PAD)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
        model.eval()
        pred, att_w = model.greedy(src_te)
        errs, n, examples = 0, 0, []
        by_len = {}  # word length -> [edit errors, reference phonemes, words]
        for i, (w, ref) in enumerate(test):
            hyp = []
            for k in pred[i].tolist():
                if k == EOS:
                    break
                hyp.append(PHONEMES[k - 3] if k >= 3 else "?")
            e = edit_distance(hyp, ref)
            errs += e
            n += len(ref)
            acc = by_len.setdefault(len(w), [0, 0, 0])
            acc[0] += e
            acc[1] += len(ref)
            acc[2] += 1
            if i < 8:
                examples.append({"word": w, "reference": " ".join(ref), "predicted": " ".join(hyp)})
        res = {"per": errs / n, "examples": examples,
               "per_by_length": [[L, e, r, k] for L, (e, r, k) in sorted(by_len.items())],
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
