"""Write the instructor's notebooks ``solutions/<assignment>/exercises.ipynb`` from one chapter module each.

    python -m autograder.authoring            # write every chapter's solutions notebook
    python -m autograder.authoring ch02 ch05  # only these
    python -m autograder.authoring --expected # freeze the linspace cases' expected numbers (checks/_expected.py)

A chapter module (``autograder.authoring.chNN``) gives ``TITLE``, ``INTRO`` (markdown) and ``EXERCISES``, a
list of :class:`Exercise`: the check it is graded by, the markdown that states the task with its equations,
and the code cell with a fully documented function whose body sits between ``### BEGIN SOLUTION`` and
``### END SOLUTION``. The test cell of each exercise is always the same two calls of
:func:`autograder.notebook.run_check`, so the checks live only in :mod:`autograder.checks`.
The committed notebooks are the source of truth (nbgrader reads them); this script only keeps them uniform.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

import nbformat

from ..checks import ASSIGNMENTS, get_check

__all__ = ["Exercise", "build_notebook", "write_chapter", "ROOT"]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class Exercise:
    """check: the id of the check (and grade_id of the test cell); text: markdown; code: the solution cell."""

    check: str
    text: str
    code: str


def _fmt_points(p: float) -> str:
    return f"{p:g}"


def _md(cid: str, source: str, locked: bool = True) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source.strip("\n"), id=cid)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": cid, "locked": locked, "schema_version": 3,
                                 "solution": False, "task": False}
    return cell


def _code(cid: str, source: str, *, solution=False, grade=False, points=None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source.strip("\n"), id=cid)
    meta = {"grade": grade, "grade_id": cid, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _tolerance(c) -> str:
    """How the check compares, as the exercise states it."""
    if c.rtol == 0 and c.atol == 0:
        return "scored on the stated target, not compared number by number"
    num = lambda x: f"{x:g}".replace("e-0", "e-")  # noqa: E731  (1e-6, not 1e-06)
    return f"compared with the reference at rtol {num(c.rtol)}, atol {num(c.atol)}"


def _header(chapter: str, title: str, intro: str, exercises: list[Exercise]) -> str:
    rows = []
    total = 0.0
    for k, ex in enumerate(exercises, 1):
        c = get_check(ex.check)
        fn = ", ".join(f"`{f}`" for f in c.functions)
        rows.append(f"| {k} | {fn} | {c.description} | {_fmt_points(c.points)} |")
        total += c.points
    table = "\n".join(["| # | you write | what it does | points |", "|---|---|---|---|", *rows,
                       f"| | | **total** | **{_fmt_points(total)}** |"])
    return f"""# {title}

{intro.strip()}

## Points

{table}

Each exercise is graded by one test cell. Its visible cases (shapes, a `np.linspace` case with known numbers,
random inputs) run here as you work; hidden cases (other random seeds, edge cases such as T = 1 or H ≠ D)
run when your notebook is graded, against the reference implementation. In nbgrader a test cell scores all
its points or none; the course's autograder gives each case its share.

## Numbers

Every input is float64 (NumPy arrays; in a PyTorch exercise, float64 tensors), and each result is compared
with the reference's elementwise, |yours − reference| ≤ atol + rtol · |reference|, with the tolerances
stated under each exercise. Work in float64 throughout: NumPy keeps float64 unless you ask for less.
A float32 intermediate (`astype(np.float32)`, `dtype=np.float32`,
`torch.float32`) keeps only about 7 significant digits, the size of an rtol of 1e-6 itself: it passes some
cases and fails others, and the points it loses are not given back. Any correct order of operations, loops
or vectorised code, is fine: float64 rounding differences are far below the tolerances.

## Before you submit

Write your code only between the function's signature and its end, replacing `raise NotImplementedError()`.
Use NumPy only (unless an exercise says otherwise); do not import `rnnbook`. Then **Kernel → Restart & Run
All** and check that every test cell prints ✓ lines and no error; or, from a terminal,
`autograder check exercises.ipynb`.
"""


def build_notebook(chapter: str) -> nbformat.NotebookNode:
    """The solutions notebook of ``chapter`` (``"ch02"``) as an nbformat 4.5 notebook."""
    mod = importlib.import_module(f"{__name__}.{chapter}")
    exercises: list[Exercise] = mod.EXERCISES
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 5
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    cells = [_md(f"{chapter}-header", _header(chapter, mod.TITLE, mod.INTRO, exercises)),
             _code(f"{chapter}-setup", getattr(mod, "SETUP", "import numpy as np\n\n"
                                                        "from autograder.notebook import run_check"))]
    for k, ex in enumerate(exercises, 1):
        c = get_check(ex.check)
        assert c.chapter == chapter, (c.id, chapter)
        assert "### BEGIN SOLUTION" in ex.code and "### END SOLUTION" in ex.code, ex.check
        text = ex.text.strip() + f"\n\n*{_fmt_points(c.points)} points* (test cell `{c.id}`; {_tolerance(c)})."
        cells.append(_md(f"{chapter}-ex{k}-task", f"## Exercise {k}: " + text))
        cells.append(_code(f"{chapter}-ex{k}-solution", ex.code, solution=True))
        # `_ =`: a number displayed as a cell's result would read as partial credit to nbgrader
        test = (f'_ = run_check("{c.id}", globals())\n'
                f"### BEGIN HIDDEN TESTS\n"
                f'_ = run_check("{c.id}", globals(), hidden=True)\n'
                f"### END HIDDEN TESTS")
        cells.append(_code(c.id, test, grade=True, points=c.points))
    nb.cells = cells
    return nb


def notebook_path(kind: str, chapter: str) -> str:
    """``solutions/<assignment>/exercises.ipynb`` (kind="solutions") or ``chapters/…`` (kind="chapters")."""
    return os.path.join(ROOT, kind, ASSIGNMENTS[chapter], "exercises.ipynb")


def write_chapter(chapter: str) -> str:
    path = notebook_path("solutions", chapter)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    nb = build_notebook(chapter)
    nbformat.validate(nb)
    with open(path, "w", encoding="utf-8") as f:
        f.write(nbformat.writes(nb) + "\n")
    return path
