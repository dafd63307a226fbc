"""The corpus' verdicts do not depend on the course secret: in-process (the notebooks' ``run_check``), under
several secrets, every honest submission earns every point and every bug of ``corpus.BUGS`` keeps exactly
its ``keeps`` on its exercise. (The CLI tests grade with one random secret per run; this one covers more.)

Forbidden APIs and magics are the grader's business, not the kernel's: those submissions are left out.
"""

from __future__ import annotations

import contextlib
import io

import pytest

from corpus import BUGS, HONEST, build

from autograder.checks import chapter_checks, get_check
from autograder.notebook import run_check

SECRETS = ["a" * 64, "0123456789abcdef" * 4, "f00d" * 16]


def namespace(sub):
    ns = {"__name__": "__main__"}
    for cell in build(sub).cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        src = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(src, sub.name, "exec"), ns)
    return ns


def earned(check_id, ns):
    total = 0.0
    for hidden in (False, True):
        # run_check raises when a case fails: count the cases through the ✓ lines it prints, as a student reads them
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                run_check(check_id, ns, hidden=hidden, verbose=True)
            except AssertionError:
                pass
        lines = out.getvalue().splitlines()
        total += sum(c.points for c in get_check(check_id).cases
                     if c.visible != hidden and any(ln.startswith(f"✓ {check_id} [{c.name}] ") for ln in lines))
    return total


@pytest.mark.parametrize("secret", SECRETS, ids=["a", "hex", "food"])
@pytest.mark.parametrize("sub", HONEST, ids=lambda s: s.name)
def test_honest_full_marks_under_every_secret(sub, secret, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SECRET", secret)
    ns = namespace(sub)
    for check in chapter_checks(sub.chapter):
        assert earned(check.id, ns) == check.points, (sub.name, check.id)


@pytest.mark.parametrize("secret", SECRETS, ids=["a", "hex", "food"])
@pytest.mark.parametrize("sub", [b for b in BUGS if b.name != "ch05_vf_lstm_cell"], ids=lambda s: s.name)
def test_bug_keeps_the_same_points_under_every_secret(sub, secret, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SECRET", secret)
    assert earned(sub.target, namespace(sub)) == sub.keeps, sub.name
