"""nbgrader's course folder, read as nbgrader reads it, and the ``autograded/`` notebooks the grader writes there.

:func:`load_course` runs nbgrader's own configuration loading (``nbgrader.apps.baseapp.NbGrader``: the Jupyter
config path, then ``nbgrader_config.py`` of the course root), so ``CourseDirectory.root``, its directory names,
``db_url``, ``course_id`` and every plugin's settings are what ``nbgrader`` itself would use there.

:func:`write_autograded` writes ``autograded/<student>/<assignment>/exercises.ipynb`` as ``nbgrader autograde``
would lay it out: the instructor's cells (test cells with their hidden tests removed, as the student saw them),
each solution cell as the student wrote it, and under each test cell one stream output holding its check's
feedback lines. Formgrader shows it, and ``nbgrader generate_feedback`` turns it into the student's HTML.
The submission's ``timestamp.txt`` is made to say the time the gradebook holds (:func:`_stamp_submitted`),
so formgrader counts the submission as autograded.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from dataclasses import dataclass

import nbformat

from .engine import Result
from .template import Template, read_notebook

__all__ = ["Course", "load_course", "write_autograded"]


@dataclass
class Course:
    """An nbgrader course folder: ``config`` is traitlets' Config as nbgrader loaded it; ``coursedir`` its
    ``CourseDirectory``; ``configured`` whether a ``nbgrader_config.py`` was found in the root."""

    root: str
    config: object
    coursedir: object
    configured: bool

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id or "rnnbook"

    def folder(self, step: str, student: str, assignment: str) -> str:
        """``{root}/{<step>_directory}/{student}/{assignment}`` as nbgrader formats it (``directory_structure``)."""
        return self.coursedir.format_path(getattr(self.coursedir, f"{step}_directory"), student, assignment)

    def source(self, assignment: str) -> str | None:
        """The course's source folder (the folder above ``<assignment>/``) if it holds this assignment."""
        path = self.folder("source", ".", assignment)
        return os.path.dirname(path) if os.path.exists(os.path.join(path, "exercises.ipynb")) else None

    @property
    def inbound(self) -> str:
        """The exchange's inbound folder of this course (``Exchange.root``/course_id/inbound), where ``nbgrader
        submit`` puts submissions before ``nbgrader collect`` copies them to ``submitted/``."""
        from nbgrader.exchange.default.exchange import Exchange
        return os.path.join(Exchange(config=self.config, coursedir=self.coursedir).root, self.course_id, "inbound")

    def plugin(self, cls):
        """An instance of the configurable ``cls`` with this course's settings (e.g. a late-submission plugin)."""
        return cls(config=self.config)


def load_course(root: str | None = None) -> Course:
    """The course at ``root`` (default: the working directory, as ``nbgrader`` run there)."""
    import logging

    from nbgrader.apps.baseapp import NbGrader

    root = os.path.abspath(root or os.getcwd())
    path = os.path.join(root, "nbgrader_config.py")
    if os.path.exists(path):  # nbgrader logs a broken file and goes on with defaults: here it is an error
        from traitlets.config.loader import PyFileConfigLoader
        try:
            PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
        except Exception as exc:  # noqa: BLE001 - whatever the file raised, in one line
            raise ValueError(f"{path}: expected a configuration nbgrader can load, got "
                             f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}") from None
    app = NbGrader()
    app.log.setLevel(logging.ERROR)   # nbgrader's "no nbgrader_config.py" warning: ours below says it in one line
    path_before = list(sys.path)
    try:
        app.load_cwd_config = False    # the course's own file is read from ``root`` below, not from the cwd
        app.initialize([], root=root)
    finally:
        sys.path[:] = path_before   # nbgrader puts the cwd on sys.path; the grader keeps its own
    return Course(app.coursedir.root, app.config, app.coursedir,
                  os.path.exists(os.path.join(root, "nbgrader_config.py")))


def _strip_hidden(source: str) -> str:
    """A test cell's source without its ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` blocks."""
    out, hidden = [], False
    for line in source.splitlines():
        if "### BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "### END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def _student_sources(path: str) -> dict[str, str]:
    """grade_id -> source of each solution cell of the submission (empty when it cannot be read)."""
    try:
        data = json.loads(read_notebook(path))
        cells = data.get("cells") if isinstance(data, dict) else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    out = {}
    for c in cells if isinstance(cells, list) else []:
        if not isinstance(c, dict):
            continue
        m = (c.get("metadata") or {}).get("nbgrader") if isinstance(c.get("metadata"), dict) else None
        gid = m.get("grade_id") if isinstance(m, dict) else None
        src = c.get("source", "")
        src = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else src
        if isinstance(gid, str) and isinstance(src, str) and gid not in out:
            out[gid] = src
    return out


def write_autograded(course: Course, template: Template, res: Result, assignment: str,
                     notebook: str = "exercises", timestamp=None) -> str | None:
    """Write ``res``'s autograded notebook and ``timestamp.txt`` beside it; returns its path, or None when the
    student submitted no notebook (nbgrader writes none then either).

    ``timestamp.txt`` holds ``timestamp`` (naive UTC: the submission time the gradebook records, by default
    when the notebook arrived in ``submitted/``), never a copy of a ``timestamp.txt`` the student's folder
    carries: feedback and ``release_feedback`` then show the time the late penalty was computed from."""
    from nbgrader.utils import compute_checksum

    if not os.path.isfile(res.path) or os.path.islink(res.path):
        return None
    nb = nbformat.read(template.path, as_version=4)
    student = _student_sources(res.path)
    by_id = {c.id: c for c in res.checks}
    notes = ([f"error: {res.error}"] if res.error else []) + res.flags
    cells = []
    for cell in nb.cells:
        cell = copy.deepcopy(cell)
        m = cell.metadata.get("nbgrader", {})
        gid = m.get("grade_id")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if m.get("solution"):
            cell.source = student.get(gid, "")
        elif m.get("grade") and cell.cell_type == "code":
            cell.source = _strip_hidden(cell.source)
            cr = by_id.get(gid)
            lines = (cr.lines if cr else [f"not graded: {res.error or 'no result'}"]) + notes
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
        if (m.get("grade") or m.get("locked")) and not m.get("solution"):  # the instructor's cells, as released
            cell.metadata["nbgrader"]["checksum"] = compute_checksum(cell)
        cells.append(cell)
    nb.cells = cells
    folder = course.folder("autograded", res.student, assignment)
    os.makedirs(folder, exist_ok=True)
    out = os.path.join(folder, f"{notebook}.ipynb")
    tmp = out + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, out)
    if timestamp is None:
        from .gradebook import _timestamp
        timestamp = _timestamp(res.path)
    text = timestamp.strftime("%Y-%m-%d %H:%M:%S.%f") + " UTC"   # nbgrader's format; release_feedback reads it
    with open(os.path.join(folder, "timestamp.txt"), "w") as f:
        f.write(text)
    _stamp_submitted(os.path.dirname(res.path), timestamp, text)
    _copy_secret(os.path.join(os.path.dirname(res.path), "submission_secret.txt"),
                 os.path.join(folder, "submission_secret.txt"))
    return out


def _stamp_submitted(folder: str, timestamp, text: str) -> None:
    """Make ``submitted/<student>/<assignment>/timestamp.txt`` say the time the gradebook holds.

    Formgrader (``NbGraderAPI.get_autograded_students``) counts a submission as autograded only when the
    gradebook's timestamp equals that file's, and ``nbgrader autograde`` would read its time from it. The file
    came from the student's side of the exchange (``nbgrader submit`` writes it), so the gradebook holds the
    time the notebook arrived instead; the student's file is kept beside it as ``timestamp.txt.student``."""
    from nbgrader.utils import parse_utc

    path = os.path.join(folder, "timestamp.txt")
    try:
        with open(path) as f:
            current = parse_utc(f.read(200).strip())
    except (OSError, ValueError, OverflowError):
        current = None
    if current == timestamp or os.path.islink(path) or not os.path.isdir(folder):
        return
    keep = path + ".student"
    if os.path.isfile(path) and not os.path.lexists(keep):
        os.replace(path, keep)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _copy_secret(src: str, dst: str) -> None:
    """``nbgrader submit``'s ``submission_secret.txt`` (the key under which ``release_feedback`` files the
    student's feedback), copied as ``nbgrader autograde`` copies it: a regular file, never a link, at most 1 KiB."""
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return
    with os.fdopen(fd, "rb") as f:
        import stat
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return
        data = f.read(1025)
    if len(data) <= 1024:
        with open(dst, "wb") as f:
            f.write(data)
