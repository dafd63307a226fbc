"""The exercise notebooks through real nbgrader: validate, drift, and a whole course graded end to end.

- every solutions notebook passes ``nbgrader validate``;
- the committed student copies are exactly what ``python -m autograder.generate`` produces (no drift);
- in a course built in a temporary folder (``generate_assignment``, two submissions per assignment,
  ``autograde``, ``export``): the instructor's solutions score full marks, the untouched student copies
  score 0, and every graded cell of an untouched copy fails with NotImplementedError;
- the notebooks' test cells are the uniform ``run_check`` calls, with the check's points.
"""

import csv
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.checks import CHAPTER_OF_ASSIGNMENT, chapter_checks
from autograder.generate import ROOT, assignments, generate, student_notebook

ASSIGNMENTS = assignments()
BIN = os.path.dirname(sys.executable)
ENV = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", ""), "MPLBACKEND": "Agg"}


def _nbgrader(args, cwd, timeout=600):
    return subprocess.run([os.path.join(BIN, "nbgrader"), *args], cwd=cwd, env=ENV, capture_output=True,
                          text=True, timeout=timeout)


def _solutions(name):
    return os.path.join(ROOT, "solutions", name, "exercises.ipynb")


def test_every_chapter_has_a_solutions_notebook_and_a_student_copy():
    assert ASSIGNMENTS, "no solutions notebooks found"
    for name in ASSIGNMENTS:
        assert os.path.exists(student_notebook(name)), f"{name}: run `make exercises`"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_test_cells_are_the_checks_of_the_chapter(name):
    nb = nbformat.read(_solutions(name), as_version=4)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    checks = chapter_checks(CHAPTER_OF_ASSIGNMENT[name])
    assert [c.metadata.nbgrader.grade_id for c in graded] == [c.id for c in checks]
    for cell, check in zip(graded, checks):
        assert cell.metadata.nbgrader.points == check.points > 0
        assert f'_ = run_check("{check.id}", globals())' in cell.source
        assert "### BEGIN HIDDEN TESTS" in cell.source
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(solutions) == len(checks)
    assert all("### BEGIN SOLUTION" in c.source and '"""' in c.source for c in solutions)
    total = sum(c.points for c in checks)
    assert f"**{total:g}**" in nb.cells[0].source  # the header states the total


@pytest.mark.slow
def test_student_copies_do_not_drift_from_nbgrader_output(tmp_path):
    texts = generate(ASSIGNMENTS, str(tmp_path))
    for name, text in texts.items():
        with open(student_notebook(name), encoding="utf-8") as f:
            assert f.read() == text, f"chapters/{name}/exercises.ipynb is stale: run `make exercises`"
        assert "raise NotImplementedError()" in text and "### BEGIN SOLUTION" not in text
        assert "BEGIN HIDDEN TESTS" not in text


@pytest.mark.slow
def test_nbgrader_validate_passes_on_every_solutions_notebook(tmp_path):
    paths = []
    for name in ASSIGNMENTS:  # validate copies, so that no executed output lands in the repository
        os.makedirs(tmp_path / name)
        paths.append(str(shutil.copy(_solutions(name), tmp_path / name / "exercises.ipynb")))
    proc = _nbgrader(["validate", *paths], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "VALIDATION FAILED" not in proc.stdout, proc.stdout[-5000:]
    assert proc.stdout.count("Success! Your notebook passes all the tests.") == len(paths), proc.stdout[-5000:]


COURSE_CONFIG = """
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.CourseDirectory.course_id = "rnnbook-test"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ExecutePreprocessor.timeout = 300
"""


def _api(root):
    """nbgrader's Python API on the course in ``root`` (in-process: no start-up cost per command)."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    return NbGraderAPI(config=PyFileConfigLoader("nbgrader_config.py", path=root).load_config())


def _ok(result, what):
    assert result["success"], f"{what} failed:\n{result.get('log', '')[-3000:]}\n{result.get('error', '')}"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's own session handling, harmless
def test_real_course_solutions_full_marks_untouched_zero(tmp_path, monkeypatch):
    root = str(tmp_path)
    with open(tmp_path / "nbgrader_config.py", "w") as f:
        f.write(COURSE_CONFIG.format(root=root))
    monkeypatch.setenv("PATH", ENV["PATH"])  # nbgrader runs alembic from the venv's bin
    monkeypatch.chdir(tmp_path)
    api = _api(root)
    for name in ASSIGNMENTS:
        shutil.copytree(os.path.join(ROOT, "solutions", name), tmp_path / "source" / name)
        _ok(api.generate_assignment(name, force=True, create=True), f"generate_assignment {name}")
        for student, src in (("solver", _solutions(name)), ("idle", tmp_path / "release" / name / "exercises.ipynb")):
            dest = tmp_path / "submitted" / student / name
            os.makedirs(dest)
            shutil.copy(src, dest / "exercises.ipynb")
            (dest / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
            _ok(api.autograde(name, student, force=True, create=True), f"autograde {name} {student}")
    proc = _nbgrader(["export", "--to", str(tmp_path / "grades.csv")], cwd=root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / "grades.csv") as f:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    for name in ASSIGNMENTS:
        total = sum(c.points for c in chapter_checks(CHAPTER_OF_ASSIGNMENT[name]))
        solved, idle = rows[(name, "solver")], rows[(name, "idle")]
        assert float(solved["max_score"]) == total
        assert float(solved["score"]) == total, f"{name}: the solutions notebook scored {solved['score']}/{total}"
        assert float(idle["score"]) == 0.0, f"{name}: an untouched copy scored {idle['score']}"
        graded = nbformat.read(tmp_path / "autograded" / "idle" / name / "exercises.ipynb", as_version=4)
        for cell in graded.cells:
            if cell.metadata.get("nbgrader", {}).get("grade"):
                errors = [o for o in cell.outputs if o.output_type == "error"]
                assert errors and errors[0].ename == "NotImplementedError", (name, cell.metadata.nbgrader.grade_id)
