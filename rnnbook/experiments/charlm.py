"""Reproduction: a character-level LSTM language model on the Python standard library's source.

After Karpathy, Johnson & Fei-Fei (2015), "Visualizing and understanding recurrent networks"
(and Graves 2013), on a corpus every machine has: :func:`rnnbook.data.load_stdlib_text`. The
model is ``torch.nn.LSTM`` (one layer) with an embedding and a linear read-out, trained with
Adam on random windows of ``seq_len`` characters (truncated backpropagation through time, no
state carried between windows). The score is bits per character (bpc) on the validation text,
beside a bigram model (add-0.5 smoothing) fitted on the same training text.

Shape letters: N batch, T time, V vocabulary, E embedding, H hidden.
"""

from __future__ import annotations

import math
import re

import numpy as np
import torch

from ..data.text import CharVocab, load_stdlib_text
from ._common import VARIANT, setup

__all__ = ["CHARLM_CONFIGS", "NGRAM_ORDERS", "bigram_bpc", "ngram_bpc", "run_charlm", "plot_charlm", "perplexity",
           "generate", "temperature_sweep", "word_fraction"]

CHARLM_CONFIGS = {
    "small": dict(train_chars=300_000, val_chars=30_000, emb=32, hidden=128, layers=1, seq_len=64, batch=32,
                  steps=800, lr=3e-3, eval_every=100, sample_chars=300),
    "full": dict(train_chars=5_000_000, val_chars=200_000, emb=64, hidden=512, layers=2, seq_len=128, batch=64,
                 steps=6000, lr=2e-3, eval_every=250, sample_chars=600),
}


def bigram_bpc(train_ids: np.ndarray, val_ids: np.ndarray, V: int, alpha: float = 0.5) -> float:
    """Bits per character of an add-``alpha`` bigram model fitted on ``train_ids``, scored on ``val_ids``."""
    counts = np.full((V, V), alpha)
    np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1.0)
    logp = np.log2(counts / counts.sum(1, keepdims=True))
    return float(-np.mean(logp[val_ids[:-1], val_ids[1:]]))


NGRAM_ORDERS = (3, 4, 5)
"""The n-gram models a run scores beside the LSTM (``ngram_bpc``)."""


def _keys(ids: np.ndarray, k: int, V: int) -> np.ndarray:
    """Integer codes of every k-character window of ``ids`` (k >= 1): shape (len(ids) - k + 1,)."""
    key = np.zeros(len(ids) - k + 1, dtype=np.int64)
    for j in range(k):
        key = key * V + ids[j : len(ids) - k + 1 + j]
    return key


def ngram_bpc(train_ids: np.ndarray, val_ids: np.ndarray, V: int, n: int) -> float:
    """Bits per character of an order-``n`` character model with Witten-Bell interpolation, on ``val_ids``.

    P_k(w | h) = (c(h w) + u(h) P_{k-1}(w | h')) / (c(h) + u(h)), with c the training counts, u(h) the number
    of distinct characters seen after the context h of k - 1 characters, h' the context without its first
    character, and P_1 the add-0.5 unigram. Every order is a proper distribution over the V characters.
    The first n - 1 validation characters are scored with the orders their context allows.
    """
    if n < 1 or V ** n >= 2**62:
        raise ValueError(f"n: expected 1 <= n with V**n < 2**62 (V = {V}), got {n}")
    train_ids, val_ids = np.asarray(train_ids, dtype=np.int64), np.asarray(val_ids, dtype=np.int64)
    M = len(val_ids)
    p = (np.bincount(train_ids, minlength=V)[val_ids] + 0.5) / (len(train_ids) + 0.5 * V)  # (M,) order 1
    for k in range(2, n + 1):
        grams, gram_count = np.unique(_keys(train_ids, k, V), return_counts=True)
        ctx_of_gram = grams // V
        ctxs, ctx_start, ctx_types = np.unique(ctx_of_gram, return_index=True, return_counts=True)
        ctx_count = np.add.reduceat(gram_count, ctx_start)
        vk = np.full(M, -1, dtype=np.int64)  # the k-gram ending at each validation position
        vk[k - 1:] = _keys(val_ids, k, V)
        ok = vk >= 0
        vctx = vk // V
        i = np.clip(np.searchsorted(ctxs, vctx), 0, len(ctxs) - 1)
        seen_ctx = ok & (ctxs[i] == vctx)
        j = np.clip(np.searchsorted(grams, vk), 0, len(grams) - 1)
        c_hw = np.where(ok & (grams[j] == vk), gram_count[j], 0)
        c_h, u_h = np.where(seen_ctx, ctx_count[i], 0), np.where(seen_ctx, ctx_types[i], 0)
        p = np.where(seen_ctx, (c_hw + u_h * p) / np.maximum(c_h + u_h, 1), p)
    return float(-np.mean(np.log2(p)))


class _CharLSTM(torch.nn.Module):
    def __init__(self, V, E, H, layers):
        super().__init__()
        self.emb = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.LSTM(E, H, num_layers=layers, batch_first=True)
        self.head = torch.nn.Linear(H, V)

    def forward(self, idx, state=None):
        out, state = self.rnn(self.emb(idx), state)  # (N, T, H)
        return self.head(out), state  # (N, T, V)


class _CharLSTMReg(torch.nn.Module):
    """The character LSTM with the two regularisers of the chapter: variational dropout (Gal & Ghahramani 2016)
    on the embedded inputs (``p_input``), on the recurrent state (``p_hidden``) and on the states the read-out sees
    (``p_output``), one mask per sequence for each (:class:`rnnbook.torch.dropout.VariationalLSTM`), and weight
    tying (``tie``, Press & Wolf 2017; Inan et al. 2017): the read-out's (V, H) weight *is* the embedding, one
    ``Parameter``, which needs E == H, initialised at the read-out's scale. With every p 0 and ``tie`` False it computes what ``_CharLSTM`` computes
    (one layer), through a Python loop over the steps."""

    def __init__(self, V, E, H, p_input=0.0, p_hidden=0.0, p_output=0.0, tie=False):
        super().__init__()
        if tie and E != H:
            raise ValueError(f"tie: expected the embedding size E to equal the hidden size H, got {E} and {H}")
        from ..torch.dropout import VariationalLSTM

        if not 0 <= p_output < 1:
            raise ValueError(f"p_output: expected a dropout probability 0 <= p < 1, got {p_output!r}")
        self.emb = torch.nn.Embedding(V, E)
        self.rnn = VariationalLSTM(E, H, dropout_input=p_input, dropout_hidden=p_hidden)
        self.head = torch.nn.Linear(H, V)
        self.p_output = float(p_output)
        if tie:
            self.head.weight = self.emb.weight  # (V, E) = (V, H): one parameter, two uses
            with torch.no_grad():  # at the read-out's scale (torch.nn.Linear's U(-1/√H, 1/√H)), not N(0, 1)
                self.emb.weight.uniform_(-1 / math.sqrt(H), 1 / math.sqrt(H))

    def forward(self, idx, state=None):
        out, state = self.rnn(self.emb(idx), state)  # (N, T, H)
        if self.training and self.p_output:
            from ..torch.dropout import variational_mask

            out = out * variational_mask(out.shape[0], out.shape[2], self.p_output, out)[:, None, :]
        return self.head(out), state  # (N, T, V)


def _val_bpc(model, ids, seq_len, dev):
    n = (len(ids) - 1) // seq_len * seq_len
    x = torch.tensor(ids[:n], device=dev).view(-1, seq_len)
    y = torch.tensor(ids[1 : n + 1], device=dev).view(-1, seq_len)
    with torch.no_grad():
        tot = 0.0
        for i in range(0, len(x), 256):
            logits, _ = model(x[i : i + 256])
            tot += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[i : i + 256].reshape(-1), reduction="sum").item()
    return tot / y.numel() / math.log(2)


def _sample(model, vocab, prime, n, dev, temperature=0.8, seed=0):
    g = torch.Generator(device="cpu").manual_seed(seed)
    idx = torch.tensor(vocab.encode(prime), device=dev)[None]
    out = []
    with torch.no_grad():
        logits, state = model(idx)
        for _ in range(n):
            p = torch.softmax(logits[0, -1].float().cpu() / temperature, 0)
            c = int(torch.multinomial(p, 1, generator=g))
            out.append(c)
            logits, state = model(torch.tensor([[c]], device=dev), state)
    return prime + vocab.decode(np.array(out))


def perplexity(bpc: float) -> float:
    """Perplexity per character from bits per character: 2 ** bpc (= exp of the mean loss in nats)."""
    if not math.isfinite(bpc) or bpc < 0:
        raise ValueError(f"bpc: expected a finite number >= 0, got {bpc!r}")
    return 2.0 ** bpc


def generate(model, vocab, prime: str, n: int, temperature: float = 1.0, seed: int = 0) -> dict:
    """Sample ``n`` characters after ``prime`` from the character model at ``temperature`` (0 is greedy), with
    :func:`rnnbook.numpy.sampling.sample_next` and a ``np.random.default_rng(seed)``.

    Returns {"text": prime + sample, "entropy_bits": the mean over the n steps of the entropy (bits) of the
    distribution each character was drawn from (p_τ; 0 for greedy), "model_bits": the mean of -log2 p_1 of the
    drawn characters under the model itself (τ = 1)}.
    """
    from ..numpy.sampling import check_temperature, entropy_bits, sample_next, softmax_temperature

    t = check_temperature(temperature)
    if int(n) != n or n < 1:
        raise ValueError(f"n: expected a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    dev = next(model.parameters()).device
    idx = torch.tensor(vocab.encode(prime), device=dev)[None]  # (1, len(prime))
    out, ent, own = [], [], []
    with torch.no_grad():
        logits, state = model(idx)
        for _ in range(int(n)):
            s = logits[0, -1].double().cpu().numpy()  # (V,)
            c = sample_next(s, t, rng)
            ent.append(0.0 if t == 0 else float(entropy_bits(softmax_temperature(s, t))))
            own.append(float(-np.log2(softmax_temperature(s, 1.0)[c])))
            out.append(c)
            logits, state = model(torch.tensor([[c]], device=dev), state)
    return {"text": prime + vocab.decode(np.array(out)), "entropy_bits": float(np.mean(ent)),
            "model_bits": float(np.mean(own))}


_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]+")


def word_fraction(text: str, dictionary: set) -> float:
    """The fraction of the identifier-like words (two or more characters) of ``text`` found in ``dictionary``;
    nan when ``text`` has none."""
    words = _WORD.findall(text)
    return float(np.mean([w in dictionary for w in words])) if words else math.nan


def temperature_sweep(model, vocab, train_text: str, temperatures, n: int = 400, prime: str = "def ",
                      seed: int = 0) -> list[dict]:
    """:func:`generate` at each temperature (same prime and seed), each with ``words_known`` (the fraction of
    its words that occur in ``train_text``) and ``distinct_4grams`` (distinct over all 4-grams of the sample)."""
    from ..numpy.sampling import distinct_ngram_fraction

    dictionary = set(_WORD.findall(train_text))
    rows = []
    for t in temperatures:
        g = generate(model, vocab, prime, n, t, seed)
        sample = g["text"][len(prime):]
        rows.append(dict(g, temperature=float(t), words_known=word_fraction(sample, dictionary),
                         distinct_4grams=distinct_ngram_fraction(sample, 4)))
    return rows


def run_charlm(scale: str = "small", seed: int = 0, device=None, keep_model: bool = False, **overrides) -> dict:
    """Train the character LSTM; returns the bpc curve, the bigram bpc, the n-gram bpc
    (``ngram_bpc``, order -> bpc, Witten-Bell) and a sample. With ``keep_model`` the result also holds
    ``model`` (the trained ``_CharLSTM``), ``vocab`` and ``train_text`` (not JSON: for the page's own use)."""
    dev = setup(scale, seed, device)
    cfg = dict(CHARLM_CONFIGS[scale], **overrides)
    train = load_stdlib_text("train", cfg["train_chars"])
    val = load_stdlib_text("val", cfg["val_chars"])
    vocab = CharVocab.from_text(train, min_count=2)
    tr, va = vocab.encode(train), vocab.encode(val)
    V = len(vocab)
    model = _CharLSTM(V, cfg["emb"], cfg["hidden"], cfg["layers"]).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    rng = np.random.default_rng(seed)
    T, N = cfg["seq_len"], cfg["batch"]
    res = {"steps": [], "val_bpc": [], "train_bpc": []}
    for step in range(1, cfg["steps"] + 1):
        starts = rng.integers(0, len(tr) - T - 1, size=N)
        win = tr[starts[:, None] + np.arange(T + 1)]  # (N, T + 1)
        x = torch.tensor(win[:, :-1], device=dev)
        y = torch.tensor(win[:, 1:], device=dev)
        logits, _ = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if step % cfg["eval_every"] == 0 or step == cfg["steps"]:
            res["steps"].append(step)
            res["train_bpc"].append(loss.item() / math.log(2))
            res["val_bpc"].append(_val_bpc(model, va, T, dev))
    res.update(
        config=dict(cfg, seed=seed, device=str(dev), vocab_size=V,
                    variant=VARIANT["lstm"].replace("one layer", f"{cfg['layers']} layer(s)") + f", {cfg['hidden']} units"),
        bigram_bpc=bigram_bpc(tr, va, V),
        ngram_bpc={n: ngram_bpc(tr, va, V, n) for n in NGRAM_ORDERS},
        unigram_bpc=float(-np.mean(np.log2((np.bincount(tr, minlength=V) + 0.5)[va] / (len(tr) + 0.5 * V)))),
        final_val_bpc=res["val_bpc"][-1],
        sample=_sample(model, vocab, "def ", cfg["sample_chars"], dev, seed=seed),
    )
    if keep_model:
        res.update(model=model.eval(), vocab=vocab, train_text=train)
    return res


def plot_charlm(result: dict, ax=None):
    """Validation bpc against steps, with the bigram (and unigram) baselines."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    ax.plot(result["steps"], result["val_bpc"], "o-", label="LSTM (validation)")
    ax.axhline(result["bigram_bpc"], ls="--", c="C1", label="bigram")
    ax.axhline(result["unigram_bpc"], ls=":", c="gray", label="unigram")
    ax.set_xlabel("training step (Adam)")
    ax.set_ylabel("validation bits per character")
    ax.legend()
    return ax
