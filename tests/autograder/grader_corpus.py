"""Fixtures of the grader's tests: submissions built from the instructor's notebook and corpus snippets.

A snippet under ``submissions/`` replaces solution cells of ``solutions/02_rnn/exercises.ipynb``: each
``# %% <grade_id>`` line starts the new source of that cell; cells it does not name keep the instructor's
solution. Header lines say what the grader must give: ``# expect-zero: ids|all``, ``# expect-full: ids|all``,
``# expect-partial: ids``, ``# expect-message: text`` (in the zeroed checks' feedback),
``# expect-no-process: text`` (no process whose command line holds it survives the run).
``@REPO@`` in a snippet stands for the root of the repository under test: attacks aim at the copy of the course the
grader really uses (wherever the clone lives), which is what the sandbox promises to hide.
"""

from __future__ import annotations

import os

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTION = os.path.join(ROOT, "solutions", "02_rnn", "exercises.ipynb")
CORPUS = os.path.join(os.path.dirname(__file__), "submissions")


def parse_snippet(path: str) -> tuple[dict, dict]:
    """(replacement sources by grade_id, expectations) of one corpus snippet."""
    cells, expect, current = {}, {}, None
    with open(path) as f:
        for line in f:
            if line.startswith("# %% "):
                current = line[5:].strip()
                cells[current] = ""
            elif current is not None:
                cells[current] += line.replace("@REPO@", ROOT)
            elif line.startswith("# expect-"):
                key, _, val = line[2:].partition(":")
                expect[key.strip()] = val.strip()
    return cells, expect


def build_notebook(cells: dict, path: str, *, drop_tests: bool = False, change_meta: str | None = None) -> str:
    nb = nbformat.read(SOLUTION, as_version=4)
    out = []
    for c in nb.cells:
        m = c.metadata.get("nbgrader", {})
        gid = m.get("grade_id")
        if drop_tests and m.get("grade"):
            continue
        if m.get("solution") and gid in cells:
            c.source = cells[gid]
        if change_meta and gid == change_meta:
            c.metadata["nbgrader"] = dict(m, grade_id=gid + "-renamed")
        out.append(c)
    nb.cells = out
    nbformat.write(nb, path)
    return path


def corpus_names() -> list[str]:
    return sorted(f[:-3] for f in os.listdir(CORPUS) if f.endswith(".py"))
