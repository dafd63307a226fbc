"""Which grader's scores a submission's cells hold, told apart without grading anything (fast): this grader's
record per cell against what the gradebook holds now; manual grades never count as someone else's."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from autograder.engine import CheckResult, Result
from autograder.gradebook import GradebookWriter, _graded, _cells, arrival
from autograder.template import Template

from term_corpus import BIN, SOLUTION


pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture
def writer(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ.get("PATH", ""))  # nbgrader runs alembic
    w = GradebookWriter(f"sqlite:///{tmp_path}/gb.db", Template.load(SOLUTION), "02_rnn", course_id="t")
    yield w
    w.close()


def _result(path, sha, score):
    t = Template.load(SOLUTION)
    return Result("ann", "02_rnn", str(path), sha256=sha,
                  checks=[CheckResult(gid, score, pts, ["line"]) for gid, pts in t.test_points.items()])


def test_status_follows_who_wrote_the_cells(writer, tmp_path):
    nb = tmp_path / "ann.ipynb"
    nb.write_text("{}")
    assert writer.status("ann", "a" * 64) == "new"
    writer.write(_result(nb, "a" * 64, 1.0))
    assert writer.status("ann", "a" * 64) == "unchanged"
    assert writer.status("ann", "b" * 64) == "changed"
    g = writer.gb.find_grade("ch02_rnn_forward", "exercises", "02_rnn", "ann")
    g.manual_score = 0.5                                  # formgrader's manual grade: still this grader's cells
    writer.gb.db.commit()
    assert writer.status("ann", "a" * 64) == "unchanged"
    g.auto_score = 3.0                                    # what nbgrader autograde writes
    writer.gb.db.commit()
    assert writer.status("ann", "a" * 64) == "other"
    writer.write(_result(nb, "a" * 64, 1.0))              # a forced re-grade: ours again, manual grade kept
    assert writer.status("ann", "a" * 64) == "unchanged"
    assert writer.gb.find_grade("ch02_rnn_forward", "exercises", "02_rnn", "ann").manual_score == 0.5


def test_gradebook_from_before_the_cell_record(writer, tmp_path):
    """Rows written before ``autograder_cells`` existed: the recorded total stands for the cells."""
    nb = tmp_path / "ann.ipynb"
    nb.write_text("{}")
    writer.write(_result(nb, "a" * 64, 1.0))
    writer.gb.db.execute(sa.delete(_cells))
    writer.gb.db.commit()
    assert writer.status("ann", "a" * 64) == "unchanged"
    writer.gb.db.execute(sa.update(_graded).values(score=99.0))
    writer.gb.db.commit()
    assert writer.status("ann", "a" * 64) == "other"


def test_arrival_takes_the_earliest_copy_with_the_same_bytes(tmp_path):
    import hashlib
    import time
    early = tmp_path / "inbound" / "ann+02_rnn+t" / "exercises.ipynb"
    early.parent.mkdir(parents=True)
    early.write_text("same")
    other = tmp_path / "inbound" / "ann+02_rnn+u" / "exercises.ipynb"
    other.parent.mkdir(parents=True)
    other.write_text("different")
    time.sleep(1.1)
    late = tmp_path / "submitted.ipynb"
    late.write_text("same")
    sha = hashlib.sha256(b"same").hexdigest()
    t_early = arrival(str(early), sha)
    assert arrival(str(late), sha, [str(early), str(other)]) == t_early
    assert arrival(str(late), sha, [str(other)]) > t_early          # different bytes prove nothing
