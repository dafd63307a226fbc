"""Time series bundled with statsmodels: yearly sunspot numbers (1700-2008) and weekly Mauna Loa CO2.

Shape letters: T time steps, N windows, P lag (window length).
"""

from __future__ import annotations

import numpy as np

from ._require import require

__all__ = ["load_sunspots", "load_co2", "make_windows", "split_series"]


def load_sunspots() -> tuple[np.ndarray, np.ndarray]:
    """(years int64 (T,), yearly mean sunspot number float64 (T,)); T = 309, from 1700 to 2008."""
    sm = require("statsmodels.datasets", "statsmodels", "load_sunspots")
    df = sm.sunspots.load_pandas().data
    return df["YEAR"].to_numpy().astype(np.int64), df["SUNACTIVITY"].to_numpy(dtype=np.float64)


def load_co2(fill: str = "interpolate") -> tuple[np.ndarray, np.ndarray]:
    """(dates datetime64[D] (T,), CO2 in ppm float64 (T,)), weekly from 1958-03-29.

    The series has missing weeks (59 of 2284). ``fill='interpolate'`` fills them by linear
    interpolation in time (the ends are never missing); ``fill='drop'`` removes them.
    """
    if fill not in ("interpolate", "drop"):
        raise ValueError(f"fill: expected 'interpolate' or 'drop', got {fill!r}")
    sm = require("statsmodels.datasets", "statsmodels", "load_co2")
    df = sm.co2.load_pandas().data
    dates = df.index.to_numpy().astype("datetime64[D]")
    v = df["co2"].to_numpy(dtype=np.float64)
    ok = ~np.isnan(v)
    if fill == "drop":
        return dates[ok], v[ok]
    t = dates.astype(np.int64).astype(np.float64)
    return dates, np.interp(t, t[ok], v[ok])


def make_windows(series, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows: X (N, P) of the ``lag`` values before each target, y (N,); N = T - P."""
    s = np.asarray(series, dtype=np.float64)
    if s.ndim != 1:
        raise ValueError(f"series: expected 1 dimension (T,), got shape {s.shape}")
    if not 1 <= lag < len(s):
        raise ValueError(f"lag: expected 1 <= lag < T = {len(s)}, got {lag}")
    idx = np.arange(lag)[None, :] + np.arange(len(s) - lag)[:, None]  # (N, P)
    return s[idx], s[lag:]


def split_series(series, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """The series cut in two at ``T - n_test``: (train (T - n_test,), test (n_test,))."""
    s = np.asarray(series)
    if not 0 < n_test < len(s):
        raise ValueError(f"n_test: expected 0 < n_test < T = {len(s)}, got {n_test}")
    return s[:-n_test], s[-n_test:]
