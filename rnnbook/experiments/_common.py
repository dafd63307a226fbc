"""Shared plumbing for the experiments: device, seeding, scale checks, machine description."""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import platform
import shlex
import sys
import time

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


def table_script(experiment: str, doc: str, configs: dict, run, default_out: str, argv=None, *,
                 script: str, root: str, extra=None) -> int:
    """The ``main`` of a full-scale script that writes a committed table: ``--scale``, ``--seeds``, ``--set
    KEY=VALUE`` (a known config key, a Python literal, recorded), ``--out``; ``run(cfg, seed)`` per seed on one
    torch thread; the table holds the command, machine, date, seeds, config, ``extra(cfg)`` and the results."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--scale", default="full", choices=list(configs))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1], metavar="SEED")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override one top-level config entry (a Python literal), recorded in the table")
    ap.add_argument("--out", default=default_out)
    args = ap.parse_args(argv)
    overrides = {k: ast.literal_eval(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    unknown = set(overrides) - set(configs[args.scale])
    if unknown:
        ap.error(f"--set: unknown keys {sorted(unknown)}; expected some of {sorted(configs[args.scale])}")
    cfg = dict(configs[args.scale], **overrides)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    t0 = time.time()
    try:
        results = [run(cfg, seed) for seed in args.seeds]
    finally:
        torch.set_num_threads(threads)
    table = {
        "experiment": experiment,
        "scale": args.scale + (f" with overrides {overrides}" if overrides else ""),
        "command": "python " + shlex.join([os.path.relpath(script, root)]
                                          + (argv if argv is not None else sys.argv[1:])),
        "machine": machine(),
        "threads": 1,
        "wall_seconds": round(time.time() - t0, 1),
        "seeds": args.seeds,
        "config": cfg,
        **(extra(cfg) if extra else {}),
        "results": results,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + ".tmp", "w") as fh:
        json.dump(table, fh, indent=1)
    os.replace(args.out + ".tmp", args.out)
    print(f"{experiment}: {table['wall_seconds']} s -> {args.out}", flush=True)
    return 0
