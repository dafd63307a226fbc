"""Run the full-scale reproductions and write their result tables under results/.

Usage:  python scripts/reproduce.py [adding temporal_order music sunspots charlm g2p] [--scale full|small]
                                    [--seeds 0 1 2] [--threads 1] [--set KEY=VALUE ...] [--tag TAG]

Uses CUDA when present (rnnbook.experiments._common.pick_device). Each table, results/<name>.json,
holds the command, the machine (platform, CPU/GPU name, torch version), the date and the scale
that produced it, then ``results``: the experiment's own plain result, one per seed in ``seeds``.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import os
import shlex
import sys
import time

import torch

from rnnbook.experiments._common import machine
from rnnbook.experiments.adding import run_adding
from rnnbook.experiments.charlm import run_charlm
from rnnbook.experiments.g2p import run_g2p
from rnnbook.experiments.music import run_music
from rnnbook.experiments.sunspots import run_sunspots
from rnnbook.experiments.temporal_order import run_temporal_order

RUNS = {"adding": run_adding, "temporal_order": run_temporal_order, "music": run_music,
        "sunspots": run_sunspots, "charlm": run_charlm, "g2p": run_g2p}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=list(RUNS), metavar="NAME", help=f"any of {list(RUNS)}")
    ap.add_argument("--scale", default="full", choices=["small", "full"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], metavar="SEED",
                    help="run once per seed; the table keeps every run (default: 0)")
    ap.add_argument("--threads", type=int, default=None, help="torch's CPU threads (default: torch's own choice)")
    ap.add_argument("--tag", default=None,
                    help="write results/<name>-<tag>.json: a variant run (other seeds, a longer budget) beside the main table")
    ap.add_argument("--out", default=os.path.join(ROOT, "results"))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override one config entry (a Python literal), e.g. --set steps=2000; recorded in the table")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")  # the experiments' progress
    os.makedirs(args.out, exist_ok=True)
    overrides = {k: ast.literal_eval(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        for name in args.names or list(RUNS):
            _run_one(name, args, overrides, argv)
    finally:
        torch.set_num_threads(threads)  # process-wide: leave a caller (a test) as it was
    return 0


def _run_one(name, args, overrides, argv) -> None:
    """Run experiment ``name`` once per seed and write its table."""
    t0 = time.time()
    results = []
    for seed in args.seeds:
        results.append(RUNS[name](scale=args.scale, seed=seed, **overrides))
        print(f"{name}, seed {seed}: {time.time() - t0:.1f} s", flush=True)
    table = {
        "experiment": name,
        "tag": args.tag,
        "scale": args.scale + (f" with overrides {overrides}" if overrides else ""),
        "command": "python " + shlex.join([os.path.relpath(__file__, ROOT)] + (argv if argv is not None else sys.argv[1:])),
        "machine": machine(),
        "threads": torch.get_num_threads(),
        "wall_seconds": round(time.time() - t0, 1),
        "seeds": args.seeds,
        "results": results,
    }
    path = os.path.join(args.out, f"{name}-{args.tag}.json" if args.tag else f"{name}.json")
    with open(path + ".tmp", "w") as fh:
        json.dump(table, fh, indent=1)
    os.replace(path + ".tmp", path)
    print(f"{name}: {table['wall_seconds']} s -> {path}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
