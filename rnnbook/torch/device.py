"""The one helper that picks a device. Everything else takes device and dtype from the data.

``default_device()`` is CUDA when ``torch.cuda.is_available()``, else the CPU. The environment variable
``RNNBOOK_DEVICE`` (``"cpu"``, ``"cuda"``, ``"cuda:1"``, …) forces one; asking for CUDA on a machine
without it raises a ``ValueError`` rather than falling back silently.
"""

from __future__ import annotations

import os

import torch

__all__ = ["default_device", "to_device"]

ENV_VAR = "RNNBOOK_DEVICE"


def default_device() -> torch.device:
    """CUDA if available (or whatever ``RNNBOOK_DEVICE`` names), else the CPU."""
    name = os.environ.get(ENV_VAR, "").strip()
    if name:
        try:
            device = torch.device(name)
        except RuntimeError as exc:
            raise ValueError(f"{ENV_VAR}: expected a torch device such as 'cpu' or 'cuda:0', got {name!r}") from exc
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"{ENV_VAR}: expected a device this machine has ('cpu'), got {name!r} "
                             "but torch.cuda.is_available() is False")
        return device
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def to_device(*tensors, device: torch.device | str | None = None):
    """Move tensors (``None`` passes through) to ``device`` (default: :func:`default_device`).

    One tensor in, one tensor out; several in, a tuple out.
    """
    device = default_device() if device is None else torch.device(device)
    moved = tuple(None if t is None else t.to(device) for t in tensors)
    return moved[0] if len(moved) == 1 else moved
