"""Bad input to the command line is one line that says what was expected and what arrived, exit 2, no traceback."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTION = os.path.join(ROOT, "solutions", "02_rnn", "exercises.ipynb")


def _cli(*args, timeout=60):
    env = dict(os.environ, AUTOGRADER_SECRET=secrets.token_hex(32),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, env=env,
                         timeout=timeout, cwd=ROOT)
    return out, time.monotonic() - t0


@pytest.mark.parametrize("args, expect", [
    (("grade", "02_rnn", "submited/"), "no such file or folder"),
    (("grade", "02_rnn", SOLUTION, "--db", "gradebook.db"), "expected a database URL"),
    (("grade", "02_rnn", SOLUTION, "--db", "postgresql://nobody@127.0.0.1:1/none"), "cannot open the gradebook"),
    (("grade", "02_rnn", SOLUTION, "--no-gradebook", "--scheduler", "tcp://127.0.0.1:1"), "reachable Dask scheduler"),
    (("grade", "nope", SOLUTION), "assignment: expected one of"),
    (("export", "--format", "csv", "--db", "sqlite:////nonexistent/gradebook.db"), "expected an existing gradebook"),
])
def test_one_line_error_exit_2(args, expect):
    out, seconds = _cli(*args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert expect in out.stderr and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert seconds < 30


def test_an_empty_submissions_folder_is_an_error(tmp_path):
    out, _ = _cli("grade", "02_rnn", str(tmp_path))
    assert out.returncode == 2 and "no submission of 02_rnn found" in out.stderr


def test_version_help_and_check_summary():
    out, _ = _cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("autograder ")
    out, _ = _cli("--help")
    assert "AUTOGRADER_SECRET" in out.stdout and "autograder init" in out.stdout
    out, _ = _cli("check", SOLUTION)
    assert out.returncode == 0 and out.stdout.strip().splitlines()[-1].endswith("visible points")


@pytest.mark.parametrize("copies", [1, 8])
def test_the_canary_stops_the_run_before_any_student_is_graded(tmp_path, copies):
    """The instructor's notebook is graded first, in the same sandbox and limits: if it cannot score full
    marks (here a 3 MiB memory limit: the submission's own pages, the warm interpreter's are not counted),
    nobody is graded and the error names the check and why. (The gradebook opens while the canary runs: it may
    exist, with no submission in it.) With 8 submissions on 2 workers the canary runs in a worker process."""
    import shutil
    for k in range(copies):
        shutil.copy(SOLUTION, tmp_path / f"s{k}.ipynb")
    out, _ = _cli("grade", "02_rnn", *sorted(str(p) for p in tmp_path.glob("*.ipynb")), "--workers", "2",
                  "--db", f"sqlite:///{tmp_path / 'gb.db'}", "--memory", "3")
    assert out.returncode == 2 and "instructor's solution" in out.stderr and "ch02_" in out.stderr
    assert "memory limit" in out.stderr
    if (tmp_path / "gb.db").exists():
        import sqlite3
        with sqlite3.connect(tmp_path / "gb.db") as db:
            assert db.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone() == (0,)


def test_a_duplicated_solution_cell_runs_in_order_and_is_reported(tmp_path):
    import nbformat
    nb = nbformat.read(SOLUTION, as_version=4)
    k = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "ch02-ex1-solution")
    first = nbformat.from_dict(dict(nb.cells[k], id="pasted-copy",
                                    source="def rnn_step_forward(*a):\n    raise NotImplementedError()\n"))
    nb.cells.insert(k, first)  # the superseded copy comes first, as after a copy and paste
    path = tmp_path / "dup.ipynb"
    nbformat.write(nb, path)
    out, _ = _cli("grade", "02_rnn", str(path), "--no-gradebook")
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip().splitlines()[-1]
    assert line.split()[1] == "12" and "appears twice" in line, line
