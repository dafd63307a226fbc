"""Every instructor's notebook (solutions/) runs clean under ``pytest --nbval-lax``: each cell, the visible and
the hidden test cells included, executes without an error in a fresh kernel (nbval is a declared dev
dependency; this test is how ``make test`` runs it)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import student_bundle_helpers as h

pytestmark = pytest.mark.slow


def test_solutions_pass_nbval_lax(tmp_path):
    nbs = sorted(os.path.join(h.ROOT, "solutions", a, "exercises.ipynb") for a in os.listdir(
        os.path.join(h.ROOT, "solutions")) if os.path.exists(os.path.join(h.ROOT, "solutions", a, "exercises.ipynb")))
    assert len(nbs) == 10
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    r = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
                        "--rootdir", str(tmp_path), *nbs], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=900)
    last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in last and "failed" not in last and "error" not in last, last
    # one nbval item per code cell: every cell of every notebook ran
    import nbformat
    cells = sum(c.cell_type == "code" for nb in nbs for c in nbformat.read(nb, as_version=4).cells)
    assert int(last.split(" passed")[0].split()[-1]) == cells, (last, cells)
