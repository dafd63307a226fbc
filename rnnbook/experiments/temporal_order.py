"""Reproduction: the temporal-order problem with and without gradient clipping (Pascanu et al. 2013).

Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks",
train a tanh RNN (50 hidden units) with SGD on :func:`rnnbook.data.temporal_order`, with and
without clipping the gradient's norm, and report the fraction of runs that reach < 1 % test error
for lengths up to 200. Here: ``torch.nn.RNN`` (tanh), 64 hidden units by default, plain SGD with
momentum, cross-entropy on the class read at the last step, the gradient norm clipped to
``clip`` (``None`` = no clipping). We record the loss, the gradient norm before clipping and the
test accuracy.

Shape letters: N batch, L time, H hidden, C = 4 classes.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..data.synthetic import temporal_order
from ._common import VARIANT, make_rnn, setup

__all__ = ["TEMPORAL_CONFIGS", "PAPER_TEMPORAL", "run_temporal_order", "plot_temporal_order"]

TEMPORAL_CONFIGS = {
    "small": dict(L=(30,), hidden=64, rho=1.1, batch=32, lr=0.05, momentum=0.9, clip=(None, 1.0), steps=500, eval_every=50, n_test=1000),
    "full": dict(L=(100, 200), hidden=64, rho=1.1, batch=32, lr=0.05, momentum=0.9, clip=(None, 1.0), steps=8000, eval_every=200, n_test=2000),
}
# Pascanu et al. (2013), Figure 7 (temporal order, tanh RNN, success = test error < 1 %):
# plain SGD fails beyond short lengths; SGD with clipping (and their regulariser) succeeds up to L = 200.
PAPER_TEMPORAL = [
    {"L": 100, "method": "SGD", "success": "rarely"},
    {"L": 100, "method": "SGD + clipping", "success": "mostly"},
    {"L": 200, "method": "SGD + clipping + regulariser", "success": "mostly"},
]


class _Net(torch.nn.Module):
    def __init__(self, hidden, rho):
        super().__init__()
        self.rnn = make_rnn("rnn", 6, hidden)
        self.head = torch.nn.Linear(hidden, 4)
        with torch.no_grad():  # W_hh orthogonal times rho: spectral radius rho, as in Pascanu et al.'s setup
            torch.nn.init.orthogonal_(self.rnn.weight_hh_l0)
            self.rnn.weight_hh_l0.mul_(rho)

    def forward(self, x):
        out, _ = self.rnn(x)  # (N, L, H)
        return self.head(out[:, -1])  # (N, C)


def run_temporal_order(scale: str = "small", seed: int = 0, device=None, **overrides) -> dict:
    """Train at each length with and without clipping; returns curves and final accuracies.

    Result: ``config`` and ``runs``: a list of dicts with ``L``, ``clip``, ``steps``, ``loss``,
    ``grad_norm`` (before clipping), ``test_accuracy`` (curves), ``final_test_accuracy``,
    ``max_grad_norm``, ``diverged`` (a non-finite loss was met).
    """
    dev = setup(scale, seed, device)
    cfg = dict(TEMPORAL_CONFIGS[scale], **overrides)
    runs = []
    for L in cfg["L"]:
        xt, yt = temporal_order(cfg["n_test"], L, seed=10_000 + seed)
        xt = torch.tensor(xt, dtype=torch.float32, device=dev)
        yt = torch.tensor(yt, device=dev)
        for clip in cfg["clip"]:
            torch.manual_seed(seed)
            rng = np.random.default_rng(seed)
            net = _Net(cfg["hidden"], cfg["rho"]).to(dev)
            opt = torch.optim.SGD(net.parameters(), lr=cfg["lr"], momentum=cfg["momentum"])
            r = {"L": L, "clip": clip, "steps": [], "loss": [], "grad_norm": [], "test_accuracy": [], "diverged": False}
            for step in range(1, cfg["steps"] + 1):
                x, y = temporal_order(cfg["batch"], L, seed=rng)
                loss = torch.nn.functional.cross_entropy(
                    net(torch.tensor(x, dtype=torch.float32, device=dev)), torch.tensor(y, device=dev))
                opt.zero_grad()
                loss.backward()
                gn = float(torch.nn.utils.clip_grad_norm_(net.parameters(), clip if clip else math.inf))
                if not (math.isfinite(loss.item()) and math.isfinite(gn)):
                    r["diverged"] = True
                    break
                opt.step()
                r["grad_norm"].append(gn)
                if step % cfg["eval_every"] == 0:
                    with torch.no_grad():
                        acc = float((net(xt).argmax(1) == yt).float().mean())
                    r["steps"].append(step)
                    r["loss"].append(loss.item())
                    r["test_accuracy"].append(acc)
            r["final_test_accuracy"] = r["test_accuracy"][-1] if r["test_accuracy"] else 0.25
            r["max_grad_norm"] = max(r["grad_norm"]) if r["grad_norm"] else math.inf
            r["grad_norm"] = r["grad_norm"][:: max(1, len(r["grad_norm"]) // 200)]  # keep the table small
            runs.append(r)
    return {"config": dict(cfg, seed=seed, device=str(dev), variant=VARIANT["rnn"] + ", SGD with momentum"), "runs": runs}


def plot_temporal_order(result: dict, axes=None):
    """Left: test accuracy against steps; right: gradient norm (before clipping)."""
    import matplotlib.pyplot as plt

    if axes is None:
        axes = plt.subplots(1, 2, figsize=(10, 3.5))[1]
    for r in result["runs"]:
        lab = f"L = {r['L']}, " + ("no clipping" if r["clip"] is None else f"clip at {r['clip']:g}")
        axes[0].plot(r["steps"], r["test_accuracy"], label=lab)
        axes[1].semilogy(r["grad_norm"], label=lab)
    axes[0].axhline(0.25, ls="--", c="gray", label="chance")
    axes[0].set_xlabel("SGD step")
    axes[0].set_ylabel("test accuracy")
    axes[1].set_xlabel("SGD step (subsampled)")
    axes[1].set_ylabel("gradient norm")
    axes[0].legend(fontsize=8)
    return axes
