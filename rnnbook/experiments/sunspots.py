"""Reproduction: yearly sunspot forecasting against seasonal-naive and linear autoregressive baselines.

One-step-ahead forecasts of the yearly sunspot number (statsmodels' series, 1700-2008). The last
``n_test`` years are held out. Baselines: seasonal naive (the value one solar cycle, 11 years,
earlier), naive (last year's value) and a linear AR(p) model fitted by least squares on all the
years before the test span. The recurrent model (``torch.nn.GRU``, one layer) reads the previous P
standardised values and predicts the next through a linear layer, trained with Adam (full batch,
MSE) on the years before a validation span of ``n_val`` years; every ``eval_every`` epochs it is
scored on that span, and the forecasts of its best epoch there are the ones we keep (early
stopping: without it, the GRU overfits the 250-odd training windows and loses to AR(9)). The score
is the mean absolute error on the held-out span, in sunspot units.

Shape letters: N windows, P lag, H hidden.
"""

from __future__ import annotations

import numpy as np
import torch

from ..data.timeseries import load_sunspots, make_windows
from ._common import VARIANT, make_rnn, setup

__all__ = ["SUNSPOT_CONFIGS", "run_sunspots", "plot_sunspots"]

SUNSPOT_CONFIGS = {
    "small": dict(n_test=40, n_val=40, lag=12, ar_order=9, season=11, hidden=16, epochs=300, eval_every=10, lr=1e-2),
    "full": dict(n_test=40, n_val=40, lag=12, ar_order=9, season=11, hidden=16, epochs=1000, eval_every=10, lr=3e-3),
}


def run_sunspots(scale: str = "small", seed: int = 0, device=None, **overrides) -> dict:
    """Fit the baselines and the GRU; returns test MAEs, the held-out years and every forecast.

    ``mae`` holds the early-stopped GRU's; ``mae_gru_last_epoch`` is the same GRU's test MAE after its last
    epoch, as if it had been trained for a fixed number of epochs with no validation span to stop on.
    """
    dev = setup(scale, seed, device)
    cfg = dict(SUNSPOT_CONFIGS[scale], **overrides)
    if not 1 <= cfg["ar_order"] <= cfg["lag"]:
        raise ValueError(f"ar_order: expected 1 <= ar_order <= lag = {cfg['lag']}, got {cfg['ar_order']}")
    if not 1 <= cfg["eval_every"] <= cfg["epochs"]:
        raise ValueError(f"eval_every: expected 1 <= eval_every <= epochs = {cfg['epochs']}, got {cfg['eval_every']}")
    years, s = load_sunspots()
    n, P, k = len(s), cfg["lag"], cfg["n_test"]
    test_idx = np.arange(n - k, n)
    mu, sd = s[: n - k].mean(), s[: n - k].std()
    z = (s - mu) / sd
    X, y = make_windows(z, P)  # (N, P), (N,): window i predicts z[i + P]
    tr = np.arange(len(y)) + P < n - k
    te = ~tr
    # AR(p) by least squares on the training windows
    p = cfg["ar_order"]
    A = np.hstack([X[tr][:, -p:], np.ones((tr.sum(), 1))])
    coef, *_ = np.linalg.lstsq(A, y[tr], rcond=None)
    ar = np.hstack([X[te][:, -p:], np.ones((te.sum(), 1))]) @ coef * sd + mu
    va = tr & (np.arange(len(y)) + P >= n - k - cfg["n_val"])  # the validation span, inside the training years
    fit = tr & ~va
    torch.manual_seed(seed)
    rnn = make_rnn("gru", 1, cfg["hidden"]).to(dev)
    head = torch.nn.Linear(cfg["hidden"], 1).to(dev)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=cfg["lr"])

    def forecast(rows):  # (N,) standardised one-step forecasts for the windows in ``rows``
        out, _ = rnn(torch.tensor(X[rows, :, None], dtype=torch.float32, device=dev))  # (N, P, H)
        return head(out[:, -1]).squeeze(1)

    yfit = torch.tensor(y[fit], dtype=torch.float32, device=dev)
    losses, val_mae, best = [], [], (np.inf, 0, None)
    for epoch in range(1, cfg["epochs"] + 1):
        loss = torch.mean((forecast(fit) - yfit) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if epoch % cfg["eval_every"] == 0:
            with torch.no_grad():
                v = float(np.mean(np.abs(forecast(va).cpu().numpy() - y[va]))) * sd
                val_mae.append(v)
                if v < best[0]:
                    best = (v, epoch, forecast(te).cpu().numpy().astype(np.float64) * sd + mu)
    gru = best[2]
    truth = s[test_idx]
    with torch.no_grad():  # the same GRU without early stopping: its forecasts after the last epoch
        last = forecast(te).cpu().numpy().astype(np.float64) * sd + mu
    fc = {"seasonal_naive": s[test_idx - cfg["season"]], "naive": s[test_idx - 1], "ar": ar, "gru": gru}
    mae = {m: float(np.mean(np.abs(f - truth))) for m, f in fc.items()}
    return {
        "config": dict(cfg, seed=seed, device=str(dev), variant=VARIANT["gru"] + f", {cfg['hidden']} units, reads the previous {P} years"),
        "mae": mae,
        "mae_gru_last_epoch": float(np.mean(np.abs(last - truth))),
        "best_epoch": best[1],
        "val_mae": val_mae,
        "test_years": years[test_idx].tolist(),
        "truth": truth.tolist(),
        "forecasts": {m: np.asarray(f, dtype=float).tolist() for m, f in fc.items()},
        "train_loss": losses[:: max(1, len(losses) // 100)],
    }


def plot_sunspots(result: dict, ax=None):
    """The held-out span with each model's one-step forecasts."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(8, 3.5))[1]
    yrs = result["test_years"]
    ax.plot(yrs, result["truth"], "k-", lw=2, label="observed")
    for m, f in result["forecasts"].items():
        ax.plot(yrs, f, label=f"{m} (MAE {result['mae'][m]:.1f})")
    ax.set_xlabel("year")
    ax.set_ylabel("sunspot number")
    ax.legend(fontsize=8)
    return ax
