"""The same honest submissions score the same through real ``nbgrader autograde`` and through this grader.

Runs ``nbgrader generate_assignment`` and ``nbgrader autograde`` in a temporary course folder (the venv's
``bin`` first on PATH: nbgrader runs ``alembic``). Honest submissions: fully correct, the untouched release
(``raise NotImplementedError``), and one function wrong on every case (nbgrader scores a test cell all or
nothing, so a submission that is wrong on only some cases would differ by design: partial credit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from autograder.__main__ import main
from autograder.nbgrader_course import make_nbgrader_course
from autograder.report import by_check

from grader_corpus import SOLUTION

WRONG = ("import numpy as np\ndef rnn_step_forward(x, prev_h, Wx, Wh, b):\n"
         "    next_h = np.tanh(x @ Wx + prev_h @ Wh + b) + 1.0\n    return next_h, None\n")


def _fill(release: str, out: str, replace: dict | None, keep_stub: bool = False):
    sol = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(SOLUTION, as_version=4).cells
           if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(release, as_version=4)
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if c.metadata.get("nbgrader", {}).get("solution") and not keep_stub:
            c.source = (replace or {}).get(gid, sol[gid])
    os.makedirs(os.path.dirname(out), exist_ok=True)
    nbformat.write(nb, out)


@pytest.mark.slow
def test_same_scores_as_nbgrader_autograde(tmp_path):
    course = tmp_path / "course"
    make_nbgrader_course(course, "02_rnn", SOLUTION, course / "gradebook.db")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    nbg = [sys.executable, "-m", "nbgrader"]

    def run(*args):
        out = subprocess.run(nbg + list(args), cwd=course, env=env, capture_output=True, text=True, timeout=240)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]

    run("generate_assignment", "02_rnn", "--force")
    release = str(course / "release" / "02_rnn" / "exercises.ipynb")
    students = {"honest": None, "stub": "stub", "wrong": {"ch02-ex1-solution": WRONG}}
    for s, how in students.items():
        out = str(course / "submitted" / s / "02_rnn" / "exercises.ipynb")
        _fill(release, out, how if isinstance(how, dict) else None, keep_stub=how == "stub")
        with open(course / "submitted" / s / "02_rnn" / "timestamp.txt", "w") as f:
            f.write("2026-11-24 12:00:00.000000 UTC")
    run("autograde", "02_rnn", "--create", "--force")

    from nbgrader.api import Gradebook
    gb = Gradebook(f"sqlite:///{course}/gradebook.db", course_id="rnnbook")
    try:
        theirs = {s: {g.name: g.score for nb in gb.find_submission("02_rnn", s).notebooks for g in nb.grades}
                  for s in students}
    finally:
        gb.close()
    assert main(["grade", "02_rnn", str(course / "submitted"), "--source", str(course / "source"),
                 "--no-gradebook", "--results", str(tmp_path / "ours")]) == 0
    for s in students:
        ours = {k: v[0] for k, v in by_check(json.loads((tmp_path / "ours" / f"{s}.json").read_text())).items()}
        assert ours == theirs[s], (s, ours, theirs[s])
    assert sum(theirs["honest"].values()) == 12.0 and sum(theirs["stub"].values()) == 0.0
    assert theirs["wrong"]["ch02_rnn_step_forward"] == 0.0
