"""What a grading run writes for people: the per-student table, Gradescope's results.json, the CSV.

Gradescope's format: ``{"score", "tests": [{"name", "score", "max_score", "output", "visibility"}]}``;
feedback lines never contain a hidden case's expected values (see :func:`autograder.compare.compare`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys

from .engine import Result

__all__ = ["table", "gradescope", "write_gradescope", "write_json", "by_check", "write_csv", "csv_cell", "Progress"]


def table(results: list[Result]) -> str:
    """The per-student table (student, score, max, seconds, notes), laid out by ``rich`` as plain text: every
    cell is a ``rich.text.Text``, so nothing a student wrote is read as markup, and no colour code is written."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    for name, justify in (("student", "left"), ("score", "right"), ("max", "right"), ("seconds", "right"),
                          ("notes", "left")):
        t.add_column(name, justify=justify, overflow="fold")
    for r in results:
        notes = r.error or "; ".join([zero_reason(c) for c in r.checks if c.score == 0 and c.max_score > 0]
                                     + r.flags)
        t.add_row(*(Text(x) for x in (r.student, f"{r.score:g}", f"{r.max_score:g}", f"{r.seconds:.2f}",
                                      notes[:160])))
    width = 40 + max([len(r.student) for r in results] + [0]) + 170
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, force_terminal=False, soft_wrap=False,
            emoji=False, markup=False, highlight=False).print(t)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines() if line.strip())


def zero_reason(c) -> str:
    """Why a check scored 0, in a few words for the table: its first failing line, shortened."""
    line = next((ln for ln in c.lines if not ln.startswith("✓")), "no case passed")
    line = line.lstrip("✗ ").replace(f"{c.id} ", "", 1)
    return f"{c.id}: {line[:70]}"


def gradescope(r: Result, penalty: float | None = None) -> dict:
    """Gradescope's results.json for one result: per check, a visible test (its visible cases, or the reason it
    scored 0) and, when the check has hidden cases, a test ``"<check> (hidden cases)"`` with ``visibility``
    ``"hidden"``; ``score`` is the total less a late ``penalty``. :meth:`GradebookWriter.write` stores this very
    document, so ``autograder export --format gradescope`` gives what ``grade --results`` wrote."""
    tests = []
    for c in r.checks:
        mark = (f"✓ {c.id} [hidden: ", f"✗ {c.id} [hidden: ")
        hidden = [ln for ln in c.lines if ln.startswith(mark)]
        shown = [ln for ln in c.lines if not ln.startswith(mark)]
        tests.append({"name": c.id, "score": round(c.score - c.hidden_score, 6),
                      "max_score": round(c.max_score - c.hidden_max, 6), "output": "\n".join(shown),
                      "visibility": "visible"})
        if c.hidden_max > 0:
            tests.append({"name": f"{c.id} (hidden cases)", "score": c.hidden_score, "max_score": c.hidden_max,
                          "output": "\n".join(hidden), "visibility": "hidden"})
    out = {"score": round(max(0.0, r.score - (penalty or 0.0)), 6), "tests": tests,
           "extra_data": {"isolation": r.isolation, "seconds": round(r.seconds, 3), "sha256": r.sha256}}
    notes = ([f"error: {r.error}"] if r.error else []) + r.flags
    if notes:
        out["output"] = "\n".join(notes)
    return out


def by_check(doc: dict) -> dict[str, tuple[float, float, str]]:
    """check id -> (score, max_score, output) of a results.json, its visible and hidden tests put together."""
    out: dict[str, tuple[float, float, str]] = {}
    for t in doc.get("tests", []):
        name = t["name"].removesuffix(" (hidden cases)")
        s, m, o = out.get(name, (0.0, 0.0, ""))
        text = t.get("output", "")
        out[name] = (round(s + float(t["score"]), 6), round(m + float(t["max_score"] or 0.0), 6),
                     "\n".join(x for x in (o, text) if x))
    return out


def write_gradescope(results: list[Result], directory: str, penalties: dict | None = None) -> None:
    """One ``<student>.json`` per result in ``directory`` (``penalties``: student -> late penalty)."""
    os.makedirs(directory, exist_ok=True)
    for r in results:
        write_json(os.path.join(directory, f"{results_stem(r.student)}.json"),
                   gradescope(r, (penalties or {}).get(r.student)))


def write_json(path: str, doc: dict) -> None:
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)


def results_stem(student: str) -> str:
    """The file name (without .json) of a student's results: the id itself when it is a safe file name,
    else a safe form of it with a hash of the id, so that two ids never share a file."""
    import hashlib
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in student).lstrip(".")[:80]
    if safe == student and safe:
        return safe
    return f"{safe or '_'}-{hashlib.sha256(student.encode('utf-8', 'replace')).hexdigest()[:8]}"


def write_csv(rows: list[dict], out) -> None:
    """rows: dicts with student, assignment, per-check scores, score, max_score (the first row's keys)."""
    if not rows:
        return
    keys = list(rows[0])
    w = csv.DictWriter(out, fieldnames=keys)
    w.writeheader()
    w.writerows([{k: csv_cell(v) for k, v in r.items()} for r in rows])


def csv_cell(value):
    """A cell a spreadsheet shows as text: one that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return is prefixed with ``'`` (OWASP's advice against CSV injection); numbers are left as numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class Progress:
    """A progress bar with the time left (``rich.progress``) on stderr, only when it is a terminal or when
    forced (``--progress``); called once per finished submission."""

    def __init__(self, total: int, stream=None, force: bool = False):
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.on = bool(total) and (force or self.stream.isatty())
        self._bar = None
        if self.on:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)
            console = Console(file=self.stream, force_terminal=self.stream.isatty() or None)
            self._bar = Bar(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("left"), TimeRemainingColumn(), console=console, transient=False,
                            auto_refresh=self.stream.isatty())
            self._task = self._bar.add_task("grading", total=total)
            self._bar.start()

    def __call__(self, _result=None):
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            if self.done >= self.total:
                self.close()

    def close(self):
        if self._bar is not None:
            self._bar.refresh()
            self._bar.stop()
            self._bar = None
