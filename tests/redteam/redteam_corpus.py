"""The red-team corpus: attack snippets, the notebooks built from them, and what each must score.

An attack under ``attacks/`` replaces solution cells of ``solutions/<assignment>/exercises.ipynb``: each
``# %% <grade_id>`` line starts the new source of that cell; cells it does not name keep the instructor's solution
(or become ``pass`` with ``# others: blank``). Header lines (before the first ``# %%``):

- ``# assignment: 02_rnn`` or ``05_lstm``; ``# class: <attack class>`` (see README.md);
- ``# expect-zero: ids|all`` (no points there: it did not do that work), ``# expect-full: ids|all``;
- ``# include: <file>``: that file's text goes at the top of the first cell; ``# others: blank``.

Placeholders: ``@REPO@`` (this checkout), ``@COURSE@`` (the nbgrader course folder), ``@GRADER@`` (where the
gradebook and results go), ``@EARLIER@`` (an earlier term's course folder), ``@MARKER@`` (a random word that
names every file and process the attacks leave, for the census), ``@SLEEP@`` (a random number for ``sleep``).
Attacks aim at the paths the grader really uses: a real attacker may know or guess them all.
"""

from __future__ import annotations

import copy
import inspect
import os
import re
from dataclasses import dataclass, field

import nbformat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
ATTACKS = os.path.join(HERE, "attacks")
ASSIGNMENTS = ("02_rnn", "05_lstm")
MALFORMED = ("a_deep_json", "a_nbgrader_str", "a_surrogate", "a_huge_expr", "a_source_list", "a_forged_error")
SHARED = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # folders every process on the machine may share



@dataclass
class Attack:
    name: str
    assignment: str
    cls: str
    cells: dict = field(default_factory=dict)
    zero: str = ""
    full: str = ""
    blank_others: bool = False
    doc: str = ""
    student: str = ""

    def __post_init__(self):
        # hidden_leak_02 and hidden_leak_05 are one student, hidden_leak, in two assignments
        self.student = self.student or (self.name[:-3] if self.name.endswith(("_02", "_05")) else self.name)


def parse(path: str, subst: dict | None = None) -> Attack:
    """An :class:`Attack` from a snippet file, placeholders replaced by ``subst``."""
    name = os.path.splitext(os.path.basename(path))[0]
    head, cells, current = {}, {}, None
    doc = []
    with open(path) as f:
        lines = f.readlines()
    for line in lines:
        if line.startswith("# %% "):
            current = line[5:].strip()
            cells[current] = ""
        elif current is not None:
            cells[current] += line
        elif re.match(r"# [a-z-]+: ", line):
            key, _, val = line[2:].partition(":")
            head[key.strip()] = val.strip()
        elif line.startswith("#"):
            doc.append(line[1:].strip())
    if "include" in head and cells:
        with open(os.path.join(os.path.dirname(path), head["include"])) as f:
            first = next(iter(cells))
            cells[first] = f.read() + "\n" + cells[first]
    for k in cells:
        for key, val in (subst or {}).items():
            cells[k] = cells[k].replace(f"@{key}@", val)
    if head.get("assignment") not in ASSIGNMENTS:
        raise ValueError(f"{path}: expected '# assignment: ' one of {ASSIGNMENTS}, got {head.get('assignment')!r}")
    return Attack(name, head["assignment"], head.get("class", ""), cells, head.get("expect-zero", ""),
                  head.get("expect-full", ""), head.get("others") == "blank", " ".join(doc))


def snippet_names() -> list[str]:
    return sorted(f[:-3] for f in os.listdir(ATTACKS) if f.endswith(".py") and not f.startswith("_"))


def snippets_of_class(cls: str) -> list[str]:
    return [n for n in snippet_names() if parse(os.path.join(ATTACKS, n + ".py")).cls == cls]


def solution(assignment: str) -> str:
    return os.path.join(ROOT, "solutions", assignment, "exercises.ipynb")


def build_notebook(assignment: str, cells: dict, path: str, *, blank_others: bool = False) -> str:
    """The instructor's notebook with solution cells replaced by ``cells`` (grade_id -> source)."""
    nb = nbformat.read(solution(assignment), as_version=4)
    for c in nb.cells:
        m = c.metadata.get("nbgrader", {})
        gid = m.get("grade_id")
        if m.get("solution"):
            if gid in cells:
                c.source = cells[gid]
            elif blank_others:
                c.source = "pass\n"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    nbformat.write(nb, path)
    return path


def padded_copy(fn) -> str:
    """The source of ``fn`` without its docstring, each line followed by a no-op line at the next line's indent."""
    src = inspect.getsource(fn)
    import ast
    import textwrap
    src = textwrap.dedent(src)
    node = ast.parse(src).body[0]
    lines = src.splitlines()
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
            and isinstance(first.value.value, str):
        del lines[first.lineno - 1:first.end_lineno]
    lines = [ln for ln in lines if ln.strip()]
    out = []
    for k, ln in enumerate(lines):
        out.append(ln)
        nxt = lines[k + 1] if k + 1 < len(lines) else ln
        indent = nxt[:len(nxt) - len(nxt.lstrip())]
        out.append(f"{indent}_pad = None  # no-op")
    text = "\n".join(out) + "\n"
    compile(text, "<padded>", "exec")
    return text


def hidden_cases(assignment: str, student: str, source_dir: str, secret: str) -> list:
    """``[(check, case, inputs, expected)]`` of the hidden cases the grader would send ``student``, drawn
    through the engine's own planning API (hidden inputs are per student, from the secret)."""
    from autograder import engine

    plan = engine.Plan.build(assignment, source_dir=source_dir, secret=secret)
    return [(c, k, inp, plan.expected(c, k, copy.deepcopy(inp)))
            for c, k, inp in plan.cases_for(student) if not k.visible]


def floats_of(value) -> list[float]:
    """Every float in a case's inputs (arrays, scalars, nested tuples)."""
    import numpy as np
    out = []
    if isinstance(value, (tuple, list)):
        for v in value:
            out += floats_of(v)
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
        out += [float(v) for v in value.ravel()]
    elif isinstance(value, float):
        out.append(value)
    return out


def digit_needles(values, n: int = 12) -> set[str]:
    """The first ``n`` significant digits of each value's ``repr`` (values with fewer digits are skipped)."""
    out = set()
    for v in values:
        mant = repr(abs(float(v))).split("e")[0].replace(".", "").lstrip("0")
        if len(mant) >= n and mant.isdigit():
            out.add(mant[:n])
    return out


def digit_windows(text: str, n: int = 12) -> set[str]:
    """Every run of ``n`` consecutive digits in ``text`` once a dot between two digits is dropped."""
    text = re.sub(r"(?<=\d)\.(?=\d)", "", text)
    out = set()
    for run in re.findall(r"\d{%d,}" % n, text):
        out.update(run[k:k + n] for k in range(len(run) - n + 1))
    return out
