"""Write grades into nbgrader's gradebook through nbgrader's own API and models.

The assignment, its notebook, grade cells and solution cells are created as ``nbgrader generate_assignment``
would (``update_or_create_*``), so ``nbgrader export`` and formgrader see the grades. A submission's grades,
its feedback comments and the grader's record of what it graded (``autograder_graded``: student, assignment,
notebook hash) are written in ONE transaction: a run killed in the middle leaves either all of a
submission's grades or none, and the next run grades what is missing (re-grading an unchanged submission
is skipped unless ``force``; re-grading updates rows in place, never duplicates them).
"""

from __future__ import annotations

import datetime as dt
import os

import sqlalchemy as sa
from nbgrader.api import Comment, Grade, Gradebook, MissingEntry, SubmittedAssignment, SubmittedNotebook

from .engine import Result
from .template import Template

__all__ = ["GradebookWriter", "NOTEBOOK", "normalise_url"]

NOTEBOOK = "exercises"

_meta = sa.MetaData()
_graded = sa.Table(
    "autograder_graded", _meta,
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("assignment", sa.String(128), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("graded_at", sa.DateTime, nullable=False),
)


def _timestamp(path: str) -> dt.datetime:
    """When the submission arrived in the course's ``submitted/`` folder (naive UTC): the notebook's inode
    change time, which the kernel sets when the file is written there (by ``nbgrader collect`` or by the
    instructor) and nobody can set by hand, never a ``timestamp.txt`` that a student's folder may carry.
    Now, if the file cannot be read."""
    try:
        return dt.datetime.fromtimestamp(os.lstat(path).st_ctime, dt.timezone.utc).replace(tzinfo=None)
    except OSError:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def normalise_url(url: str) -> str:
    """``postgresql://`` with the driver that is installed (SQLAlchemy 2.1 defaults to psycopg 3)."""
    if url.startswith(("postgresql://", "postgres://")):
        import importlib.util
        driver = "psycopg" if importlib.util.find_spec("psycopg") else "psycopg2"
        url = f"postgresql+{driver}://" + url.split("://", 1)[1]
        if "connect_timeout" not in url:  # an unreachable server is an error within seconds, not a hang
            url += ("&" if "?" in url else "?") + "connect_timeout=5"
    return url


class GradebookWriter:
    """Open nbgrader's gradebook at ``db_url`` (``sqlite:///…`` or ``postgresql://…``) for one assignment."""

    def __init__(self, db_url: str, template: Template, assignment: str, course_id: str = "rnnbook"):
        self.gb = Gradebook(normalise_url(db_url), course_id=course_id)
        self.assignment = assignment
        _meta.create_all(self.gb.engine)
        self.gb.update_or_create_assignment(assignment)
        self.gb.update_or_create_notebook(NOTEBOOK, assignment)
        for gid, pts in template.test_points.items():
            self.gb.update_or_create_grade_cell(gid, NOTEBOOK, assignment, max_score=pts, cell_type="code")
        for gid in template.solution_ids:
            self.gb.update_or_create_solution_cell(gid, NOTEBOOK, assignment)

    def close(self):
        self.gb.close()

    def already_graded(self, student: str, sha256: str) -> bool:
        row = self.gb.db.execute(sa.select(_graded.c.sha256).where(
            _graded.c.student == student, _graded.c.assignment == self.assignment)).first()
        return row is not None and row[0] == sha256

    def write(self, res: Result) -> None:
        """All of ``res``'s grades, comments and the graded record, in one transaction."""
        db = self.gb.db
        try:
            try:
                self.gb.find_student(res.student)
            except MissingEntry:
                from nbgrader.api import Student
                db.add(Student(id=res.student))
                db.flush()
            assignment = self.gb.find_assignment(self.assignment)
            try:
                sub = self.gb.find_submission(self.assignment, res.student)
            except MissingEntry:
                with db.no_autoflush:
                    sub = SubmittedAssignment(assignment=assignment, student_id=res.student)
                    for notebook in assignment.notebooks:
                        nb = SubmittedNotebook(notebook=notebook, assignment=sub)
                        for gc in notebook.grade_cells:
                            Grade(cell_id=gc.id, notebook=nb)
                        for sc in notebook.solution_cells:
                            Comment(cell_id=sc.id, notebook=nb)
                    db.add(sub)
                db.flush()
            if sub.timestamp is None:  # a time nbgrader already recorded for this submission is kept
                sub.timestamp = _timestamp(res.path)
            snb = next(nb for nb in sub.notebooks if nb.name == NOTEBOOK)
            by_id = {c.id: c for c in res.checks}
            for g in snb.grades:
                cr = by_id.get(g.name)
                g.auto_score = cr.score if cr else 0.0
                g.needs_manual_grade = False
            text = "\n".join(([f"error: {res.error}"] if res.error else []) + res.flags)
            for c in snb.comments:
                c.auto_comment = text or None
            db.execute(sa.delete(_graded).where(_graded.c.student == res.student,
                                                 _graded.c.assignment == self.assignment))
            db.execute(sa.insert(_graded).values(student=res.student, assignment=self.assignment,
                                                 sha256=res.sha256 or "", score=res.score,
                                                 graded_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)))
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def scores(self) -> dict[str, dict[str, float]]:
        """student -> {grade_id: auto_score} for this assignment (what export reads)."""
        out: dict[str, dict[str, float]] = {}
        for sub in self.gb.assignment_submissions(self.assignment):
            nb = next(nb for nb in sub.notebooks if nb.name == NOTEBOOK)
            out[sub.student.id] = {g.name: (g.auto_score or 0.0) for g in nb.grades}
        return out
