"""Reproduction: polyphonic music modelling on Bach chorales, tanh RNN vs LSTM vs GRU.

Chung, Gulcehre, Cho & Bengio (2014), "Empirical evaluation of gated recurrent neural networks on
sequence modeling", compare a tanh RNN, an LSTM and a GRU of about the same number of parameters
on polyphonic music (Boulanger-Lewandowski et al. 2012's JSB Chorales among them), scoring the
negative log-likelihood per time step of the next piano-roll frame. Here: the chorales of
music21's corpus (:func:`rnnbook.data.load_chorales`, a different encoding of the same music,
so the numbers are close in kind but not identical to theirs), ``torch.nn.RNN``/``LSTM``/``GRU``
(one layer) with hidden sizes chosen for about equal parameter counts, and a sigmoid read-out
giving 88 independent Bernoulli probabilities for the next frame. Adam, whole chorales per batch,
gradient norm clipped at 1. NLL is in nats per frame (summed over the 88 keys).

Shape letters: N chorales, T time steps, K = 88 keys, H hidden.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data.music import N_KEYS, load_chorales
from ._common import VARIANT, make_rnn, setup

__all__ = ["MUSIC_CONFIGS", "PAPER_MUSIC", "PAPER_MUSIC_NAMES", "run_music", "plot_music", "sample_chorale",
           "roll_stats"]

MUSIC_CONFIGS = {
    "small": dict(max_chorales=60, hidden={"rnn": 100, "lstm": 50, "gru": 58}, epochs=40, batch=8, lr=3e-3),
    "full": dict(max_chorales=None, hidden={"rnn": 100, "lstm": 50, "gru": 58}, epochs=120, batch=8, lr=3e-3),
}
# Chung et al. (2014), Table 2, JSB Chorales, test NLL per frame (the best of their runs for each unit, about
# 20,000 parameters each). One secondary source gives 9.19 for the tanh RNN; the paper's table says 9.10.
PAPER_MUSIC = {
    "rnn": {"test": 9.10, "source": "Chung et al. (2014), Table 2 (one secondary source gives 9.19)"},
    "gru": {"test": 8.54, "source": "Chung et al. (2014), Table 2"},
    "lstm": {"test": 8.67, "source": "Chung et al. (2014), Table 2"},
}
PAPER_MUSIC_NAMES = {"rnn": "tanh RNN (paper)", "lstm": "LSTM (paper)", "gru": "GRU (paper)"}


class _Net(torch.nn.Module):
    def __init__(self, cell, hidden):
        super().__init__()
        self.rnn = make_rnn(cell, N_KEYS, hidden)
        self.head = torch.nn.Linear(hidden, N_KEYS)

    def forward(self, x):
        out, _ = self.rnn(x)  # (N, T, H)
        return self.head(out)  # (N, T, K) logits of the next frame


def _pad(rolls, dev):
    T = max(len(r) for r in rolls)
    x = np.zeros((len(rolls), T, N_KEYS), dtype=np.float32)
    m = np.zeros((len(rolls), T), dtype=np.float32)
    for i, r in enumerate(rolls):
        x[i, : len(r)] = r
        m[i, : len(r) - 1] = 1.0  # frames that have a next frame
    return torch.tensor(x, device=dev), torch.tensor(m, device=dev)


def _nll(net, x, m):
    logits = net(x[:, :-1])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x[:, 1:], reduction="none").sum(-1)  # (N, T-1)
    return (bce * m[:, :-1]).sum(), m[:, :-1].sum()


def run_music(scale: str = "small", seed: int = 0, device=None, models=("rnn", "lstm", "gru"), keep_models: bool = False,
              **overrides) -> dict:
    """Train each model; returns train/valid/test NLL per frame (curves and at the best validation epoch).
    With ``keep_models`` each model's entry also holds ``model``, the trained network (after its last epoch)."""
    dev = setup(scale, seed, device)
    cfg = dict(MUSIC_CONFIGS[scale], **overrides)
    data = {s: [r for _, r in load_chorales(s, max_chorales=cfg["max_chorales"])] for s in ("train", "val", "test")}
    sets = {s: _pad(v, dev) for s, v in data.items()}
    out = {"config": dict(cfg, seed=seed, device=str(dev), n_chorales={s: len(v) for s, v in data.items()})}
    for cell in models:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        net = _Net(cell, cfg["hidden"][cell]).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
        res = {"variant": VARIANT[cell] + f", {cfg['hidden'][cell]} units", "n_params": sum(p.numel() for p in net.parameters()),
               "train": [], "val": [], "test": []}
        xtr = data["train"]
        for _ in range(cfg["epochs"]):
            order = rng.permutation(len(xtr))
            for i in range(0, len(order), cfg["batch"]):
                x, m = _pad([xtr[j] for j in order[i : i + cfg["batch"]]], dev)
                tot, cnt = _nll(net, x, m)
                opt.zero_grad()
                (tot / cnt).backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
            with torch.no_grad():
                for s in ("train", "val", "test"):
                    tot, cnt = _nll(net, *sets[s])
                    res[s].append(float(tot / cnt))
        best = int(np.argmin(res["val"]))
        res.update(best_epoch=best + 1, best={s: res[s][best] for s in ("train", "val", "test")})
        if keep_models:
            res["model"] = net.eval()
        out[cell] = res
    return out


def sample_chorale(net, prime: np.ndarray, steps: int, seed: int = 0) -> np.ndarray:
    """Continue the piano roll ``prime`` (T0, K) by ``steps`` frames drawn from the trained network ``net``.

    Each new frame is drawn from the model's own distribution: key k sounds with probability σ(logit_k), the 88
    keys independently (the same factorised Bernoulli the NLL scores), with ``np.random.default_rng(seed)``;
    the drawn frame is fed back as the next input (the generation side of teacher forcing). Returns the whole
    roll, prime included, as uint8 of shape (T0 + steps, K).
    """
    prime = np.asarray(prime)
    if prime.ndim != 2 or prime.shape[1] != N_KEYS or len(prime) < 1:
        raise ValueError(f"prime: expected a piano roll of shape (T0, {N_KEYS}) with T0 >= 1, got {prime.shape}")
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps: expected a non-negative integer, got {steps!r}")
    rng = np.random.default_rng(seed)
    dev = next(net.parameters()).device
    frames = [f for f in prime.astype(np.uint8)]
    with torch.no_grad():
        out, state = net.rnn(torch.tensor(prime[None], dtype=torch.float32, device=dev))  # (1, T0, H)
        for _ in range(int(steps)):
            p = torch.sigmoid(net.head(out[0, -1])).double().cpu().numpy()  # (K,)
            frame = (rng.random(N_KEYS) < p).astype(np.uint8)
            frames.append(frame)
            out, state = net.rnn(torch.tensor(frame[None, None], dtype=torch.float32, device=dev), state)
    return np.stack(frames)


def roll_stats(roll: np.ndarray) -> dict:
    """What a piano roll (T, K) holds: mean keys sounding a step, the fraction of steps with exactly four
    (one a voice), the fraction of silent steps, and the lowest and highest key that sounds (MIDI numbers)."""
    roll = np.asarray(roll)
    if roll.ndim != 2 or roll.shape[1] != N_KEYS or len(roll) == 0:
        raise ValueError(f"roll: expected shape (T, {N_KEYS}) with T >= 1, got {roll.shape}")
    n = (roll > 0).sum(1)  # (T,)
    keys = np.flatnonzero((roll > 0).any(0))
    return {"notes_per_step": float(n.mean()), "four_notes": float(np.mean(n == 4)), "silent": float(np.mean(n == 0)),
            "lowest_midi": int(keys.min()) + 21 if len(keys) else None,
            "highest_midi": int(keys.max()) + 21 if len(keys) else None}


def plot_music(result: dict, ax=None):
    """Validation NLL per frame against epochs for each model."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    for cell in ("rnn", "lstm", "gru"):
        if cell in result:
            ax.plot(np.arange(1, len(result[cell]["val"]) + 1), result[cell]["val"], label=("tanh RNN" if cell == "rnn" else cell.upper()))
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation NLL per frame (nats)")
    ax.legend()
    return ax
