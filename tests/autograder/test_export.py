"""``autograder export``: a CSV with a column per check, Canvas's gradebook import, Gradescope's results.json."""

from __future__ import annotations

import csv
import io
import json
import re

from grader_corpus import build_notebook
from autograder.__main__ import main

WRONG = {"ch02-ex1-solution": "import numpy as np\ndef rnn_step_forward(x, h, Wx, Wh, b):\n"
                              "    return np.tanh(x @ Wx + h @ Wh), None\n"}


def test_exports(tmp_path, capsys):
    files = [build_notebook({}, str(tmp_path / "ann.ipynb")), build_notebook(WRONG, str(tmp_path / "ben.ipynb"))]
    db = f"sqlite:///{tmp_path / 'gb.db'}"
    assert main(["grade", "02_rnn", *files, "--db", db]) == 0
    capsys.readouterr()
    assert main(["export", "--format", "csv", "--db", db]) == 0
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert float(rows["ann"]["score"]) == 12.0 and float(rows["ben"]["ch02_rnn_step_forward"]) < 3.0
    assert float(rows["ben"]["ch02_rnn_forward"]) == 3.0
    assert main(["export", "--format", "canvas", "--db", db]) == 0
    canvas = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(canvas[0])[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[0]["Student"] == "Points Possible" and float(canvas[0]["02_rnn"]) == 12.0
    assert {r["SIS Login ID"]: float(r["02_rnn"]) for r in canvas[1:]}["ann"] == 12.0
    assert main(["export", "--format", "gradescope", "--db", db, "--output", str(tmp_path / "gs")]) == 0
    doc = json.loads((tmp_path / "gs" / "02_rnn" / "ben.json").read_text())
    per_check = {}
    for t in doc["tests"]:
        per_check[t["name"].split(" ")[0]] = per_check.get(t["name"].split(" ")[0], 0) + t["max_score"]
    assert per_check == {k: 3.0 for k in per_check} and len(per_check) == 4 and doc["score"] < 12.0
    # hidden cases are their own tests, marked hidden, and their output names no input or expected value
    hidden = [t for t in doc["tests"] if t["visibility"] == "hidden"]
    assert hidden and all(t["name"].endswith(" (hidden cases)") for t in hidden)
    lines = [ln for t in hidden for ln in t["output"].splitlines()]
    assert lines and all("[hidden: " in ln and not re.search(r"\d", ln.split("] ", 1)[1]) for ln in lines), lines
    assert not any("[hidden: " in ln for t in doc["tests"] if t["visibility"] == "visible"
                   for ln in t["output"].splitlines())


def test_gradescope_export_equals_grade_results(tmp_path):
    """``export --format gradescope --assignment A`` writes what ``grade --results`` wrote, file for file; a
    manual grade entered since shows in the export as the gradebook now holds it."""
    from nbgrader.api import Gradebook
    files = [build_notebook({}, str(tmp_path / "ann.ipynb")), build_notebook(WRONG, str(tmp_path / "ben.ipynb"))]
    db = f"sqlite:///{tmp_path / 'gb.db'}"
    assert main(["grade", "02_rnn", *files, "--db", db, "--results", str(tmp_path / "results")]) == 0
    assert main(["export", "--format", "gradescope", "--db", db, "--assignment", "02_rnn",
                 "--output", str(tmp_path / "export")]) == 0
    made = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert made == ["ann.json", "ben.json"] == sorted(p.name for p in (tmp_path / "export").iterdir())
    for name in made:
        assert (tmp_path / "export" / name).read_text() == (tmp_path / "results" / name).read_text(), name
    ben = json.loads((tmp_path / "results" / "ben.json").read_text())
    assert {t["visibility"] for t in ben["tests"]} == {"visible", "hidden"}
    assert ben["score"] == sum(t["score"] for t in ben["tests"])
    gb = Gradebook(db, course_id="rnnbook")
    try:
        gb.find_grade("ch02_rnn_forward", "exercises", "02_rnn", "ben").manual_score = 1.0
        gb.db.commit()
    finally:
        gb.close()
    assert main(["export", "--format", "gradescope", "--db", db, "--assignment", "02_rnn",
                 "--output", str(tmp_path / "export")]) == 0
    now = json.loads((tmp_path / "export" / "ben.json").read_text())
    assert now["score"] == ben["score"] - 2.0
    assert [t for t in now["tests"] if t["name"].startswith("ch02_rnn_forward")] == [
        {"name": "ch02_rnn_forward", "score": 1.0, "max_score": 3.0, "visibility": "visible",
         "output": "score as set in the gradebook since the autograder's"}]
