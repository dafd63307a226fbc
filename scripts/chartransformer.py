"""Chapter 9's comparison at full scale: a character transformer against chapter 7's character LSTM on the
standard library's source, at (nearly) equal parameter count and equal CPU time; writes results/chartransformer.json.

Usage:  python scripts/chartransformer.py [--scale full|small] [--seeds 0 1] [--set KEY=VALUE ...]

Both models train on one CPU thread (torch.set_num_threads(1)) for the same budget of process CPU seconds
(``rnnbook.torch.train_char_model``; evaluations are not counted), with Adam on random windows of
``seq_len`` characters, and are scored in bits per character on the held-out files, on non-overlapping
windows of ``seq_len`` (no state carried between windows, for either). The LSTM is chapter 7's
(``rnnbook.experiments.charlm``: embedding, ``torch.nn.LSTM``, linear read-out); the transformer is
``rnnbook.torch.CharTransformer(fused=True)`` (pre-LN blocks as ``torch.nn.TransformerEncoderLayer``, so
each side uses torch's fused kernels). The table holds the command, the machine, the date and the seeds,
as scripts/reproduce.py's tables do.
"""

from __future__ import annotations

import os
import time

import torch

from rnnbook.data.text import CharVocab, load_stdlib_text
from rnnbook.experiments._common import table_script
from rnnbook.experiments.charlm import _CharLSTM
from rnnbook.torch import CharTransformer, count_parameters, train_char_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CONFIGS = {
    # the build-time run of chapters/09_transformers (about 100k parameters each, 12 CPU seconds each)
    "small": dict(train_chars=300_000, val_chars=30_000, seq_len=64, batch=32, cpu_seconds=12.0, evals=4,
                  lstm=dict(emb=32, hidden=128, lr=3e-3),
                  transformer=dict(d_model=64, nhead=4, num_layers=2, dim_feedforward=192, lr=3e-3, warmup=20)),
    # about 360k parameters each, 300 CPU seconds each
    "full": dict(train_chars=2_000_000, val_chars=200_000, seq_len=128, batch=32, cpu_seconds=300.0, evals=6,
                 lstm=dict(emb=64, hidden=256, lr=2e-3),
                 transformer=dict(d_model=128, nhead=4, num_layers=2, dim_feedforward=352, lr=2e-3, warmup=50)),
}


def build_models(cfg: dict, V: int) -> dict:
    """{"lstm": chapter 7's LSTM, "transformer": CharTransformer} for vocabulary size V, as ``cfg`` says."""
    L, Tr = cfg["lstm"], cfg["transformer"]
    return {"lstm": _CharLSTM(V, L["emb"], L["hidden"], 1),
            "transformer": CharTransformer(V, Tr["d_model"], Tr["nhead"], Tr["num_layers"], Tr["dim_feedforward"],
                                           block_size=cfg["seq_len"], fused=True)}


def run(cfg: dict, seed: int) -> dict:
    """Train both models of ``cfg`` with ``seed``; returns {"lstm": ..., "transformer": ...} of
    :func:`rnnbook.torch.train_char_model`'s results, plus the vocabulary size."""
    train = load_stdlib_text("train", cfg["train_chars"])
    val = load_stdlib_text("val", cfg["val_chars"])
    vocab = CharVocab.from_text(train, min_count=2)
    tr, va = vocab.encode(train), vocab.encode(val)
    torch.manual_seed(seed)
    models = build_models(cfg, len(vocab))
    out = {"vocab_size": len(vocab)}
    for name, model in models.items():
        hp = cfg[name]
        t0 = time.time()
        out[name] = train_char_model(model, tr, va, cpu_seconds=cfg["cpu_seconds"], seq_len=cfg["seq_len"],
                                     batch=cfg["batch"], lr=hp["lr"], warmup=hp.get("warmup", 0), seed=seed,
                                     evals=cfg["evals"])
        out[name]["wall_seconds"] = round(time.time() - t0, 1)
        print(f"seed {seed}, {name}: {count_parameters(model)} parameters, {out[name]['steps'][-1]} steps, "
              f"{out[name]['final_val_bpc']:.3f} bpc", flush=True)
    return out


def main(argv=None) -> int:
    return table_script("chartransformer", __doc__, CONFIGS, run, os.path.join(ROOT, "results", "chartransformer.json"), argv,
                        script=__file__, root=ROOT)


if __name__ == "__main__":
    raise SystemExit(main())
