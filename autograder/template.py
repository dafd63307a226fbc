"""The instructor's notebook as the trusted template, and what the grader takes from a submission.

From ``solutions/<assignment>/exercises.ipynb`` the grader learns which cells are solution cells (by
``grade_id``), which are graded test cells (``grade_id`` = check id, with their points) and which are the
instructor's setup code. From a submission it takes ONLY the sources of the solution cells, matched by
``grade_id``; test cells are never executed, so deleting or editing them changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import nbformat

__all__ = ["Template", "Extracted", "extract", "SubmissionError"]


class SubmissionError(ValueError):
    """A file that is not a readable notebook (invalid JSON, not a notebook, an old nbformat)."""


def _meta(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def _source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else str(s)


@dataclass
class Template:
    path: str
    solution_ids: list[str]          # grade_ids of solution cells, in order
    test_points: dict[str, float]    # grade_id of each graded test cell -> points
    setup: list[str]                 # the instructor's locked, ungraded code cells (run before solutions)
    cells: list = field(default_factory=list)

    @classmethod
    def load(cls, path: str) -> "Template":
        nb = nbformat.read(path, as_version=4)
        sol, pts, setup = [], {}, []
        for c in nb.cells:
            m = _meta(c)
            if c.cell_type != "code":
                continue
            if m.get("solution"):
                sol.append(m["grade_id"])
            elif m.get("grade"):
                pts[m["grade_id"]] = float(m.get("points", 0))
            elif m.get("locked"):
                setup.append(_source(c))
        return cls(path, sol, pts, setup, list(nb.cells))


@dataclass
class Extracted:
    sources: list[str]
    problems: list[str]
    sha256: str


def extract(template: Template, path: str) -> Extracted:
    """The solution sources of the submission at ``path``; raises :class:`SubmissionError` if unreadable."""
    try:
        with open(path, "rb") as f:
            raw = f.read(64 << 20)
    except OSError as exc:
        raise SubmissionError(f"cannot read the file: {exc.strerror}") from None
    sha = hashlib.sha256(raw).hexdigest()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise SubmissionError("not a Jupyter notebook (no 'cells')")
    major = data.get("nbformat")
    if major != 4:
        raise SubmissionError(f"nbformat {major!r} is not supported: save the notebook with Jupyter (nbformat 4)")
    if not isinstance(data.get("cells"), list):
        raise SubmissionError("not a valid notebook ('cells' is not a list)")
    try:
        nb = nbformat.from_dict(data)
        cells = list(nb.cells)
    except Exception as exc:
        raise SubmissionError(f"not a valid notebook ({exc})") from None
    by_id, problems = {}, []
    for c in cells:
        if not isinstance(c, dict):
            continue
        gid = _meta(c).get("grade_id")
        if gid in template.solution_ids:
            if c.get("cell_type") != "code":
                problems.append(f"solution cell {gid!r} is no longer a code cell")
                continue
            if not _meta(c).get("solution"):
                problems.append(f"cell {gid!r}: its nbgrader metadata was changed (taken as the solution anyway)")
            by_id.setdefault(gid, _source(c))
    for gid in template.solution_ids:
        if gid not in by_id:
            problems.append(f"solution cell {gid!r} is missing (deleted, or its metadata was changed)")
    return Extracted([by_id[g] for g in template.solution_ids if g in by_id], problems, sha)
