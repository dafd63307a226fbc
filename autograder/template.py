"""The instructor's notebook as the trusted template, and what the grader takes from a submission.

From ``solutions/<assignment>/exercises.ipynb`` the grader learns which cells are solution cells (by
``grade_id``), which are graded test cells (``grade_id`` = check id, with their points) and which are the
instructor's setup code. From a submission it takes ONLY the sources of the solution cells, matched by
``grade_id``; test cells are never executed, so deleting or editing them changes nothing.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field


__all__ = ["Template", "Extracted", "extract", "SubmissionError"]


class SubmissionError(ValueError):
    """A file that is not a readable notebook (invalid JSON, not a notebook, an old nbformat)."""


def _meta(cell) -> dict:
    m = cell.get("metadata") if isinstance(cell, dict) else None
    m = m.get("nbgrader") if isinstance(m, dict) else None
    return m if isinstance(m, dict) else {}


def _source(cell) -> str:
    s = cell.get("source", "")
    if isinstance(s, list):
        return "".join(x for x in s if isinstance(x, str))
    return s if isinstance(s, str) else ""


def _ipython(src: str) -> str:
    """A cell's source as IPython runs it: magics and ``!`` commands become ``get_ipython()`` calls, which the
    sandbox skips and reports (so ``%timeit f(x)`` left in a cell never stops the cell)."""
    if "%" not in src and "!" not in src:
        return src
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(src)
    except Exception:  # noqa: BLE001 - not IPython syntax after all: run it as it is
        return src


@dataclass
class Template:
    path: str
    solution_ids: list[str]          # grade_ids of solution cells, in order
    test_points: dict[str, float]    # grade_id of each graded test cell -> points
    setup: list[str]                 # the instructor's locked, ungraded code cells (run before solutions)
    cells: list = field(default_factory=list)
    locked: dict = field(default_factory=dict)   # grade_id -> source of each locked, ungraded code cell

    @classmethod
    def load(cls, path: str) -> "Template":
        """The instructor's notebook (plain JSON: nbformat's validator costs most of a second to import, in
        the grader and in each of its worker processes, and the instructor's file needs no validation)."""
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
        if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
            raise ValueError(f"{path}: expected an nbformat 4 notebook (the instructor's source)")
        sol, pts, setup, locked = [], {}, [], {}
        for k, c in enumerate(nb["cells"]):
            m = _meta(c)
            if c.get("cell_type") != "code":
                continue
            if m.get("solution"):
                sol.append(m["grade_id"])
            elif m.get("grade"):
                pts[m["grade_id"]] = float(m.get("points", 0))
            elif m.get("locked"):
                setup.append(_source(c))
                locked[m.get("grade_id") or f"locked cell {k + 1}"] = _source(c)
        return cls(path, sol, pts, setup, list(nb["cells"]), locked)


@dataclass
class Extracted:
    sources: list[str]               # the solution cells' sources, in the template's order (for scans)
    problems: list[str]
    sha256: str
    cells: list = field(default_factory=list)   # [(label, source, tolerant)]: what the sandbox runs, in order


MAX_NOTEBOOK = 64 << 20


def read_notebook(path: str) -> bytes:
    """The bytes of a submission, opened without following a symbolic link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SubmissionError("the submission is a symbolic link; only regular files are graded") from None
        raise SubmissionError(f"cannot read the file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise SubmissionError("the submission is not a regular file")
        raw = f.read(MAX_NOTEBOOK + 1)
    if len(raw) > MAX_NOTEBOOK:
        raise SubmissionError(f"the notebook is larger than {MAX_NOTEBOOK >> 20} MiB")
    return raw


def extract(template: Template, path: str) -> Extracted:
    """What the sandbox runs of the submission at ``path``, as nbgrader's autograde would run it: every code
    cell in the submission's order, except test cells; the instructor's locked cells with the instructor's
    source; cells the student added, as they are. Raises :class:`SubmissionError` if it is not a notebook."""
    raw = read_notebook(path)
    sha = hashlib.sha256(raw).hexdigest()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SubmissionError(f"not valid JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise SubmissionError("not a Jupyter notebook (no 'cells')")
    major = data.get("nbformat")
    if major != 4:
        raise SubmissionError(f"nbformat {str(major)[:20]} is not supported: save the notebook with Jupyter "
                              "(nbformat 4)")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise SubmissionError("not a valid notebook ('cells' is not a list)")
    locked = {gid: src for gid, src in template.locked.items()}
    tests = set(template.test_points)
    by_id, problems, run, seen_locked = {}, [], [], set()
    n_added = 0
    for k, c in enumerate(cells):
        if not isinstance(c, dict) or c.get("cell_type") != "code":
            m = _meta(c) if isinstance(c, dict) else {}
            if m.get("grade_id") in template.solution_ids:
                problems.append(f"solution cell {str(m.get('grade_id'))[:60]!r} is no longer a code cell")
            continue
        m = _meta(c)
        gid = m.get("grade_id")
        gid = gid if isinstance(gid, str) else None
        if gid in tests:
            continue  # test cells never run: the grader runs the checks itself
        if gid in locked:
            if gid not in seen_locked:
                run.append((f"cell {k + 1} (instructor's {gid})", locked[gid], True))
                seen_locked.add(gid)
            continue
        src = _source(c)
        if gid in template.solution_ids:
            if not m.get("solution"):
                problems.append(f"cell {gid!r}: its nbgrader metadata was changed (taken as the solution anyway)")
            if gid in by_id:
                problems.append(f"solution cell {gid!r} appears twice (a copied cell keeps its metadata): both "
                                "ran in order, so the later one's definitions count; nbgrader refuses such a notebook")
                by_id[gid] += "\n" + src
            else:
                by_id[gid] = src
            run.append((f"cell {k + 1} (solution {gid})", _ipython(src), False))
        else:
            n_added += 1
            run.append((f"cell {k + 1} (added by the student)", _ipython(src), False))
    for gid, src in locked.items():  # instructor's set-up cells a student deleted still run, first
        if gid not in seen_locked:
            run.insert(0, (f"instructor's {gid}", src, True))
    for gid in template.solution_ids:
        if gid not in by_id:
            problems.append(f"solution cell {gid!r} is missing (deleted, or its metadata was changed)")
    return Extracted([by_id[g] for g in template.solution_ids if g in by_id]
                     + [src for label, src, _ in run if "added by" in label], problems, sha, run)
