"""A throw-away nbgrader course around one instructor notebook, for running real ``nbgrader`` beside this grader
(the side-by-side benchmark and the same-scores test use it)."""

from __future__ import annotations

import pathlib
import shutil

__all__ = ["make_nbgrader_course"]


def make_nbgrader_course(course: pathlib.Path, assignment: str, notebook: pathlib.Path,
                         db: pathlib.Path) -> None:
    """Lay out ``course/source/<assignment>/exercises.ipynb`` (a copy of ``notebook``) and a ``nbgrader_config.py``
    whose gradebook is the SQLite file ``db``. Run ``nbgrader`` with ``cwd=course`` afterwards."""
    source = course / "source" / assignment
    source.mkdir(parents=True)
    shutil.copy(notebook, source / "exercises.ipynb")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'rnnbook'\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{db}'\n"
        "c.CourseDirectory.ignore = ['.ipynb_checkpoints', '*.pyc', '__pycache__', '*.py']\n"
        "c.ExecutePreprocessor.timeout = 120\n")
