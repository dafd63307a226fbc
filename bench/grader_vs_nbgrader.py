"""The same submissions of one chapter graded by ``nbgrader autograde`` and by ``autograder grade``, side by side.

A temporary course folder gets the instructor's notebook as nbgrader source, ``nbgrader generate_assignment``
makes the release, and ``--n`` submissions (default 200) are made from it: correct ones, partly correct ones
(ch02: an unstable softmax), untouched stubs, and broken ones (a syntax error, a solution that raises). Both
graders run as the instructor would run them (a fresh process each, writing their own SQLite gradebook), timed
wall clock from start to exit. Prints seconds per submission for each and the ratio (issue 12's targets at
200 submissions on 2 cores: 10x on ch02, 20x on ch05, the PyTorch chapter).

``nbgrader autograde`` runs one kernel per notebook, one notebook after another, so its time per submission
does not depend on how many there are: ``--nbgrader-n K`` times it on the first K of the same submissions
(default: all) and says so.

With ``--baseline REV`` the grader of an earlier commit (checked out in a temporary git worktree, run with the
same interpreter) grades the same folder in the same run, and the ratio of the two per-submission times is
printed too. ``AUTOGRADER_ZYGOTE=0`` in the environment times the grader without its warm zygote (a fresh
sandbox and interpreter per submission).

Usage: ``python bench/grader_vs_nbgrader.py [--assignment 02_rnn|05_lstm] [--n 200] [--nbgrader-n K]
[--workers K] [--quick] [--baseline REV]``. Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import os
import secrets
import pathlib
import subprocess
import sys
import tempfile
import time

import nbformat

from autograder.nbgrader_course import make_nbgrader_course

ROOT = pathlib.Path(__file__).resolve().parent.parent
PARTIAL = {"02_rnn": {"ch02-ex3-solution": "import numpy as np\ndef softmax_temperature(scores, temperature):\n"
                                            "    e = np.exp(scores / temperature)\n"
                                            "    return e / e.sum(axis=1, keepdims=True)\n"}}
MIX = [0, 0, 1, 0, 2, 0, 1, 3, 0, 4]  # per 10 submissions: 5 correct, 2 partial, 1 stub, 1 syntax, 1 raises


def kinds(assignment: str, sol: dict) -> list:
    """(name, replaced solution cells or None for the stub) of each kind of submission."""
    import ast
    ids = list(sol)
    name = next(n.name for n in ast.parse(sol[ids[1]]).body if isinstance(n, ast.FunctionDef))
    broken = {ids[-1]: "def broken(x,:\n    pass\n"}
    return [("correct", {}), ("partial", PARTIAL.get(assignment, broken)), ("stub", None),
            ("syntax", {ids[0]: "def f(x,:\n    pass\n"}),
            ("raises", {ids[1]: f"def {name}(*a, **k):\n    raise RuntimeError('todo')\n"})]


def make_course(d: pathlib.Path, assignment: str, n: int, env: dict) -> None:
    solution = ROOT / "solutions" / assignment / "exercises.ipynb"
    make_nbgrader_course(d, assignment, solution, d / "nbgrader.db")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"], cwd=d, env=env,
                   check=True, capture_output=True)
    sol = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(solution, as_version=4).cells
           if c.metadata.get("nbgrader", {}).get("solution")}
    table = kinds(assignment, sol)
    for k in range(n):
        name, repl = table[MIX[k % len(MIX)]]
        nb = nbformat.read(d / "release" / assignment / "exercises.ipynb", as_version=4)
        for c in nb.cells:
            m = c.metadata.get("nbgrader", {})
            if m.get("solution") and repl is not None:
                c.source = repl.get(m["grade_id"], sol[m["grade_id"]])
        out = d / "submitted" / f"s{k:03d}_{name}" / assignment
        out.mkdir(parents=True)
        nbformat.write(nb, out / "exercises.ipynb")
        (out / "timestamp.txt").write_text("2026-11-24 12:00:00.000000 UTC")


def timed(cmd, cwd, env) -> tuple[float, int]:
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - t0, rc


def _time_baseline(rev: str, cmd: list, d: pathlib.Path, env: dict) -> tuple[float, int]:
    """The same grading command with the grader of ``rev``: a git worktree of it, installed (editable, no
    dependencies) into a copy of this venv, run from the course folder so that this checkout is not on
    its path. (PYTHONPATH alone is not enough: the old fork-server starts with ``python -I``.)"""
    import shutil
    wt, venv = d / "baseline-src", d / "baseline-venv"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(wt), rev], check=True,
                   capture_output=True)
    try:
        shutil.copytree(sys.prefix, venv, symlinks=True)
        cfg = venv / "pyvenv.cfg"
        cfg.write_text(cfg.read_text().replace(sys.prefix, str(venv)))
        py = str(venv / "bin" / "python")
        subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(wt)],
                       check=True, capture_output=True)
        old_cmd = [py] + cmd[1:]
        old_cmd[old_cmd.index(f"sqlite:///{d}/autograder.db")] = f"sqlite:///{d}/baseline.db"
        return timed(old_cmd, d, dict(env, PATH=str(venv / "bin") + os.pathsep + env["PATH"]))
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(wt)], capture_output=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--assignment", default="02_rnn")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--nbgrader-n", type=int, default=None, help="time nbgrader on the first K submissions only")
    p.add_argument("--workers", type=int, default=None, help="the grader's parallel sandboxes (default: cores)")
    p.add_argument("--quick", action="store_true", help="10 submissions")
    p.add_argument("--baseline", help="also time the grader of this git revision, side by side")
    a, _ = p.parse_known_args(argv)
    n = 10 if a.quick else a.n
    k = min(n, a.nbgrader_n or n)
    asg = a.assignment
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
               AUTOGRADER_SECRET=secrets.token_hex(32))
    with tempfile.TemporaryDirectory(prefix="bench-grader-") as tmp:
        d = pathlib.Path(tmp)
        make_course(d, asg, n, env)
        students = sorted(p.name for p in (d / "submitted").iterdir())
        nbg_cmd = [sys.executable, "-m", "nbgrader", "autograde", asg, "--create", "--force"]
        if k < n:  # the same course with the first k submissions only, graded in one nbgrader run
            import shutil
            sub = d / "nbgrader-subset"
            make_nbgrader_course(sub, asg, ROOT / "solutions" / asg / "exercises.ipynb", sub / "nbgrader.db")
            subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", asg, "--force"], cwd=sub,
                           env=env, check=True, capture_output=True)
            for s in students[:k]:
                shutil.copytree(d / "submitted" / s, sub / "submitted" / s)
            t_nbg, rc1 = timed(nbg_cmd, sub, env)
        else:
            t_nbg, rc1 = timed(nbg_cmd, d, env)
        cmd = [sys.executable, "-m", "autograder", "grade", asg, str(d / "submitted"), "--source",
               str(d / "source"), "--db", f"sqlite:///{d}/autograder.db", "--force"]
        if a.workers:
            cmd += ["--workers", str(a.workers)]
        t_ag, rc2 = timed(cmd, d, env)
        t_old = rc3 = None
        if a.baseline:
            t_old, rc3 = _time_baseline(a.baseline, cmd, d, env)
    per_nbg, per_ag = t_nbg / k, t_ag / n
    zyg = "off (AUTOGRADER_ZYGOTE=0)" if os.environ.get("AUTOGRADER_ZYGOTE") == "0" else "on"
    print(f"{n} submissions of {asg} on {os.cpu_count()} cores (the grader's zygote {zyg})")
    print(f"  nbgrader autograde : {per_nbg:7.3f} s per submission  ({t_nbg:.1f} s for {k}"
          f"{' of them, one run' if k < n else ''}, exit {rc1})")
    print(f"  autograder grade   : {per_ag:7.3f} s per submission  ({t_ag:.1f} s for {n}, exit {rc2})")
    target = {"02_rnn": 10, "05_lstm": 20}.get(asg)
    print(f"  ratio              : {per_nbg / per_ag:7.1f}x faster" + (f" (target >= {target}x)" if target else ""))
    if t_old is not None:
        print(f"  grader at {a.baseline[:10]:10s}: {t_old / n:7.3f} s per submission  ({t_old:.1f} s in all, exit {rc3})")
        print(f"  this grader / it   : {per_ag / (t_old / n):7.2f}x its time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
