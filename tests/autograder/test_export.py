"""``autograder export``: a CSV with a column per check, Canvas's gradebook import, Gradescope's results.json."""

from __future__ import annotations

import csv
import io
import json

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
    doc = json.loads((tmp_path / "gs" / "ben_02_rnn.json").read_text())
    assert all(t["max_score"] == 3.0 for t in doc["tests"]) and doc["score"] < 12.0
