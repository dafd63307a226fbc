"""``autograder check``: the visible checks only, sandboxed, with the same messages as the notebook's test cells."""

from __future__ import annotations

import contextlib
import io

import nbformat

from autograder.__main__ import main
from autograder.notebook import run_check

from grader_corpus import SOLUTION, build_notebook


def test_check_prints_the_notebooks_messages(tmp_path, capsys):
    path = build_notebook({}, str(tmp_path / "mine.ipynb"))
    assert main(["check", path]) == 0
    ours = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(("✓", "✗"))]
    ns: dict = {}
    for c in nbformat.read(SOLUTION, as_version=4).cells:
        m = c.metadata.get("nbgrader", {})
        if c.cell_type == "code" and not m.get("grade"):
            exec(c.source, ns)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        for cid in ("ch02_rnn_step_forward", "ch02_rnn_forward", "ch02_softmax_temperature", "ch02_sample_chars"):
            run_check(cid, ns)
    theirs = [ln for ln in buf.getvalue().splitlines() if ln.startswith(("✓", "✗"))]
    from autograder.checks import chapter_checks
    assert ours == theirs and len(ours) == sum(k.visible for c in chapter_checks("02_rnn") for k in c.cases)


def test_check_reports_a_failure(tmp_path, capsys):
    wrong = "import numpy as np\ndef rnn_step_forward(x, h, Wx, Wh, b):\n    return np.tanh(x @ Wx + h @ Wh), None\n"
    path = build_notebook({"ch02-ex1-solution": wrong}, str(tmp_path / "m.ipynb"))
    assert main(["check", path]) == 1
    out = capsys.readouterr().out
    assert "✗ ch02_rnn_step_forward [linspace]" in out and "first mismatch at index" in out
