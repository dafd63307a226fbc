"""Reproduction: the temporal-order problem, gradient clipping and the regulariser Omega (Pascanu et al. 2013).

Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent neural networks",
train a tanh RNN (50 hidden units) with SGD on :func:`rnnbook.data.temporal_order` and compare
plain SGD, SGD with the gradient's norm clipped, and clipped SGD with their regulariser Omega
against vanishing gradients; success is < 1 % test error (their Figure 7). Here:
``torch.nn.RNN`` (tanh), cross-entropy on the class read at the last step, and one run per
``settings`` entry ``(clip, alpha)``: the gradient norm clipped at ``clip`` (``None``: never),
and ``alpha`` times Omega added to the loss (0: no regulariser). We record the loss, the gradient
norm before clipping, Omega and the test accuracy, and stop once the test accuracy reaches 99 %.

Omega, with g_t = dE/dh_t and the recurrence h_t = tanh(W_ih x_t + W_hh h_{t-1} + b):

    Omega = mean over n and t of ( ||g_t diag(1 - h_t^2) W_hh||^2 / ||g_t||^2 - 1 )^2

asks every step back in time to keep the norm of the error signal, so that it neither vanishes
nor explodes. g_t and h_t are held constant: Omega's gradient reaches W_hh alone. As in the
authors' released code the ratio is of squared norms.

Two recipes, set by ``init``:
- ``"orthogonal"`` (the build-time run): W_hh orthogonal times ``rho`` = 1.1, so that gradients
  explode, SGD with momentum; clipping is what makes the difference.
- ``"sparse"`` (the full-scale run, the authors' "smart tanh" set-up): W_hh with 15 non-zero
  N(0, 0.01) entries a row, scaled to spectral radius ``rho`` = 0.95, input and output weights
  N(0, 0.01), zero biases, plain SGD at 0.01 on batches of 20.

Shape letters: N batch, L time, H hidden, C = 4 classes.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch

from .._validate import check_choice
from ..data.synthetic import temporal_order
from ._common import VARIANT, make_rnn, setup

__all__ = ["TEMPORAL_CONFIGS", "PAPER_TEMPORAL", "omega", "run_temporal_order", "plot_temporal_order", "setting_name"]

TEMPORAL_CONFIGS = {
    "small": dict(L=(30,), hidden=64, init="orthogonal", rho=1.1, batch=32, lr=0.05, momentum=0.9,
                  settings=((None, 0.0), (1.0, 0.0)), steps=500, eval_every=50, n_test=1000),
    "full": dict(L=(100, 200), hidden=50, init="sparse", rho=0.95, batch=20, lr=0.01, momentum=0.0,
                 settings=((None, 0.0), (1.0, 0.0), (1.0, 2.0)), steps=50000, eval_every=1000, n_test=2000),
}
# Pascanu et al. (2013), Figure 7 (temporal order, tanh RNN, success = test error < 1 %), in words: the
# figure's exact rates were not re-checked when this was written, so no number is quoted from it.
PAPER_TEMPORAL = [
    {"L": "50 to 200", "method": "SGD", "success": "success rate falls with length"},
    {"L": "50 to 200", "method": "SGD + clipping", "success": "higher success rate than plain SGD"},
    {"L": "up to 200", "method": "SGD + clipping + Omega", "success": "solved at every length shown"},
]
SOLVED_ACCURACY = 0.99
log = logging.getLogger(__name__)


def setting_name(clip, alpha) -> str:
    """'SGD', 'SGD + clipping at 1' or 'SGD + clipping at 1 + 2 Omega'."""
    name = "SGD" + ("" if clip is None else f" + clipping at {clip:g}")
    return name + (f" + {alpha:g} Omega" if alpha else "")


def omega(states: torch.Tensor, w_hh: torch.Tensor, g_last: torch.Tensor) -> torch.Tensor:
    """Pascanu et al.'s regulariser for a tanh RNN, differentiable in ``w_hh`` only.

    states (N, L, H): h_1 .. h_L; w_hh (H, H): torch.nn.RNN's weight_hh_l0; g_last (N, H): dE/dh_L,
    the only step the loss reads. Runs the backward recursion g_{t-1} = (g_t * (1 - h_t^2)) W_hh on
    detached copies, each g_t scaled to unit norm (the ratios do not change with g_t's scale, and
    long products underflow). Returns a scalar.
    """
    h, W = states.detach(), w_hh.detach()
    g = g_last.detach()
    a = []  # a_t = g_t * (1 - h_t^2) for t = L .. 2, with ||g_t|| = 1
    for t in range(h.shape[1] - 1, 0, -1):
        g = g / g.norm(dim=1, keepdim=True).clamp_min(1e-30)  # (N, H)
        a.append(g * (1.0 - h[:, t] ** 2))
        g = a[-1] @ W  # g_{t-1}
    if not a:
        return w_hh.sum() * 0.0
    ratio = ((torch.stack(a, 1) @ w_hh) ** 2).sum(-1)  # (N, L-1): ||g_{t-1}||^2 / ||g_t||^2
    return ((ratio - 1.0) ** 2).mean()


class _Net(torch.nn.Module):
    def __init__(self, hidden, init, rho):
        super().__init__()
        check_choice("init", init, ("orthogonal", "sparse"))
        self.rnn = make_rnn("rnn", 6, hidden)
        self.head = torch.nn.Linear(hidden, 4)
        with torch.no_grad():
            W = self.rnn.weight_hh_l0  # (H, H)
            if init == "orthogonal":  # spectral radius rho exactly
                torch.nn.init.orthogonal_(W)
                W.mul_(rho)
            else:  # 15 non-zero N(0, 0.01) weights a row, spectral radius rho
                W.normal_(0.0, 0.01)
                keep = torch.zeros_like(W, dtype=torch.bool)
                for row in keep:
                    row[torch.randperm(hidden)[: min(15, hidden)]] = True
                W.mul_(keep)
                W.mul_(rho / torch.linalg.eigvals(W).abs().max())
                self.rnn.weight_ih_l0.normal_(0.0, 0.01)
                self.head.weight.normal_(0.0, 0.01)
                for b in (self.rnn.bias_ih_l0, self.rnn.bias_hh_l0, self.head.bias):
                    b.zero_()

    def forward(self, x):
        out, _ = self.rnn(x)  # (N, L, H)
        return self.head(out[:, -1]), out  # (N, C) logits, (N, L, H) states


def _train_one(cfg, L, clip, alpha, seed, dev, xt, yt):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = _Net(cfg["hidden"], cfg["init"], cfg["rho"]).to(dev)
    opt = torch.optim.SGD(net.parameters(), lr=cfg["lr"], momentum=cfg["momentum"])
    r = {"L": L, "clip": clip, "alpha": alpha, "method": setting_name(clip, alpha), "steps": [], "loss": [],
         "omega": [], "grad_norm": [], "test_accuracy": [], "diverged": False, "steps_until_solved": None}
    for step in range(1, cfg["steps"] + 1):
        x, y = temporal_order(cfg["batch"], L, seed=rng)
        logits, states = net(torch.tensor(x, dtype=torch.float32, device=dev))
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y, device=dev))
        total, om = loss, None
        if alpha:
            (g,) = torch.autograd.grad(loss, states, retain_graph=True)  # (N, L, H), non-zero at t = L only
            om = omega(states, net.rnn.weight_hh_l0, g[:, -1])
            total = loss + alpha * om
        opt.zero_grad()
        total.backward()
        gn = float(torch.nn.utils.clip_grad_norm_(net.parameters(), clip if clip else math.inf))
        if not (math.isfinite(total.item()) and math.isfinite(gn)):
            r["diverged"] = True
            break
        opt.step()
        r["grad_norm"].append(gn)
        if step % cfg["eval_every"] == 0:
            with torch.no_grad():
                acc = float((net(xt)[0].argmax(1) == yt).float().mean())
            r["steps"].append(step)
            r["loss"].append(loss.item())
            r["omega"].append(None if om is None else om.item())
            r["test_accuracy"].append(acc)
            log.info("L = %d, %s, step %d: test accuracy %.3f, gradient norm %.2f", L, r["method"], step, acc, gn)
            if acc >= SOLVED_ACCURACY:
                r["steps_until_solved"] = step
                break
    r["final_test_accuracy"] = r["test_accuracy"][-1] if r["test_accuracy"] else 0.25
    r["max_grad_norm"] = max(r["grad_norm"]) if r["grad_norm"] else math.inf
    r["grad_norm"] = r["grad_norm"][:: max(1, len(r["grad_norm"]) // 200)]  # keep the table small
    return r


def run_temporal_order(scale: str = "small", seed: int = 0, device=None, **overrides) -> dict:
    """Train at each length once per ``(clip, alpha)`` setting; returns curves and final accuracies.

    Result: ``config`` and ``runs``: a list of dicts with ``L``, ``clip``, ``alpha``, ``method``,
    ``steps``, ``loss``, ``omega``, ``grad_norm`` (before clipping), ``test_accuracy`` (curves),
    ``final_test_accuracy``, ``steps_until_solved`` (None if never), ``max_grad_norm``, ``diverged``.
    """
    dev = setup(scale, seed, device)
    cfg = dict(TEMPORAL_CONFIGS[scale], **overrides)
    runs = []
    for L in cfg["L"]:
        xt, yt = temporal_order(cfg["n_test"], L, seed=10_000 + seed)
        xt = torch.tensor(xt, dtype=torch.float32, device=dev)
        yt = torch.tensor(yt, device=dev)
        for clip, alpha in cfg["settings"]:
            runs.append(_train_one(cfg, L, clip, alpha, seed, dev, xt, yt))
    optim = "SGD" + (f" with momentum {cfg['momentum']:g}" if cfg["momentum"] else "")
    variant = f"{VARIANT['rnn']}, {cfg['hidden']} units, {cfg['init']} W_hh at spectral radius {cfg['rho']:g}, {optim}"
    return {"config": dict(cfg, seed=seed, device=str(dev), variant=variant), "runs": runs}


def plot_temporal_order(result: dict, axes=None):
    """Left: test accuracy against steps; right: the norm of the gradient of the training objective (the loss, plus
    alpha Omega where used) before clipping, both against the SGD step."""
    import matplotlib.pyplot as plt

    if axes is None:
        axes = plt.subplots(1, 2, figsize=(10, 3.5))[1]
    for r in result["runs"]:
        lab = f"L = {r['L']}, {r['method']}"
        axes[0].plot(r["steps"], r["test_accuracy"], label=lab)
        last = r["steps"][-1] if r["steps"] else len(r["grad_norm"])  # the norms are kept at an even stride
        axes[1].semilogy(np.linspace(1, last, len(r["grad_norm"])), r["grad_norm"], label=lab)
    axes[0].axhline(0.25, ls="--", c="gray", label="chance")
    axes[0].set_xlabel("SGD step")
    axes[0].set_ylabel("test accuracy")
    axes[1].set_xlabel("SGD step")
    axes[1].set_ylabel("|grad (loss + alpha Omega)|, unclipped")
    axes[0].legend(fontsize=8)
    axes[0].figure.tight_layout()
    return axes
