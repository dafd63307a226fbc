"""Write grades into nbgrader's gradebook through nbgrader's own API and models.

The assignment, its notebook, grade cells and solution cells are created as ``nbgrader generate_assignment``
would (``update_or_create_*``), so ``nbgrader export`` and formgrader see the grades. A submission's grades,
its feedback comments and the grader's record of what it graded (``autograder_graded``: student, assignment,
notebook hash, and the score it wrote per cell in ``autograder_cells``) are written in ONE transaction: a
run killed in the middle leaves either all of a submission's grades or none, and the next run grades what is
missing (re-grading an unchanged submission is skipped unless ``force``; re-grading updates rows in place,
never duplicates them). Only ``Grade.auto_score`` and ``Comment.auto_comment`` are written: what a grader
entered in formgrader (``manual_score``, ``manual_comment``, extra credit) survives a re-grade.

:meth:`GradebookWriter.status` tells a submission whose cells no longer hold what this grader wrote (``nbgrader
autograde`` graded it since, or graded it first) from one this grader graded unchanged, so that either grader's
scores are never mixed in one submission: a run re-grades the former only when forced, and says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import stat

import nbgrader.api as _nbgrader_api
import sqlalchemy as sa
from nbgrader.api import Comment, Grade, Gradebook, MissingEntry, SubmittedAssignment, SubmittedNotebook

from .engine import Result
from .late import assign, describe
from .report import gradescope
from .template import Template

__all__ = ["GradebookWriter", "NOTEBOOK", "normalise_url", "stored_results"]

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
_cells = sa.Table(  # what this grader wrote per cell: a cell holding anything else was graded by someone else
    "autograder_cells", _meta,
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("assignment", sa.String(128), primary_key=True),
    sa.Column("cell", sa.String(128), primary_key=True),
    sa.Column("auto_score", sa.Float, nullable=False),
)
_results = sa.Table(  # the Gradescope results.json of the last grading (report.gradescope), for export
    "autograder_results", _meta,
    sa.Column("student", sa.String(128), primary_key=True),
    sa.Column("assignment", sa.String(128), primary_key=True),
    sa.Column("doc", sa.Text, nullable=False),
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


def arrival(path: str, sha256: str, inbound: list[str] = ()) -> dt.datetime:
    """When the submission reached the instructor: the earliest inode change time of this notebook's bytes,
    in ``submitted/`` or in the exchange's ``inbound`` copies ``inbound`` that hold the same bytes (where
    ``nbgrader submit`` wrote it; ``nbgrader collect`` copies it to ``submitted/`` later, maybe after the due
    date). Nobody can set a change time back, so a copy proves the bytes were there by then."""
    best = _timestamp(path)
    for cand in inbound:
        try:
            fd = os.open(cand, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > (64 << 20):
                continue
            if hashlib.sha256(f.read()).hexdigest() != sha256:
                continue
        when = dt.datetime.fromtimestamp(st.st_ctime, dt.timezone.utc).replace(tzinfo=None)
        best = min(best, when)
    return best


def normalise_url(url: str) -> str:
    """``postgresql://`` with the driver that is installed (SQLAlchemy 2.1 defaults to psycopg 3)."""
    if url.startswith(("postgresql://", "postgres://")):
        import importlib.util
        driver = "psycopg" if importlib.util.find_spec("psycopg") else "psycopg2"
        url = f"postgresql+{driver}://" + url.split("://", 1)[1]
        if "connect_timeout" not in url:  # an unreachable server is an error within seconds, not a hang
            url += ("&" if "?" in url else "?") + "connect_timeout=5"
    return url


def alembic_head() -> str:
    """The revision ``nbgrader.api.get_alembic_version`` returns (the head of nbgrader's migrations, which
    ``Gradebook()`` stamps a new database with), read in this process from nbgrader's migration folder
    instead of by running ``alembic heads`` (seconds: a new interpreter importing alembic). nbgrader's own
    function if alembic's API gives nothing."""
    try:
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        from nbgrader.dbutil import ALEMBIC_DIR
        cfg = Config()
        cfg.set_main_option("script_location", ALEMBIC_DIR)
        head = ScriptDirectory.from_config(cfg).get_current_head()
    except Exception:  # noqa: BLE001 - any change in either package: nbgrader's way
        head = None
    return head or _nbgrader_alembic_version()


_nbgrader_alembic_version = _nbgrader_api.get_alembic_version


def _open(db_url: str, course_id: str) -> Gradebook:
    """nbgrader's ``Gradebook``, with :func:`alembic_head` in place of ``get_alembic_version`` while it opens."""
    _nbgrader_api.get_alembic_version = alembic_head
    try:
        return Gradebook(db_url, course_id=course_id)
    finally:
        _nbgrader_api.get_alembic_version = _nbgrader_alembic_version


class GradebookWriter:
    """Open nbgrader's gradebook at ``db_url`` (``sqlite:///…`` or ``postgresql://…``) for one assignment."""

    def __init__(self, db_url: str, template: Template, assignment: str, course_id: str = "rnnbook",
                 late_plugin=None, inbound: str | None = None):
        self.gb = _open(normalise_url(db_url), course_id)
        self.assignment = assignment
        self.late_plugin = late_plugin
        self.inbound = inbound   # the exchange's inbound folder of this course, if there is one
        self.penalties: dict[str, float] = {}   # student -> the late penalty this run wrote
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
        return self.status(student, sha256) == "unchanged"

    def status(self, student: str, sha256: str | None) -> str:
        """``new`` (no grades yet), ``unchanged`` (this grader graded this very file and its scores are still in
        the gradebook), ``changed`` (a different file since this grader's grades), or ``other`` (the cells hold
        auto scores this grader did not write: ``nbgrader autograde`` graded it last)."""
        try:
            sub = self.gb.find_submission(self.assignment, student)
        except MissingEntry:
            return "new"
        snb = next((nb for nb in sub.notebooks if nb.name == NOTEBOOK), None)
        now = {g.name: g.auto_score for g in snb.grades} if snb is not None else {}
        if all(v is None for v in now.values()):
            return "new"
        ours = dict(self.gb.db.execute(sa.select(_cells.c.cell, _cells.c.auto_score).where(
            _cells.c.student == student, _cells.c.assignment == self.assignment)).all())
        row = self.gb.db.execute(sa.select(_graded.c.sha256, _graded.c.score).where(
            _graded.c.student == student, _graded.c.assignment == self.assignment)).first()
        if not ours and row is not None:  # graded before autograder_cells existed: its total stands for the cells
            mine = abs(row[1] - sum(v or 0.0 for v in now.values())) <= 1e-9
        else:
            mine = all(v is None or (k in ours and abs(ours[k] - v) <= 1e-9) for k, v in now.items())
        if not mine:
            return "other"
        return "unchanged" if row is not None and sha256 and row[0] == sha256 else "changed"

    def write(self, res: Result) -> tuple[float, float | None, dt.datetime]:
        """All of ``res``'s grades, comments, late penalty and the graded record, in one transaction.
        Returns (seconds late, penalty, submission time) as nbgrader's gradebook now holds them."""
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
            prev = db.execute(sa.select(_graded.c.sha256).where(
                _graded.c.student == res.student, _graded.c.assignment == self.assignment)).first()
            arrived = arrival(res.path, res.sha256, self._inbound_copies(res.student)) if res.sha256 \
                else _timestamp(res.path)
            if sub.timestamp is None:  # a time nbgrader already recorded for this submission is kept ...
                sub.timestamp = arrived
            elif prev is not None and prev[0] != (res.sha256 or "") and arrived > sub.timestamp:
                sub.timestamp = arrived  # ... but a notebook re-submitted since this grader's grades is newer
            snb = next(nb for nb in sub.notebooks if nb.name == NOTEBOOK)
            by_id = {c.id: c for c in res.checks}
            for g in snb.grades:
                cr = by_id.get(g.name)
                g.auto_score = cr.score if cr else 0.0
                g.needs_manual_grade = False
            text = "\n".join(([f"error: {res.error}"] if res.error else []) + res.flags)
            for c in snb.comments:
                c.auto_comment = text or None
            db.flush()
            late, penalty, stamp = sub.total_seconds_late, None, sub.timestamp
            snb.late_submission_penalty = None
            if self.late_plugin is not None and late > 0:
                score = sum(g.manual_score if g.manual_score is not None else (g.auto_score or 0.0)
                            for g in snb.grades) + sum(g.extra_credit or 0.0 for g in snb.grades)
                penalty = assign(self.late_plugin, res.student, score, late)
                snb.late_submission_penalty = penalty
            self.penalties[res.student] = penalty or 0.0
            shown = dataclasses.replace(res, flags=res.flags + [describe(late, penalty)]) if late > 0 else res
            db.execute(sa.delete(_results).where(_results.c.student == res.student,
                                                  _results.c.assignment == self.assignment))
            db.execute(sa.insert(_results).values(student=res.student, assignment=self.assignment,
                                                  doc=json.dumps(gradescope(shown, penalty), sort_keys=True)))
            db.execute(sa.delete(_cells).where(_cells.c.student == res.student,
                                                _cells.c.assignment == self.assignment))
            db.execute(sa.insert(_cells), [{"student": res.student, "assignment": self.assignment, "cell": g.name,
                                            "auto_score": g.auto_score} for g in snb.grades])
            db.execute(sa.delete(_graded).where(_graded.c.student == res.student,
                                                 _graded.c.assignment == self.assignment))
            db.execute(sa.insert(_graded).values(student=res.student, assignment=self.assignment,
                                                 sha256=res.sha256 or "", score=res.score,
                                                 graded_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)))
            db.commit()
        except BaseException:
            db.rollback()
            raise
        return late, penalty, stamp

    def _inbound_copies(self, student: str) -> list[str]:
        """``<inbound>/<student>+<assignment>+<time>[+random]/exercises.ipynb`` (nbgrader's exchange layout)."""
        if not self.inbound or not os.path.isdir(self.inbound):
            return []
        prefix = f"{student}+{self.assignment}+"
        try:
            names = [n for n in os.listdir(self.inbound) if n.startswith(prefix)]
        except OSError:
            return []
        return [os.path.join(self.inbound, n, f"{NOTEBOOK}.ipynb") for n in sorted(names)]

    def scores(self) -> dict[str, dict[str, float]]:
        """student -> {grade_id: auto_score} for this assignment (what export reads)."""
        out: dict[str, dict[str, float]] = {}
        for sub in self.gb.assignment_submissions(self.assignment):
            nb = next(nb for nb in sub.notebooks if nb.name == NOTEBOOK)
            out[sub.student.id] = {g.name: (g.auto_score or 0.0) for g in nb.grades}
        return out


def stored_results(gb: Gradebook, assignment: str) -> dict[str, tuple[dict, dict[str, float]]]:
    """student -> (the results.json :meth:`GradebookWriter.write` stored, {cell: the auto score it wrote}) for
    ``assignment``; empty for a gradebook this grader never wrote."""
    if not sa.inspect(gb.engine).has_table("autograder_results"):
        return {}
    docs = dict(gb.db.execute(sa.select(_results.c.student, _results.c.doc).where(
        _results.c.assignment == assignment)).all())
    cells: dict[str, dict[str, float]] = {}
    for student, cell, score in gb.db.execute(sa.select(_cells.c.student, _cells.c.cell, _cells.c.auto_score).where(
            _cells.c.assignment == assignment)).all():
        cells.setdefault(student, {})[cell] = score
    return {s: (json.loads(d), cells.get(s, {})) for s, d in docs.items()}
