"""Chapter 7's regularisers measured: variational dropout (Gal & Ghahramani 2016) and weight tying (Press & Wolf
2017; Inan et al. 2017) on the chapter's character LSTM; writes results/charlm_regularization.json.

Usage:  python scripts/charlm_regularization.py [--scale full|small] [--seeds 0 1] [--set KEY=VALUE ...]

Four variants of ``rnnbook.experiments.charlm._CharLSTMReg`` train at equal settings (the same text, embedding
size = hidden size, steps, batch, learning rate, windows and seed; only the regulariser differs):
no regulariser, variational dropout (one mask per sequence on the embedded inputs, on the recurrent state and on
the states the read-out sees, each with probability ``p``), weight tying, and both. All four run through the
same Python loop over steps (``rnnbook.torch.dropout.VariationalLSTM``), so the baseline is not favoured by
cuDNN-style fusion. Scores: bits per character (and perplexity per character, 2^bpc) on the held-out files and
on the first ``val_chars`` characters of the training text, in evaluation mode (no masks), on non-overlapping
windows of ``seq_len``. One thread; the table records the command, the machine, the date and the seeds.
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch

from rnnbook.data.text import CharVocab, load_stdlib_text
from rnnbook.experiments._common import table_script
from rnnbook.experiments.charlm import _CharLSTMReg, _val_bpc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIGS = {
    # a smoke test (seconds)
    "small": dict(train_chars=50_000, val_chars=10_000, hidden=32, seq_len=32, batch=16, steps=40, lr=3e-3, p=0.2,
                  eval_every=20),
    # about 8 CPU minutes for two seeds on one thread (the committed run: 489 CPU s of training): 200k training characters seen
    # about 12 times, so that the unregularised model has room to overfit
    "full": dict(train_chars=200_000, val_chars=30_000, hidden=128, seq_len=64, batch=32, steps=1200, lr=3e-3,
                 p=0.2, eval_every=300),
}
VARIANTS = {"baseline": dict(), "dropout": dict(dropout=True), "tied": dict(tie=True),
            "dropout+tied": dict(dropout=True, tie=True)}


def train_variant(cfg: dict, tr: np.ndarray, va: np.ndarray, V: int, seed: int, dropout=False, tie=False) -> dict:
    torch.manual_seed(seed)
    p = cfg["p"] if dropout else 0.0
    H = cfg["hidden"]
    model = _CharLSTMReg(V, H, H, p_input=p, p_hidden=p, p_output=p, tie=tie)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    rng = np.random.default_rng(seed)
    T, N = cfg["seq_len"], cfg["batch"]
    tr_eval = tr[: cfg["val_chars"]]
    res = {"n_params": sum(q.numel() for q in model.parameters()), "steps": [], "val_bpc": [], "train_bpc": []}
    t0 = time.process_time()
    for step in range(1, cfg["steps"] + 1):
        model.train()
        starts = rng.integers(0, len(tr) - T - 1, size=N)
        win = tr[starts[:, None] + np.arange(T + 1)]  # (N, T + 1)
        x, y = torch.tensor(win[:, :-1]), torch.tensor(win[:, 1:])
        logits, _ = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if step % cfg["eval_every"] == 0 or step == cfg["steps"]:
            model.eval()
            res["steps"].append(step)
            res["val_bpc"].append(_val_bpc(model, va, T, "cpu"))
            res["train_bpc"].append(_val_bpc(model, tr_eval, T, "cpu"))
    res.update(final_val_bpc=res["val_bpc"][-1], final_train_bpc=res["train_bpc"][-1],
               best_val_bpc=min(res["val_bpc"]), perplexity=2.0 ** res["val_bpc"][-1],
               cpu_seconds=round(time.process_time() - t0, 1))
    return res


def run(cfg: dict, seed: int) -> dict:
    train = load_stdlib_text("train", cfg["train_chars"])
    val = load_stdlib_text("val", cfg["val_chars"])
    vocab = CharVocab.from_text(train, min_count=2)
    tr, va = vocab.encode(train), vocab.encode(val)
    out = {"vocab_size": len(vocab)}
    for name, kw in VARIANTS.items():
        out[name] = train_variant(cfg, tr, va, len(vocab), seed, **kw)
        r = out[name]
        print(f"seed {seed}, {name}: {r['n_params']} parameters, val {r['final_val_bpc']:.3f} bpc "
              f"(train {r['final_train_bpc']:.3f}), {r['cpu_seconds']} CPU s", flush=True)
    return out


def main(argv=None) -> int:
    return table_script("charlm_regularization", __doc__, CONFIGS, run, os.path.join(ROOT, "results", "charlm_regularization.json"), argv,
                        script=__file__, root=ROOT,
                        extra=lambda cfg: {"variants": {k: dict(v, p=cfg["p"] if v.get("dropout") else 0.0)
                                                 for k, v in VARIANTS.items()}})


if __name__ == "__main__":
    raise SystemExit(main())
