"""Reproduction: the adding problem (Hochreiter & Schmidhuber 1997, Experiment 4).

A one-layer tanh RNN, LSTM and GRU (``torch.nn``) read the (value, marker) pairs of
:func:`rnnbook.data.adding_problem` and predict 0.5 + (X1 + X2)/4 from their output at the last
step through a linear layer. They train with Adam on fresh sequences (MSE) and are tested every
``eval_every`` steps on 2,560 fixed test sequences; a model is *solved* once at least 99 % of them
have absolute error below 0.04 (the paper's criterion). We count training sequences seen until
then, beside the paper's 74,000 (T = 100), 209,000 (T = 500) and 853,000 (T = 1000).

Shape letters: N batch, T time, H hidden.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data.synthetic import ADDING_TOLERANCE, adding_problem
from ._common import VARIANT, make_rnn, setup

__all__ = ["ADDING_CONFIGS", "PAPER_ADDING", "run_adding", "plot_adding"]

# The LSTM and the GRU use chrono initialisation of their gate biases (see _Net) unless ``chrono=False``;
# the page shows both (results/adding-nochrono.json is the full-scale run without it).
ADDING_CONFIGS = {
    "small": dict(T=50, hidden=32, batch=64, lr=1e-2, max_steps=1500, eval_every=50, n_test=2560, chrono=True),
    "full": dict(T=100, hidden=64, batch=64, lr=3e-3, max_steps=3000, eval_every=100, n_test=2560, chrono=True),
}
# Hochreiter & Schmidhuber (1997), Table 7: LSTM, 2,560 test sequences.
PAPER_ADDING = [
    {"T": 100, "wrong_of_2560": 1, "sequences_until_solved": 74000},
    {"T": 500, "wrong_of_2560": 0, "sequences_until_solved": 209000},
    {"T": 1000, "wrong_of_2560": 1, "sequences_until_solved": 853000},
]


class _Net(torch.nn.Module):
    def __init__(self, cell, hidden, T, chrono=True):
        super().__init__()
        self.rnn = make_rnn(cell, 2, hidden)
        self.head = torch.nn.Linear(hidden, 1)
        # chrono initialisation (Tallec & Ollivier 2018): the gate that keeps the state starts open
        # for a spread of time scales 1 .. T - 1, b = log U(1, T - 1). Without it: torch.nn's default
        # U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias.
        if chrono and cell in ("lstm", "gru"):
            with torch.no_grad():
                b = torch.log(torch.empty(hidden).uniform_(1.0, T - 1.0))  # (H,)
                if cell == "lstm":  # gates i, f, g, o: b_f = b, b_i = -b
                    self.rnn.bias_ih_l0[hidden : 2 * hidden] = b
                    self.rnn.bias_ih_l0[:hidden] = -b
                    self.rnn.bias_hh_l0[: 2 * hidden] = 0.0
                else:  # gates r, z, n with h' = (1 - z) * n + z * h: z keeps, b_z = b
                    self.rnn.bias_ih_l0[hidden : 2 * hidden] = b
                    self.rnn.bias_hh_l0[hidden : 2 * hidden] = 0.0

    def forward(self, x, lengths):
        out, _ = self.rnn(x)  # (N, T, H)
        last = out[torch.arange(len(x), device=x.device), lengths - 1]  # (N, H)
        return 0.5 + self.head(last).squeeze(1) / 4.0  # (N,) the head predicts X1 + X2


def run_adding(scale: str = "small", seed: int = 0, device=None, models=("rnn", "lstm", "gru"), **overrides) -> dict:
    """Train each model until solved or ``max_steps``; returns plain lists and floats.

    Result: ``config``, and per model ``steps``, ``test_mse``, ``frac_correct`` (curves),
    ``sequences_until_solved`` (None if never), ``final_test_mse``, ``final_frac_correct``, ``variant``.
    ``chrono=False`` (an override) keeps torch.nn's default initialisation for the LSTM and the GRU.
    """
    dev = setup(scale, seed, device)
    cfg = dict(ADDING_CONFIGS[scale], **overrides)
    T = cfg["T"]
    xt, yt, lt = adding_problem(cfg["n_test"], T, seed=10_000 + seed)
    xt = torch.tensor(xt, dtype=torch.float32, device=dev)
    yt = torch.tensor(yt, dtype=torch.float32, device=dev)
    lt = torch.tensor(lt, device=dev)
    out = {"config": dict(cfg, seed=seed, device=str(dev)), "chance_mse": float(yt.var(unbiased=False))}
    for m in models:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        net = _Net(m, cfg["hidden"], T, chrono=cfg.get("chrono", True)).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
        init = ", chrono-initialised gate biases" if cfg.get("chrono", True) and m != "rnn" else ", default init"
        res = {"variant": VARIANT[m] + init, "steps": [], "test_mse": [], "frac_correct": [], "sequences_until_solved": None}
        for step in range(1, cfg["max_steps"] + 1):
            x, y, ln = adding_problem(cfg["batch"], T, seed=rng)
            x = torch.tensor(x, dtype=torch.float32, device=dev)
            y = torch.tensor(y, dtype=torch.float32, device=dev)
            loss = torch.mean((4.0 * (net(x, torch.tensor(ln, device=dev)) - y)) ** 2)  # MSE on X1 + X2
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % cfg["eval_every"] == 0 or step == cfg["max_steps"]:
                with torch.no_grad():
                    err = net(xt, lt) - yt
                mse = float(torch.mean(err**2))
                ok = float(torch.mean((err.abs() < ADDING_TOLERANCE).float()))
                res["steps"].append(step)
                res["test_mse"].append(mse)
                res["frac_correct"].append(ok)
                if ok >= 0.99:
                    res["sequences_until_solved"] = step * cfg["batch"]
                    break
        res["final_test_mse"] = res["test_mse"][-1]
        res["final_frac_correct"] = res["frac_correct"][-1]
        out[m] = res
    return out


def plot_adding(result: dict, ax=None):
    """Test MSE against training sequences seen, one line per model, chance level dashed."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.5))[1]
    b = result["config"]["batch"]
    for m in ("rnn", "lstm", "gru"):
        if m in result:
            ax.semilogy(np.array(result[m]["steps"]) * b, result[m]["test_mse"], label=m.upper() if m != "rnn" else "tanh RNN")
    ax.axhline(result["chance_mse"], ls="--", c="gray", label="predict the mean")
    ax.set_xlabel("training sequences seen")
    ax.set_ylabel("test MSE")
    ax.set_title(f"Adding problem, T = {result['config']['T']}"
                 + ("" if result["config"].get("chrono", True) else ", no chrono initialisation"))
    ax.legend()
    return ax
