"""Helpers of the whole-term tests: an nbgrader course folder, the real ``nbgrader`` and ``autograder`` commands
run in it as an instructor runs them (``cwd`` = the course), and students' notebooks made from the release.

Imported by name (``from term_corpus import …``): every test folder's ``conftest.py`` is a module called
``conftest``, so helpers never live there.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import subprocess
import sys

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTION = os.path.join(ROOT, "solutions", "02_rnn", "exercises.ipynb")
BIN = os.path.join(ROOT, ".venv", "bin")
ASSIGNMENT = "02_rnn"

# One function wrong on every case (the step adds 1): its check scores 0, the other three keep their points.
WRONG_STEP = ("import numpy as np\ndef rnn_step_forward(x, prev_h, Wx, Wh, b):\n"
              "    next_h = np.tanh(x @ Wx + prev_h @ Wh + b) + 1.0\n    return next_h, None\n")
# Wrong only where the batch holds more than one row (the first row's state for every row): partial credit.
WRONG_BATCH = ("import numpy as np\ndef rnn_step_forward(x, prev_h, Wx, Wh, b):\n"
               "    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)\n    next_h = next_h[:1] + 0 * next_h\n"
               "    return next_h, None\n")

# ivan's own rnn_forward (correct, his style); judy copies it, renames every name and pads it: the similarity
# report must name the pair, and nobody else (the rest of the class shares the instructor's text: boilerplate).
IVAN = ("import numpy as np\ndef rnn_forward(x, h0, Wx, Wh, b):\n    steps = []\n    state = h0\n"
        "    for i in range(x.shape[1]):\n        pre = x[:, i, :] @ Wx + state @ Wh + b\n"
        "        state = np.tanh(pre)\n        steps.append(state)\n    h = np.stack(steps, axis=1)\n"
        "    cache = (x, h0, Wx, Wh, h)\n    return h, cache\n")
JUDY = ("import numpy as np\n\n\ndef rnn_forward(x, h0, Wx, Wh, b):\n    # my own loop over time\n    outs = []\n"
        "    s = h0\n    n_steps = x.shape[1]\n    for k in range(n_steps):\n"
        "        a = x[:, k, :] @ Wx + s @ Wh + b\n        s = np.tanh(a)\n        outs.append(s)\n"
        "    hs = np.stack(outs, axis=1)\n    cache = (x, h0, Wx, Wh, hs)\n    return hs, cache\n")


def make_course(course, db_url: str, exchange) -> None:
    """An nbgrader course folder: ``nbgrader_config.py`` (course id, gradebook, exchange), ``source/02_rnn``
    (the instructor's notebook), and the folders nbgrader expects to exist."""
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "source" / ASSIGNMENT / "exercises.ipynb").write_bytes(open(SOLUTION, "rb").read())
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o777)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.course_id = 'rnn-term'\n"
        f"c.CourseDirectory.db_url = {db_url!r}\n"
        "c.CourseDirectory.ignore = ['.ipynb_checkpoints', '*.pyc', '__pycache__', '*.py']\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.Exchange.timezone = 'UTC'\n"
        "c.ExecutePreprocessor.timeout = 120\n")


SECRET = secrets.token_hex(32)   # the course's secret: one for the whole term (hidden cases are drawn from it)


def env() -> dict:
    """The instructor's environment: the venv's ``bin`` first (nbgrader runs ``alembic``), the course secret."""
    return dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""), AUTOGRADER_SECRET=SECRET)


def run(course, *cmd, check: bool = True, timeout: float = 240, environ: dict | None = None):
    out = subprocess.run(list(cmd), cwd=course, env=environ or env(), capture_output=True, text=True,
                         timeout=timeout)
    if check:
        assert out.returncode == 0, (cmd, out.stdout[-3000:], out.stderr[-3000:])
    return out


def nbgrader(course, *args, **kw):
    return run(course, sys.executable, "-m", "nbgrader", *args, **kw)


def autograder(course, *args, **kw):
    return run(course, sys.executable, "-m", "autograder", *args, **kw)


def solution_sources() -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(SOLUTION, as_version=4).cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def hand_in(course, home, release, student: str, replace: dict | None = None, *, stub: bool = False,
            name: str = "exercises.ipynb", only: bool = False) -> None:
    """The student's side: ``home/<student>/02_rnn/<name>`` made from the released notebook (the solution cells
    filled in from the instructor's solution, except those in ``replace``; left as released when ``stub``),
    then ``nbgrader submit`` of that folder to the course's exchange (``only``: remove exercises.ipynb first)."""
    sol = solution_sources()
    nb = nbformat.read(release, as_version=4)
    for c in nb.cells:
        m = c.metadata.get("nbgrader", {})
        if m.get("solution") and not stub:
            c.source = (replace or {}).get(m["grade_id"], sol[m["grade_id"]])
    folder = home / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / name))
    if only and (folder / "exercises.ipynb").exists():
        (folder / "exercises.ipynb").unlink()


def submit_all(course, home, exchange, students) -> None:
    """``nbgrader submit 02_rnn`` as each student (``--student``), from the student's own folder (four at once,
    as students do not wait for each other)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(s):
        run(home / s, sys.executable, "-m", "nbgrader", "submit", ASSIGNMENT, "--course", "rnn-term",
            f"--student={s}", f"--Exchange.root={exchange}", f"--Exchange.cache={home / s / '.cache'}")
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, students))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
