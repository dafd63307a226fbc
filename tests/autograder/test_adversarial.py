"""The adversarial corpus, graded in ONE run with honest submissions: each attack scores 0 on what it did not
really solve, honest submissions keep their grades, broken files get a clear error row, nothing survives.
"""

from __future__ import annotations

import json
import os

import pytest

from autograder.__main__ import main
from autograder.checks import chapter_checks

from grader_corpus import CORPUS, corpus_names, parse_snippet

IDS = [c.id for c in chapter_checks("02_rnn")]
ROOT_ONLY = {"read_outside": "grader paths hidden", "network": "no network", "write_gradebook": "grader paths hidden"}


@pytest.fixture(scope="module")
def graded(corpus_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    db = out / "gradebook.db"
    files = sorted(str(p) for p in corpus_dir.glob("*.ipynb"))
    old = os.environ.get("AUTOGRADER_SECRET")
    os.environ["AUTOGRADER_SECRET"] = "test-secret-the-sandbox-must-not-see"  # the instructor's configuration
    try:
        rc = main(["grade", "02_rnn", *files, "--db", f"sqlite:///{db}", "--results", str(out / "results"),
                   "--timeout", "4", "--memory", "300", "--workers", "2"])
    finally:
        if old is None:
            del os.environ["AUTOGRADER_SECRET"]
        else:
            os.environ["AUTOGRADER_SECRET"] = old
    assert rc == 0
    res = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    return res, db


def _scores(doc) -> dict:
    from autograder.report import by_check
    return by_check(doc)


def _ids(spec: str) -> list[str]:
    return IDS if spec.strip() == "all" else spec.split()


@pytest.mark.slow
@pytest.mark.parametrize("name", corpus_names())
def test_corpus_snippet(graded, name):
    results, _db = graded
    _, expect = parse_snippet(os.path.join(CORPUS, name + ".py"))
    doc = results[name]
    s = _scores(doc)
    if name in ROOT_ONLY and ROOT_ONLY[name] not in doc["extra_data"]["isolation"] and os.geteuid() != 0:
        pytest.skip(f"{name}: needs {ROOT_ONLY[name]!r}, which only a root grader provides")
    for cid in _ids(expect.get("expect-zero", "")):
        assert s[cid][0] == 0.0, f"{name}: {cid} scored {s[cid][0]}: {s[cid][2]}"
        if "expect-message" in expect:
            assert expect["expect-message"] in s[cid][2]
    for cid in _ids(expect.get("expect-full", "")):
        assert s[cid][0] == s[cid][1], f"{name}: {cid} scored {s[cid][0]} of {s[cid][1]}: {s[cid][2]}"
    for cid in _ids(expect.get("expect-partial", "")):
        assert 0 < s[cid][0] < s[cid][1], f"{name}: {cid} scored {s[cid][0]} of {s[cid][1]}"
    if "expect-flag" in expect:
        assert f"{expect['expect-flag']}: near copy of the reference" in doc.get("output", ""), doc.get("output")
    if "expect-no-process" in expect:
        marker = expect["expect-no-process"]
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
                except OSError:
                    continue
                assert marker not in cmd, f"process {pid} ({cmd}) outlived its submission"


@pytest.mark.slow
def test_broken_files_get_error_rows(graded):
    results, _ = graded
    for name, words in {"invalid_json": "not valid JSON", "not_a_notebook": "not a Jupyter notebook",
                        "old_nbformat": "nbformat 3"}.items():
        assert results[name]["score"] == 0.0
        assert words in results[name]["output"], results[name]["output"]


@pytest.mark.slow
def test_edited_notebooks(graded):
    results, _ = graded
    assert results["deleted_tests"]["score"] == 12.0  # test cells are never executed: deleting them changes nothing
    # a solution cell whose grade_id was changed still runs, as nbgrader runs every code cell; the grader says so
    s = _scores(results["changed_metadata"])
    assert s["ch02_rnn_forward"][0] == 3.0 and s["ch02_rnn_step_forward"][0] == 3.0
    assert "ch02-ex2-solution" in results["changed_metadata"]["output"]


@pytest.mark.slow
def test_gradebook_holds_the_same_grades(graded):
    from nbgrader.api import Gradebook
    results, db = graded
    gb = Gradebook(f"sqlite:///{db}", course_id="rnnbook")
    try:
        for sub in gb.assignment_submissions("02_rnn"):
            assert sub.score == pytest.approx(results[sub.student.id]["score"]), sub.student.id
        assert gb.find_submission("02_rnn", "honest_correct").score == 12.0
    finally:
        gb.close()
