"""The student's bundle (``autograder release``): nothing of the grader in it, and it works on its own.

1. Released for every chapter into a temporary folder, no file of the bundle holds a solution body (the code
   between BEGIN/END SOLUTION in solutions/), a line of a reference function's source, a hidden case's name
   or a hidden case's input arrays.
2. Installed with pip into a fresh venv that cannot import autograder, rnnbook or nbgrader, every chapter's
   notebook filled with the instructor's answers passes every visible check in that venv's kernel (run by
   nbconvert, and by ``pytest --nbval-lax`` inside the venv), and wrong answers show ✗ with the reason.
"""

from __future__ import annotations

import os
import re
import subprocess

import nbformat
import numpy as np
import pytest

import student_bundle_helpers as h
from autograder.checks import ASSIGNMENTS, CHAPTER_OF_ASSIGNMENT, all_checks, chapter_checks
from autograder.notebook import DEFAULT_SECRET
from autograder.release import release
from autograder.spec import case_rng, hidden_rng

pytestmark = pytest.mark.slow
CHAPTERS = list(ASSIGNMENTS.values())


@pytest.fixture(scope="session")
def bundle(tmp_path_factory):
    """The bundle as a student gets it: released with its zip, and the zip unpacked somewhere else."""
    import zipfile
    made = tmp_path_factory.mktemp("release")
    release(CHAPTERS, str(made / "student"), zip_path=str(made / "student.zip"))
    got = tmp_path_factory.mktemp("download")
    with zipfile.ZipFile(made / "student.zip") as z:
        z.extractall(got)
    return str(got / "student")


@pytest.fixture(scope="session")
def texts(bundle):
    return h.bundle_texts(bundle)


@pytest.fixture(scope="session")
def student(bundle, tmp_path_factory):
    """(python, jupyter dir with its kernelspec, kernel name, a work folder) of the student's venv."""
    root = tmp_path_factory.mktemp("student")
    py = h.make_student_venv(str(root / "venv"), bundle)
    jup = str(root / "jupyter")
    work = root / "work"
    work.mkdir()
    return py, jup, h.kernelspec(jup, py), str(work)


# -------------------------------------------------------------------------------------------- 1. no leak
def test_the_bundle_holds_the_notebooks_and_the_checker(bundle):
    for a in CHAPTERS:
        nb = nbformat.read(os.path.join(bundle, a, "exercises.ipynb"), as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "from rnncheck import run_check" in code and "autograder" not in code
        from nbgrader.utils import compute_checksum  # nbgrader still sees every locked cell as released
        for c in nb.cells:
            meta = c.metadata.get("nbgrader", {})
            if "checksum" in meta:
                assert meta["checksum"] == compute_checksum(c), (a, meta.get("grade_id"))
    data = sorted(os.listdir(os.path.join(bundle, "rnncheck", "data")))
    assert data == [f"{ch}.json" for ch in ASSIGNMENTS]
    import tomllib
    with open(os.path.join(bundle, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    assert project["name"] == "rnncheck"
    assert [d.split(">")[0] for d in project["dependencies"]] == ["numpy", "torch"]  # torch: chapter 5


def test_no_solution_body_in_the_bundle(texts):
    bodies = h.solution_bodies()
    assert len(bodies) >= 30
    leaks = []
    for a, gid, body in bodies:
        lines = h.telling_lines(body, h.released_lines(a))
        for path, text in texts.items():
            if body.strip() in text:
                leaks.append(f"{gid}: the whole body in {path}")
            leaks += [f"{gid}: {ln!r} in {path}" for ln in lines if ln in text]
    assert not leaks, "\n".join(leaks[:20])


def test_no_reference_source_in_the_bundle(texts):
    sources = h.reference_sources()
    names = {n.rsplit(".", 1)[1] for n, _ in sources}
    assert {"lstm_step_backward", "train_char_model", "combine", "rnn_step_forward"} <= names
    known = set().union(*(h.released_lines(a) for a in CHAPTERS))
    leaks = []
    for name, src in sources:
        for ln in h.telling_lines(src, known):
            leaks += [f"{name}: {ln!r} in {path}" for path, text in texts.items() if ln in text]
    assert not leaks, "\n".join(leaks[:20])


def test_no_reference_like_helper_of_the_checks_in_the_bundle(texts):
    """The forward passes the grader's checks build caches and losses with (lstm_cache, two_layer_loss, ...).
    ch07's ``evaluate`` is left out: cutting the text into windows is what the given model's evaluation in
    rnncheck/_ch07.py must do too (its forward, ``_forward``, is in the list)."""
    import inspect
    from autograder.checks import ch01, ch03, ch04, ch05, ch06, ch07, ch08, ch09
    helpers = [ch01.two_layer_loss, ch03.rnn_states, ch04.long_lag_loss_and_grads, ch05.lstm_cache, ch06.gru_cache,
               ch07._forward, ch07.char_rnn_loss_and_grads, ch08.additive_cache, ch09.layer_norm_cache]
    known = set().union(*(h.released_lines(a) for a in CHAPTERS))
    leaks = []
    for f in helpers:
        for ln in h.telling_lines(inspect.getsource(f), known):
            leaks += [f"{f.__module__}.{f.__name__}: {ln!r} in {p}" for p, t in texts.items() if ln in t]
    assert not leaks, "\n".join(leaks[:20])


def test_no_hidden_case_in_the_bundle(bundle, texts):
    import json
    shipped = h.shipped_arrays(bundle)
    assert len(shipped) > 100
    for ch in ASSIGNMENTS:
        with open(os.path.join(bundle, "rnncheck", "data", f"{ch}.json")) as f:
            data = json.load(f)["checks"]
        for check in chapter_checks(ch):
            assert [c["name"] for c in data[check.id]["cases"]] == [c.name for c in check.cases if c.visible]
            for case in check.cases:
                if case.visible:
                    continue
                for rng in (case_rng(DEFAULT_SECRET, check.id, case.name),
                            hidden_rng(DEFAULT_SECRET, "student", check.id, case.name)):
                    for a in h.arrays_of(case.inputs(rng)):
                        if a.dtype.kind == "f" and a.size >= 4 and np.ptp(a) > 0:  # (zeros are everywhere)
                            key = h.hashlib.sha256(a.astype(np.float64).tobytes()).hexdigest()
                            assert key not in shipped, f"{check.id} [{case.name}]: hidden input at {shipped[key]}"
    checker = {p: t for p, t in texts.items() if "rnncheck" in p}
    for check in all_checks().values():
        visible = {c.name for c in check.cases if c.visible}
        for case in check.cases:
            if not case.visible and case.name not in visible and len(case.name) >= 10:
                assert not [p for p, t in checker.items() if f'"{case.name}"' in t], (check.id, case.name)


def test_the_checker_imports_nothing_of_the_grader(bundle):
    pkg = os.path.join(bundle, "rnncheck")
    for f in os.listdir(pkg):
        if f.endswith(".py"):
            with open(os.path.join(pkg, f)) as fh:
                src = fh.read()
            for mod in h.GRADER:
                assert not re.search(rf"^\s*(import|from)\s+{mod}\b", src, re.M), (f, mod)


# ---------------------------------------------------------------------------- 2. the student's environment
WRONG = {  # grade_id of a solution cell -> a wrong answer, and the check that must show ✗
    "02_rnn": ({"ch02-ex1-solution": "import numpy as np\n\ndef rnn_step_forward(x, prev_h, Wx, Wh, b):\n"
                                     "    next_h = np.tanh(x @ Wx + prev_h @ Wh)  # b forgotten\n"
                                     "    return next_h, None\n"}, "ch02_rnn_step_forward"),
    "01_feedforward": ({"ch01-ex6-solution": "import numpy as np\n\ndef numerical_gradient(f, x, h=1e-5):\n"
                                             "    grad = np.zeros_like(x)\n    f0 = f()\n"
                                             "    for i in np.ndindex(x.shape):\n        old = x[i]\n"
                                             "        x[i] = old + 2 * h\n        grad[i] = (f() - f0) / (2 * h)\n"
                                             "        x[i] = old\n    return grad\n"},
                       "ch01_numerical_gradient"),
    # the instructor's answer, then one gradient scaled: the compare case and the gradient check both fail
    "05_lstm": ({"ch05-ex2-solution": lambda right: right + "\n\n_right = lstm_step_backward\n\n\n"
                 "def lstm_step_backward(dnext_h, dnext_c, cache):\n"
                 "    g = list(_right(dnext_h, dnext_c, cache))\n    g[3] = 1.1 * g[3]\n    return tuple(g)\n"},
                "ch05_lstm_step_backward"),
    # clipping ignored: the loop leaves the tabulated trajectory of loss_and_grads in the clipped case
    "04_gradients": ({"ch04-ex3-solution": lambda right: right + "\n\n_right = train_long_lag\n\n\n"
                      "def train_long_lag(loss_and_grads, params, lr, steps, max_norm=None):\n"
                      "    return _right(loss_and_grads, params, lr, steps, None)\n"},
                     "ch04_train_long_lag"),
}


@pytest.fixture(scope="session")
def executed(student, bundle):
    """Every chapter filled with the instructor's answers, and the WRONG variants, run in the student's kernel."""
    py, jup, kernel, work = student
    paths = {}
    for a in CHAPTERS:
        paths[a] = os.path.join(work, f"{a}.ipynb")
        nbformat.write(h.filled(os.path.join(bundle, a, "exercises.ipynb"), a), paths[a])
    for a, (wrong, _) in WRONG.items():
        paths["wrong " + a] = os.path.join(work, f"wrong_{a}.ipynb")
        nbformat.write(h.filled(os.path.join(bundle, a, "exercises.ipynb"), a, wrong), paths["wrong " + a])
    h.execute(list(paths.values()), kernel, jup)
    return {k: h.outputs(p) for k, p in paths.items()}


def test_the_student_environment_has_no_grader(student):
    py, _, _, work = student
    h.assert_isolated(py, work)


@pytest.mark.parametrize("assignment", CHAPTERS)
def test_correct_answers_pass_every_visible_check(executed, assignment):
    lines, errors = executed[assignment]
    assert not errors, errors
    assert lines[-1] == "grader importable: []"
    for check in chapter_checks(CHAPTER_OF_ASSIGNMENT[assignment]):
        mine = [ln for ln in lines if ln.split(" ")[1:2] == [check.id]]
        assert len(mine) == sum(c.visible for c in check.cases), (check.id, mine)
        assert all(ln.startswith("✓") for ln in mine), mine


@pytest.mark.parametrize("assignment", list(WRONG))
def test_a_wrong_answer_shows_a_cross(executed, assignment):
    lines, errors = executed["wrong " + assignment]
    failing = WRONG[assignment][1]
    crosses = [ln for ln in lines if ln.startswith("✗")]
    assert crosses and all(ln.split(" ")[1] == failing for ln in crosses), crosses
    assert any(e.startswith(f"AssertionError: {failing}: ") for e in errors), errors
    assert len(errors) == 1  # the other checks of the notebook still pass
    assert sum(ln.startswith("✓") for ln in lines) > 0
    if assignment == "05_lstm":
        assert any("[gradient check] raised AssertionError: gradient check: output 3 differs" in ln for ln in crosses)
    if assignment == "04_gradients":
        assert [ln.split("]")[0] for ln in crosses] == ["✗ ch04_train_long_lag [clipped, T=8"], crosses


def test_nbval_passes_the_filled_notebooks_in_the_student_environment(student, executed):
    py, _, _, work = student
    nbs = sorted(os.path.join(work, f"{a}.ipynb") for a in CHAPTERS)
    r = subprocess.run([py, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", *nbs], cwd=work,
                       env=h.clean_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout.splitlines()[-1] and "failed" not in r.stdout.splitlines()[-1]


def test_release_command(tmp_path):
    from autograder.cli import main
    assert main(["release", "10_linear_rnns", "ch02", "--out", str(tmp_path / "b"), "--zip",
                 str(tmp_path / "b.zip")]) == 0
    assert sorted(os.listdir(tmp_path / "b" / "rnncheck" / "data")) == ["ch02.json", "ch10.json"]
    assert not os.path.exists(tmp_path / "b" / "rnncheck" / "_given.py")  # ch07's model ships with ch07 only
    assert not os.path.exists(tmp_path / "b" / "rnncheck" / "__pycache__")
    assert (tmp_path / "b.zip").stat().st_size > 1000
    assert main(["release", "11_nothing", "--out", str(tmp_path / "c")]) == 2
