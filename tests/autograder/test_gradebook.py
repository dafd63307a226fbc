"""Grades land in nbgrader's gradebook (read back through nbgrader's API), idempotently, and a run killed
with ``kill -9`` resumes with no duplicate and no lost grade. Also the CSV and Gradescope exports.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from nbgrader.api import Gradebook

from autograder.__main__ import main

from grader_corpus import build_notebook

SLOW = {"ch02-ex3-solution": "import time\nimport numpy as np\ntime.sleep(1.5)\n"
                             "def softmax_temperature(s, t):\n    e = np.exp((s - s.max(1, keepdims=True)) / t)\n"
                             "    return e / e.sum(1, keepdims=True)\n"}
WRONG = {"ch02-ex1-solution": "import numpy as np\ndef rnn_step_forward(x, h, Wx, Wh, b):\n"
                              "    return np.tanh(x @ Wx + h @ Wh), None\n"}


def _counts(db):
    con = sqlite3.connect(db)
    try:
        return (con.execute("select count(*) from submitted_assignment").fetchone()[0],
                con.execute("select count(*) from grade").fetchone()[0],
                con.execute("select count(*) from grade where auto_score is null").fetchone()[0])
    finally:
        con.close()


def test_grade_is_idempotent_and_exports(tmp_path, capsys):
    a = build_notebook({}, str(tmp_path / "alice.ipynb"))
    b = build_notebook(WRONG, str(tmp_path / "bob.ipynb"))
    db = f"sqlite:///{tmp_path / 'gb.db'}"
    args = ["grade", "02_rnn", a, b, "--db", db, "--workers", "2"]
    assert main(args) == 0
    assert main(args) == 0                       # unchanged: skipped
    assert "already in the gradebook" in capsys.readouterr().out
    assert main(args + ["--force"]) == 0         # re-graded in place
    assert _counts(tmp_path / "gb.db") == (2, 8, 0)
    gb = Gradebook(db, course_id="rnnbook")
    try:
        assert gb.find_submission("02_rnn", "alice").score == 12.0
        bob = gb.find_submission("02_rnn", "bob")
        assert bob.score < 12.0
        g = gb.find_grade("ch02_rnn_step_forward", "exercises", "02_rnn", "bob")
        assert g.auto_score < 3.0 and g.max_score == 3.0
    finally:
        gb.close()
    capsys.readouterr()
    assert main(["export", "--format", "csv", "--db", db]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["student"]: float(r["score"]) for r in rows}["alice"] == 12.0
    assert main(["export", "--format", "gradescope", "--db", db, "--output", str(tmp_path / "gs")]) == 0
    doc = json.loads((tmp_path / "gs" / "02_rnn" / "alice.json").read_text())
    assert doc["score"] == 12.0 and len({t["name"].split(" ")[0] for t in doc["tests"]}) == 4


@pytest.mark.slow
def test_kill_9_resumes_without_duplicates(tmp_path):
    files = [build_notebook(SLOW, str(tmp_path / f"s{k}.ipynb")) for k in range(6)]
    dbfile = tmp_path / "gb.db"
    cmd = [sys.executable, "-m", "autograder", "grade", "02_rnn", *files, "--db", f"sqlite:///{dbfile}",
           "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if dbfile.exists():
                try:
                    if _counts(dbfile)[0] >= 2:
                        break
                except sqlite3.OperationalError:
                    pass
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    n_before = _counts(dbfile)[0]
    assert 2 <= n_before < 6
    assert _counts(dbfile)[2] == 0              # whatever is there is complete
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"{n_before} unchanged submission(s)" in out.stdout
    assert _counts(dbfile) == (6, 24, 0)
    gb = Gradebook(f"sqlite:///{dbfile}", course_id="rnnbook")
    try:
        assert [s.score for s in gb.assignment_submissions("02_rnn")] == [12.0] * 6
    finally:
        gb.close()


def test_a_new_gradebook_is_stamped_with_nbgrader_s_alembic_head(tmp_path, monkeypatch):
    """The head read in-process is the one nbgrader's ``alembic heads`` subprocess prints, and a gradebook the
    grader creates carries it, as one ``nbgrader`` creates does."""
    import nbgrader.api

    from autograder.gradebook import _open, alembic_head
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    head = nbgrader.api.get_alembic_version()
    assert alembic_head() == head and len(head) >= 8
    _open(f"sqlite:///{tmp_path / 'new.db'}", "course").close()
    with sqlite3.connect(tmp_path / "new.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
    assert nbgrader.api.get_alembic_version() == head   # nbgrader's own function is back in place
