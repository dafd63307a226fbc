"""A term of one assignment in an nbgrader course folder, from release to returned feedback, with the real
``nbgrader`` commands on both sides of ``autograder grade`` (run as root, in its sandbox, from the course folder
with no ``--db`` and no paths: it reads ``nbgrader_config.py`` as nbgrader does).

The due date is in nbgrader's gradebook (``nbgrader db assignment add --duedate``) 30 hours before the run;
extensions are nbgrader's (``SubmittedAssignment.extension``). The submission time is when the notebook
arrived in ``submitted/`` (now), so a student with a 3-day extension is on time, one with 1 day is 6 hours
late, one with none 30 hours late (two started days).

Students work in the bundle's notebook (``autograder release``: it imports ``rnncheck``, not the grader) and
hand it in with ``nbgrader submit``; hank works in nbgrader's own release. Students: alice (correct; then a manual grade and comment in the gradebook), bob (one function wrong on the
batched cases only: partial credit), carol (correct, 30 h late), dave (correct, 6 h late), erin (partial,
then re-submitted correct), frank (correct, plus an old draft notebook), grace (no exercises.ipynb at all),
hank (submitted before his due date, collected after it: on time, from the exchange's inbound copy), ivan
(correct, his own rnn_forward), judy (ivan's rnn_forward, renamed and padded: the similarity pair), and
``TERM_EXTRA_STUDENTS`` more correct students (default 30: the issue's class of 40).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import time
import uuid

import pytest

from term_corpus import (ASSIGNMENT, IVAN, JUDY, WRONG_BATCH, WRONG_STEP, autograder, hand_in, make_course,
                         nbgrader, submit_all, utc_now)

PG = os.environ.get("AUTOGRADER_TEST_POSTGRES_URL")
EXTRA = int(os.environ.get("TERM_EXTRA_STUDENTS", "30"))
PER_DAY = 0.1
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="grading needs root (bubblewrap and cgroups)"),
              # nbgrader's own Gradebook.update_or_create_submission warns about its autoflush; not ours to fix
              pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")]


def _scores(url, course_id="rnn-term"):
    """student -> (score, late penalty, seconds late, {cell: score}, timestamp) from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    from autograder.gradebook import normalise_url
    gb = Gradebook(normalise_url(url), course_id=course_id)
    try:
        out = {}
        for sub in gb.assignment_submissions(ASSIGNMENT):
            (nb,) = sub.notebooks
            out[sub.student.id] = (sub.score, sub.late_submission_penalty, sub.total_seconds_late,
                                   {g.name: g.score for g in nb.grades}, sub.timestamp)
        return out
    finally:
        gb.close()


def term(tmp_path, db_url, *, with_nbgrader_autograde: bool):
    from nbgrader.api import Gradebook

    from autograder.gradebook import normalise_url
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    make_course(course, db_url, exchange)
    due = utc_now() - dt.timedelta(hours=30)
    nbgrader(course, "db", "assignment", "add", ASSIGNMENT, f"--duedate={due:%Y-%m-%d %H:%M:%S} UTC")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "release_assignment", ASSIGNMENT, "--force")
    assert (course / "release" / ASSIGNMENT / "exercises.ipynb").exists()
    # the students' bundle (the notebook importing rnncheck, and the checker): what students work in and hand in
    autograder(course, "release", ASSIGNMENT, "--out", str(course / "student"), "--zip", str(course / "student.zip"))
    release = course / "student" / ASSIGNMENT / "exercises.ipynb"
    assert "from rnncheck import run_check" in release.read_text()

    extra = [f"s{k:02d}" for k in range(EXTRA)]
    named = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "hank", "ivan", "judy"]
    extensions = {"alice": 3, "bob": 3, "dave": 1, "erin": 3, "frank": 3, "grace": 3, "ivan": 3, "judy": 3,
                  **{s: 3 for s in extra}}
    gb = Gradebook(normalise_url(db_url), course_id="rnn-term")
    try:
        for s in [*named, *extra]:
            gb.update_or_create_student(s)
        for s, days in extensions.items():  # nbgrader's extension (formgrader's "extension" field)
            gb.update_or_create_submission(ASSIGNMENT, s, extension=dt.timedelta(days=days))
    finally:
        gb.close()
    home = tmp_path / "students"
    for s in ["alice", "carol", "dave", "frank", *extra]:
        hand_in(course, home, release, s)
    hand_in(course, home, release, "bob", {"ch02-ex1-solution": WRONG_BATCH})
    hand_in(course, home, release, "erin", {"ch02-ex1-solution": WRONG_STEP})
    hand_in(course, home, release, "frank", stub=True, name="a-draft.ipynb")
    hand_in(course, home, release, "grace", stub=True, name="notes.ipynb", only=True)
    hand_in(course, home, course / "release" / ASSIGNMENT / "exercises.ipynb", "hank")  # nbgrader's release
    hand_in(course, home, release, "ivan", {"ch02-ex2-solution": IVAN})
    hand_in(course, home, release, "judy", {"ch02-ex2-solution": JUDY})
    everyone = [*named, *extra]
    submit_all(course, home, exchange, everyone)
    # hank submitted before his due date; the instructor collects after it: on time (the exchange's copy says so)
    gb = Gradebook(normalise_url(db_url), course_id="rnn-term")
    try:
        gb.update_or_create_submission(ASSIGNMENT, "hank", extension=utc_now() + dt.timedelta(seconds=1) - due)
    finally:
        gb.close()
    time.sleep(2)
    nbgrader(course, "collect", ASSIGNMENT, "--update")
    # a timestamp.txt that says the year 2000 (anyone who can write the folder can write it) is not believed
    (course / "submitted" / "carol" / ASSIGNMENT / "timestamp.txt").write_text("2000-01-01 00:00:00.000000 UTC")

    # 1. the first grading run: no --db, no paths; the course's configuration says where everything is
    out = autograder(course, "grade", ASSIGNMENT, "--late-per-day", str(PER_DAY), "--workers", "4")
    assert "a-draft.ipynb" in out.stderr and "grace: no exercises.ipynb" in out.stderr, out.stderr
    first = _scores(db_url)
    assert set(first) == {*named, *extra} and len(first) == 10 + EXTRA
    full = {s: first[s][0] for s in ["alice", "frank", "hank", "ivan", "judy", *extra]}
    assert full == {s: 12.0 for s in full}, first
    assert 9.0 < first["bob"][0] < 12.0 and 0 < first["bob"][3]["ch02_rnn_step_forward"] < 3.0, first["bob"]
    assert first["erin"][0] == 9.0 and first["erin"][3]["ch02_rnn_step_forward"] == 0.0
    assert first["grace"][0] == 0.0
    # late: carol 30 h (2 started days: 20 % of 12), dave 6 h past his 1-day extension (10 %); the others on time.
    # carol's timestamp.txt (year 2000) is not believed: the time is when the notebook arrived
    assert first["carol"][2] == pytest.approx(30 * 3600, abs=300) and first["carol"][1] == pytest.approx(2.4)
    assert first["dave"][2] == pytest.approx(6 * 3600, abs=300) and first["dave"][1] == pytest.approx(1.2)
    assert all(first[s][1] == 0.0 and first[s][2] == 0 for s in ["alice", "bob", "erin", "frank", "hank", "ivan",
                                                                   "judy", *extra])
    assert "late: carol: late by 30.0 h, penalty 2.4 points" in out.stdout, out.stdout
    assert f"autograded notebooks in {course / 'autograded'}\n" in out.stdout, out.stdout
    graded = [s for s in [*named, *extra] if s != "grace"]
    for s in graded:
        assert (course / "autograded" / s / ASSIGNMENT / "exercises.ipynb").exists(), s
    assert not (course / "autograded" / "grace").exists()
    import nbformat
    bob_nb = nbformat.read(str(course / "autograded" / "bob" / ASSIGNMENT / "exercises.ipynb"), as_version=4)
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in bob_nb.cells if "nbgrader" in c.metadata}
    assert by_id["ch02-ex1-solution"].source == WRONG_BATCH                    # as the student wrote it
    out_text = by_id["ch02_rnn_step_forward"].outputs[0]["text"]
    assert "✗ ch02_rnn_step_forward [" in out_text and "✓ ch02_rnn_step_forward [" in out_text
    assert "HIDDEN TESTS" not in by_id["ch02_rnn_step_forward"].source
    # formgrader's view (nbgrader's API behind it): every submission autograded, with the gradebook's score
    from nbgrader.apps import NbGraderAPI

    from autograder.autograded import load_course
    cfg = load_course(str(course))
    listed = {x["student"]: x for x in NbGraderAPI(coursedir=cfg.coursedir, config=cfg.config)
              .get_submissions(ASSIGNMENT)}
    assert all(listed[s]["autograded"] for s in graded)
    assert listed["bob"]["score"] == pytest.approx(first["bob"][0])
    assert (course / "submitted" / "carol" / ASSIGNMENT / "timestamp.txt.student").read_text().startswith("2000")
    stamp = (course / "autograded" / "carol" / ASSIGNMENT / "timestamp.txt").read_text()
    assert (course / "submitted" / "carol" / ASSIGNMENT / "timestamp.txt").read_text() == stamp
    assert stamp.startswith(f"{utc_now():%Y-%m-%d}") or stamp.startswith(f"{due + dt.timedelta(hours=30):%Y-%m-%d}")

    # the similarity report, from the course folder (no paths): judy's copy of ivan's rnn_forward, nobody else
    out = autograder(course, "similarity", ASSIGNMENT)
    pairs = [ln.split() for ln in out.stdout.splitlines() if ln.strip() and not ln.split()[0].isdigit()]
    assert [p[:3] for p in pairs] == [["ivan", "judy", "rnn_forward"]], out.stdout
    assert f"1 pair(s) at or above 0.9 among {10 + EXTRA} submission(s)" in out.stdout, out.stdout

    # 2. the instructor's adjustments in the gradebook (what formgrader writes), then erin re-submits
    gb = Gradebook(normalise_url(db_url), course_id="rnn-term")
    try:
        gb.find_grade("ch02_sample_chars", "exercises", ASSIGNMENT, "alice").manual_score = 2.0
        gb.find_comment("ch02-ex4-solution", "exercises", ASSIGNMENT, "alice").manual_comment = "see me: the loop"
        gb.db.commit()
    finally:
        gb.close()
    hand_in(course, home, release, "erin")
    submit_all(course, home, exchange, ["erin"])
    nbgrader(course, "collect", ASSIGNMENT, "--update")
    out = autograder(course, "grade", ASSIGNMENT, "--late-per-day", str(PER_DAY), "--workers", "4")
    second = _scores(db_url)
    assert second["erin"][0] == 12.0 and "unchanged submission(s)" in out.stdout, out.stdout
    assert second["erin"][4] > first["erin"][4] and second["alice"][4] == first["alice"][4]  # re-submitted later
    assert second["alice"][0] == 11.0 and second["alice"][3]["ch02_sample_chars"] == 2.0
    assert {s: v[:3] for s, v in second.items() if s != "erin"} == {s: v[:3] for s, v in first.items()
                                                                      if s not in ("erin", "alice")} | {
        "alice": (11.0, 0.0, 0)}

    # 3. nbgrader autograde grades bob (all or nothing per cell); ours says so and keeps it until --force
    if with_nbgrader_autograde:
        nbgrader(course, "autograde", ASSIGNMENT, "--student", "bob", "--force")
        theirs = _scores(db_url)["bob"]
        assert theirs[3]["ch02_rnn_step_forward"] == 0.0, theirs
        out = autograder(course, "grade", ASSIGNMENT, "--late-per-day", str(PER_DAY))
        assert "graded by nbgrader autograde" in out.stdout and "bob" in out.stdout, out.stdout
        assert _scores(db_url)["bob"] == theirs
        out = autograder(course, "grade", ASSIGNMENT, "--late-per-day", str(PER_DAY), "--force", "--workers", "4")
        assert _scores(db_url)["bob"][3] == first["bob"][3]
        assert _scores(db_url)["alice"][0] == 11.0   # the manual grade survives a forced re-grade

    # 4. feedback through nbgrader: every student with a notebook gets HTML holding their own check lines
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    for s in graded:
        html = (course / "feedback" / s / ASSIGNMENT / "exercises.html").read_text()
        assert "✓ ch02_rnn_forward [" in html, s
        assert "BEGIN HIDDEN TESTS" not in html
    bob = (course / "feedback" / "bob" / ASSIGNMENT / "exercises.html").read_text()
    assert "✗ ch02_rnn_step_forward [" in bob
    alice = (course / "feedback" / "alice" / ASSIGNMENT / "exercises.html").read_text()
    assert "see me: the loop" in alice and "✓ ch02_sample_chars [" in alice
    carol = (course / "feedback" / "carol" / ASSIGNMENT / "exercises.html").read_text()
    assert "late by 30.0 h, penalty 2.4 points" in carol
    assert not (course / "feedback" / "grace").exists()
    nbgrader(course, "release_feedback", ASSIGNMENT)
    returned = list((exchange / "rnn-term" / "feedback").glob("*.html"))
    assert len(returned) == len(graded), returned
    # and the student fetches it: bob's own lines come back to bob
    nbgrader(home / "bob", "fetch_feedback", ASSIGNMENT, "--course", "rnn-term", "--student=bob",
             f"--Exchange.root={exchange}", f"--Exchange.cache={home / 'bob' / '.cache'}")
    fetched = list((home / "bob" / ASSIGNMENT / "feedback").glob("*/exercises.html"))
    assert len(fetched) == 1 and "✗ ch02_rnn_step_forward [" in fetched[0].read_text(), fetched

    # 5. grades out, from the course folder: a column per check, Canvas's import, Gradescope's results.json, all
    # agreeing with the gradebook (alice's manual grade included) and with nbgrader's own export
    final = _scores(db_url)
    autograder(course, "export", "--format", "csv", "--output", str(tmp_path / "grades.csv"))
    with open(tmp_path / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(final) and len(rows) == 10 + EXTRA
    for s, r in rows.items():
        assert float(r["score"]) == pytest.approx(final[s][0]), s
        assert {k: float(r[k]) for k in final[s][3]} == pytest.approx(final[s][3]), s
    assert float(rows["alice"]["ch02_sample_chars"]) == 2.0 and float(rows["grace"]["score"]) == 0.0
    nbgrader(course, "export", f"--to={tmp_path / 'nbgrader.csv'}")
    with open(tmp_path / "nbgrader.csv", newline="") as f:
        theirs = {r["student_id"]: r for r in csv.DictReader(f)}
    assert {s: float(theirs[s]["raw_score"]) for s in rows} == pytest.approx({s: float(rows[s]["score"]) for s in rows})
    assert float(theirs["carol"]["late_submission_penalty"]) == pytest.approx(2.4)
    autograder(course, "export", "--format", "canvas", "--output", str(tmp_path / "canvas.csv"))
    with open(tmp_path / "canvas.csv", newline="") as f:
        canvas = list(csv.DictReader(f))
    assert canvas[0]["Student"] == "Points Possible" and float(canvas[0][ASSIGNMENT]) == 12.0
    assert len(canvas) == 1 + 10 + EXTRA
    autograder(course, "export", "--format", "gradescope", "--assignment", ASSIGNMENT,
               "--output", str(tmp_path / "gradescope"))
    gs = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "gradescope").glob("*.json")}
    assert set(gs) == set(final)
    assert gs["carol"]["score"] == pytest.approx(final["carol"][0] - 2.4)
    assert gs["alice"]["score"] == pytest.approx(11.0)
    assert {t["visibility"] for t in gs["judy"]["tests"]} == {"visible", "hidden"}


def test_term_sqlite(tmp_path):
    term(tmp_path, f"sqlite:///{tmp_path}/course/gradebook.db", with_nbgrader_autograde=True)


@pytest.mark.postgres
@pytest.mark.skipif(not PG, reason="AUTOGRADER_TEST_POSTGRES_URL is not set (.ci/run starts a server and sets it)")
def test_term_postgres(tmp_path):
    import sqlalchemy as sa

    from autograder.gradebook import normalise_url
    dbname = "term_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(normalise_url(PG), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {dbname}"))
    try:
        term(tmp_path, normalise_url(PG.rsplit("/", 1)[0] + "/" + dbname), with_nbgrader_autograde=False)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
        admin.dispose()
