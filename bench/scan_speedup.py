"""The parallel scan against the sequential loop: minGRU forward + backward, T up to 4096, ratios side by side.

For each device, thread count, batch N, hidden size H and length T, one run times the same ``rnnbook.torch.MinGRU``
(D = H) computed two ways, interleaved: ``parallel=False`` (the loop, T dependent steps of (N, H) work) and
``parallel=True`` (the Hillis–Steele scan, ⌈log2 T⌉ rounds of (N, T, H) work). Each timing is a training step's
recurrence: forward, ``sum`` of the output, backward (no optimiser), after one warm-up call, the median of
``--repeats`` calls. The speed-up printed is loop time / scan time, measured in the same run.

Rows: the CPU with one thread and with every core (``torch.set_num_threads``), and CUDA with the same shapes when
``torch.cuda.is_available()`` (synchronised before each clock read). The grid: N = 64 (Feng et al.'s batch) with
H = 32, and N = 1 with H = 16, where each loop step has little work.

Environment: torch's CPU kernels do not read ``OPENBLAS_CORETYPE`` or other ``OPENBLAS_*`` settings, so this
script leaves the environment as it is and unsets nothing.

Usage::

    python bench/scan_speedup.py                              # print the table
    python bench/scan_speedup.py --out results/scan_speedup.json   # and write it, with command, machine, date
    python bench/scan_speedup.py --quick                      # T up to 512, one repeat: a smoke run

Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys

from recurrent import time_runs  # bench/ is this script's folder, first on sys.path

GRID = [(64, 32), (1, 16)]  # (N, H)
LENGTHS = [64, 256, 512, 1024, 2048, 4096]


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> dict:
    import torch

    info = {"cpu": _cpu_name(), "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "torch": torch.__version__}
    if hasattr(os, "getloadavg"):
        info["load_average_1min_at_start"] = round(os.getloadavg()[0], 2)  # other work sharing the cores
    if torch.cuda.is_available():
        info["cuda"] = torch.cuda.get_device_name(0)
    return info


def measure(device: str, threads: int | None, N: int, H: int, T: int, repeats: int, seed: int = 0) -> dict:
    """One row: seconds per forward + backward of the loop and of the scan on the same model and input."""
    import torch

    from rnnbook.torch import MinGRU

    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    model = MinGRU(H, H).to(device)
    x = torch.randn(N, T, H, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def step(parallel):
        def run():
            model.zero_grad(set_to_none=True)
            out, _ = model(x, parallel=parallel)  # (N, T, H)
            out.sum().backward()
        return run

    with torch.no_grad():
        agree = torch.allclose(model(x, parallel=False)[0], model(x, parallel=True)[0], rtol=1e-3, atol=1e-4)
    # one untimed run first: one-off allocations and dispatch caches
    loop = statistics.median(time_runs(step(False), repeats, 1, sync))
    scan = statistics.median(time_runs(step(True), repeats, 1, sync))
    return {"device": device, "threads": threads, "N": N, "H": H, "D": H, "T": T, "loop_s": loop, "scan_s": scan,
            "speedup": loop / scan, "outputs_agree": bool(agree)}


def main(argv: list[str]) -> int:
    import torch

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="T up to 512 and one repeat")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", help="write the table as JSON here (e.g. results/scan_speedup.json)")
    args = p.parse_args(argv)
    lengths = [T for T in LENGTHS if T <= 512] if args.quick else LENGTHS
    repeats = 1 if args.quick else args.repeats
    if repeats < 1:
        p.error(f"--repeats: expected at least 1, got {repeats}")
    configs = [("cpu", 1), ("cpu", os.cpu_count() or 1)]
    if configs[1][1] == 1:
        configs = configs[:1]
    if torch.cuda.is_available():
        configs.append(("cuda", None))
    rows, info = [], machine()
    print(f"{'device':6s} {'threads':>7s} {'N':>3s} {'H':>3s} {'T':>5s} {'loop s':>9s} {'scan s':>9s} {'speed-up':>9s}")
    for device, threads in configs:
        for N, H in GRID:
            for T in lengths:
                r = measure(device, threads, N, H, T, repeats)
                rows.append(r)
                print(f"{device:6s} {str(threads or '-'):>7s} {N:3d} {H:3d} {T:5d} {r['loop_s']:9.4f} {r['scan_s']:9.4f} "
                      f"{r['speedup']:8.2f}x" + ("" if r["outputs_agree"] else "   (outputs DISAGREE)"), flush=True)
    table = {
        "what": "minGRU (rnnbook.torch.MinGRU, D = H) forward + backward: the sequential loop (parallel=False) "
                "against the Hillis-Steele scan (parallel=True); seconds per call, median of the repeats after "
                "one warm-up; speedup = loop_s / scan_s, measured side by side in one run",
        "command": "python bench/scan_speedup.py " + " ".join(argv),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": info,
        "cuda_available": torch.cuda.is_available(),
        "seed": 0,
        "repeats": repeats,
        "rows": rows,
    }
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(table, f, indent=1)
            f.write("\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
