"""Shared plumbing for the experiments: device, seeding, scale checks, machine description."""

from __future__ import annotations

import datetime
import platform

import numpy as np
import torch

from .._validate import check_choice

SCALES = ("small", "full")


def pick_device(device=None) -> torch.device:
    """``device`` if given, else ``rnnbook.torch.device.default_device()``, else CUDA when present."""
    if device is not None:
        return torch.device(device)
    try:
        from ..torch.device import default_device

        return torch.device(default_device())
    except ImportError:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def setup(scale: str, seed: int, device=None) -> torch.device:
    """Check ``scale``, seed torch and pick the device."""
    check_choice("scale", scale, SCALES)
    torch.manual_seed(seed)
    return pick_device(device)


def machine() -> dict:
    """Platform, CPU/GPU name, torch version and the UTC date: what produced a result table."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "gpu": gpu,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int = 1) -> torch.nn.Module:
    """``torch.nn.RNN`` (tanh), ``LSTM`` or ``GRU`` with ``batch_first=True``."""
    check_choice("cell", cell, ("rnn", "lstm", "gru"))
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    return cls(input_size, hidden_size, num_layers=num_layers, batch_first=True)


VARIANT = {
    "rnn": "torch.nn.RNN (tanh, one layer)",
    "lstm": "torch.nn.LSTM (forget gate, no peepholes, one layer)",
    "gru": "torch.nn.GRU (one layer)",
}
