"""``autograder similarity`` on a class of 500 submissions of chapter 02: how long it takes, and what it finds.

Each student hands in the instructor's functions (what most of a class shares: boilerplate) with a block of
their own in ``rnn_forward`` and ``sample_chars``: 3 to 6 statements drawn at random from a small grammar (numpy
calls, operators, slices, an ``assert``), so that honest students differ as real ones do. ``--pairs`` of them
(default 10) copied another student's notebook: every name changed, a no-op line after each statement, comments.
The command runs as an instructor runs it, in a fresh process, timed wall clock from start to exit (reading and
parsing every notebook included); the report must name every planted pair and no other.

Usage: ``python bench/similarity.py [--n 500] [--pairs 10]``. Exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import ast
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
RELEASE = ROOT / "chapters" / "02_rnn" / "exercises.ipynb"
SOLUTION = ROOT / "solutions" / "02_rnn" / "exercises.ipynb"
FUNCS = ["sum", "mean", "max", "min", "abs", "sqrt", "square", "cumsum", "sign", "exp", "tanh", "log1p", "ravel",
         "std", "var", "argmax", "diff", "flip"]
OPS = ["+", "-", "*", "/"]
NAMES = {"rnn_forward": ["x", "h0", "Wx", "Wh", "b", "h"], "sample_chars": ["h0", "Wx", "Wh", "b", "Wy", "u"]}


def _term(rng: random.Random, names: list[str]) -> str:
    a, f = rng.choice(names), rng.choice(FUNCS)
    return rng.choice([f"np.{f}({a})", f"np.{f}({a}.T)", f"np.{f}({a}[..., :1])", f"np.{f}({a}, axis=-1)"
                       if f in ("sum", "mean", "max", "min", "std", "var", "cumsum", "argmax") else f"np.{f}(-{a})",
                       f"float(np.{f}({a}).sum())", f"{rng.randint(2, 9)}"])


def _expr(rng: random.Random, names: list[str]) -> str:
    """3 or 4 terms joined by operators: long enough that two students rarely write the same by chance."""
    out = _term(rng, names)
    for _ in range(rng.randint(2, 3)):
        out += f" {rng.choice(OPS)} {_term(rng, names)}"
    return out


def own_block(rng: random.Random, fn: str) -> str:
    lines = []
    for k in range(rng.randint(3, 6)):
        v = f"_{fn[:3]}{k}"
        kind = rng.random()
        if kind < 0.2:
            lines.append(f"assert np.all(np.isfinite({_expr(rng, NAMES[fn])}))")
        elif kind < 0.35:
            lines.append(f"{v} = [{_expr(rng, NAMES[fn])} for _ in range({rng.randint(1, 3)})]")
        else:
            lines.append(f"{v} = {_expr(rng, NAMES[fn])}")
    return "".join(f"    {ln}\n" for ln in lines)


def solutions() -> dict[str, str]:
    out = {}
    for c in nbformat.read(SOLUTION, as_version=4).cells:
        m = c.metadata.get("nbgrader", {})
        if m.get("solution"):
            out[m["grade_id"]] = "".join(ln for ln in c.source.splitlines(keepends=True) if "### " not in ln)
    return out


def with_block(src: str, block: str) -> str:
    head, ret = src.rsplit("    return ", 1)
    return head + block + "    return " + ret


def disguise(src: str, rng: random.Random) -> str:
    """A copy as a copier makes it: every local name changed, a no-op line after each statement, a comment."""
    tree = ast.parse(src)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    local = {t.id for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.For, ast.AugAssign))
             for t in ast.walk(n.targets[0] if isinstance(n, ast.Assign) else n.target) if isinstance(t, ast.Name)}
    new = {v: f"my_{v.strip('_')}{rng.randint(10, 99)}" for v in local}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            node.id = new.get(node.id, node.id)
            return node

        def generic_visit(self, node):
            super().generic_visit(node)
            for field in ("body", "orelse"):
                body = getattr(node, field, None)
                if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                    setattr(node, field, [x for st in body for x in (st, ast.Pass())])
            return node
    out = ast.unparse(ast.fix_missing_locations(Rename().visit(tree)))
    return "# my own work\n" + out + "\n"


def make_class(d: pathlib.Path, n: int, pairs: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    sol = solutions()
    nb0 = nbformat.read(RELEASE, as_version=4)
    students = [f"s{k:03d}" for k in range(n)]
    copiers = dict(zip(students[n - pairs:], rng.sample(students[:n - pairs], pairs)))
    cells: dict[str, dict[str, str]] = {}
    for s in students:
        if s in copiers:
            cells[s] = {gid: disguise(src, rng) if gid in ("ch02-ex2-solution", "ch02-ex4-solution") else src
                        for gid, src in cells[copiers[s]].items()}
        else:
            cells[s] = dict(sol, **{"ch02-ex2-solution": with_block(sol["ch02-ex2-solution"],
                                                                    own_block(rng, "rnn_forward")),
                                    "ch02-ex4-solution": with_block(sol["ch02-ex4-solution"],
                                                                    own_block(rng, "sample_chars"))})
        nb = nbformat.from_dict(nbformat.from_dict(nb0))
        for c in nb.cells:
            gid = c.metadata.get("nbgrader", {}).get("grade_id")
            if c.metadata.get("nbgrader", {}).get("solution"):
                c.source = cells[s][gid]
        out = d / "submitted" / s / "02_rnn"
        out.mkdir(parents=True)
        nbformat.write(nb, out / "exercises.ipynb")
    return sorted(tuple(sorted(p)) for p in copiers.items())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--pairs", type=int, default=10)
    a, _ = p.parse_known_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-similarity-") as tmp:
        d = pathlib.Path(tmp)
        planted = make_class(d, a.n, a.pairs)
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "autograder", "similarity", "02_rnn", str(d / "submitted"),
                            "--source", str(ROOT / "solutions")], capture_output=True, text=True)
        wall = time.perf_counter() - t0
    found = sorted(tuple(sorted(ln.split()[:2])) for ln in r.stdout.splitlines()
                   if ln.strip() and not ln.split()[0].isdigit())
    print(f"{a.n} submissions of 02_rnn on {os.cpu_count()} cores (exit {r.returncode})")
    print(f"  autograder similarity : {wall:6.1f} s wall, from start to exit (target: seconds)")
    print(f"  planted pairs found   : {len(set(found) & set(planted))} of {len(planted)}")
    print(f"  other pairs reported  : {len(set(found) - set(planted))}")
    print(f"  its own summary       : {r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-300:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
