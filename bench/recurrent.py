"""Recurrent benchmark: LSTM and GRU forward + backward, N=64, T=100, D=32, H=128, float32.

Rows, each measured in its OWN fresh interpreter (a subprocess per implementation, so that no allocator, thread
pool or JIT state is shared): the NumPy reference (``rnnbook.numpy``), ``torch.nn.LSTM``/``GRU`` on CPU, the
from-scratch ``rnnbook.torch.LSTM``/``GRU`` on CPU, and, when ``torch.cuda.is_available()``, the from-scratch
modules against ``torch.nn`` (cuDNN) on CUDA. Each row: warm-up, then the median of several repeats.

Targets printed next to the ratios: NumPy / torch.nn ≤ 1.3×, from scratch / torch.nn ≤ 2×.
Every process uses the same thread count (``--threads``, default 1): ``torch.set_num_threads`` in the torch rows,
and OMP/OpenBLAS/MKL thread variables for NumPy's BLAS (other OPENBLAS_* settings are passed through unchanged).

NumPy is measured twice. ``numpy`` runs with the environment as it is; on this project's machines that sets
``OPENBLAS_CORETYPE=Haswell`` (older OpenBLAS builds compute wrong results on their processors without it), which
holds NumPy's BLAS to its AVX2 kernels. ``numpy_native`` unsets ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` in
that child process alone, so OpenBLAS picks its kernel for the processor it finds. torch's CPU kernels do not read
these variables. Both rows are printed with their ratios; neither replaces the other.

Usage: ``python bench/recurrent.py [--quick] [--threads K]``. Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
N, T, D, H = 64, 100, 32, 128
TARGETS = {"numpy": 1.3, "numpy_native": 1.3, "scratch": 2.0}


# ----------------------------------------------------------------------------------------- worker side
def time_runs(step, repeats: int, warmup: int, sync=lambda: None) -> list[float]:
    """Seconds of each of ``repeats`` runs of ``step`` after ``warmup`` untimed ones (``sync`` waits for a device)."""
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    return times


def _numpy_step(cell: str):
    import numpy as np

    from rnnbook.numpy.gru import gru_backward, gru_forward
    from rnnbook.numpy.lstm import lstm_backward, lstm_forward

    rng = np.random.default_rng(0)
    G = 4 if cell == "lstm" else 3
    f32 = np.float32
    x = rng.standard_normal((N, T, D)).astype(f32)
    h0 = np.zeros((N, H), f32)
    bound = 1 / np.sqrt(H)  # torch.nn's initialisation
    Wx = rng.uniform(-bound, bound, (D, G * H)).astype(f32)
    Wh = rng.uniform(-bound, bound, (H, G * H)).astype(f32)
    b = rng.uniform(-bound, bound, G * H).astype(f32)
    dh = rng.standard_normal((N, T, H)).astype(f32)
    if cell == "lstm":
        def step():
            _, cache = lstm_forward(x, h0, Wx, Wh, b)
            lstm_backward(dh, cache)
    else:
        def step():
            _, cache = gru_forward(x, h0, Wx, Wh, b, b)
            gru_backward(dh, cache)
    return step, lambda: None


def _torch_step(cell: str, impl: str, device: str):
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("no CUDA device")
    if impl == "torch_nn":
        cls = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
    else:
        import rnnbook.torch as rt  # the from-scratch modules

        cls = getattr(rt, "LSTM" if cell == "lstm" else "GRU")
    torch.manual_seed(0)
    module = cls(D, H, batch_first=True).to(device)
    x = torch.randn(N, T, D, device=device, requires_grad=True)
    dh = torch.randn(N, T, H, device=device)
    params = list(module.parameters()) + [x]

    def step():
        for p in params:
            p.grad = None
        out, _ = module(x)
        out.backward(dh)

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    return step, sync


def worker(cell: str, impl: str, device: str, threads: int, repeats: int, warmup: int) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        if impl in ("numpy", "numpy_native"):
            step, sync = _numpy_step(cell)
        else:
            import torch

            torch.set_num_threads(threads)
            step, sync = _torch_step(cell, impl, device)
        times = time_runs(step, repeats, warmup, sync)
        res = {"ok": True, "median_ms": 1e3 * statistics.median(times), "min_ms": 1e3 * min(times)}
    except Exception as exc:  # not importable yet, no GPU, …: the row says so and the run goes on
        res = {"ok": False, "why": f"{type(exc).__name__}: {exc}"[:200]}
    print("RESULT " + json.dumps(res), flush=True)


# ----------------------------------------------------------------------------------------- parent side
def run_row(cell: str, impl: str, device: str, args) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    if impl == "numpy_native":  # OpenBLAS's own choice of kernel, in this child alone (see the module docstring)
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--worker", cell, impl, device,
           "--threads", str(args.threads), "--repeats", str(args.repeats), "--warmup", str(args.warmup)]
    try:
        proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "why": f"timed out after {args.timeout} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return {"ok": False, "why": f"worker exited {proc.returncode}: {proc.stderr.strip()[-200:]}"}


def _cuda_available() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats (2 warm-up, 5 timed)")
    p.add_argument("--threads", type=int, default=1, help="threads for every implementation (default 1)")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per row")
    p.add_argument("--worker", nargs=3, metavar=("CELL", "IMPL", "DEVICE"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.repeats = args.repeats or (5 if args.quick else 15)
    args.warmup = args.warmup or (2 if args.quick else 3)
    if args.worker:
        worker(*args.worker, threads=args.threads, repeats=args.repeats, warmup=args.warmup)
        return 0
    try:
        rows = [("numpy", "cpu"), ("numpy_native", "cpu"), ("torch_nn", "cpu"), ("scratch", "cpu")]
        if _cuda_available():
            rows += [("torch_nn", "cuda"), ("scratch", "cuda")]
        print(f"recurrent benchmark: N={N} T={T} D={D} H={H} float32, forward + backward; "
              f"threads={args.threads} for every implementation (torch.set_num_threads, OMP/OPENBLAS/MKL_NUM_THREADS); "
              f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; "
              f"median of {args.repeats} after {args.warmup} warm-up, each implementation in its own process",
              flush=True)
        for cell in ("lstm", "gru"):
            res = {}
            for impl, device in rows:
                r = res[impl, device] = run_row(cell, impl, device, args)
                label = f"{cell.upper():4s} {impl:12s} {device:4s}"
                if r["ok"]:
                    print(f"  {label} median {r['median_ms']:8.2f} ms   (min {r['min_ms']:8.2f} ms)", flush=True)
                else:
                    print(f"  {label} not available ({r['why']})", flush=True)
            for impl, device in rows:
                if impl == "torch_nn":
                    continue
                ref, r = res.get(("torch_nn", device)), res[impl, device]
                name = f"{cell.upper()} {impl} / torch.nn ({device})"
                if ref and ref["ok"] and r["ok"]:
                    ratio = r["median_ms"] / ref["median_ms"]
                    target = TARGETS[impl]
                    verdict = "meets" if ratio <= target else "MISSES"
                    print(f"  {name}: {ratio:.2f}x   target <= {target}x: {verdict}", flush=True)
                else:
                    print(f"  {name}: not available   target <= {TARGETS[impl]}x", flush=True)
    except Exception as exc:  # the benchmark reports; it never fails a build
        print(f"benchmark error: {type(exc).__name__}: {exc}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
