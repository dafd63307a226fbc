"""Grades into a real PostgreSQL gradebook (``.ci/run`` starts the server and exports
``AUTOGRADER_TEST_POSTGRES_URL``), read back through nbgrader's API; re-grading is idempotent."""

from __future__ import annotations

import os
import uuid

import pytest

from autograder.__main__ import main

from grader_corpus import build_notebook

URL = os.environ.get("AUTOGRADER_TEST_POSTGRES_URL")


@pytest.mark.postgres
@pytest.mark.skipif(not URL, reason="AUTOGRADER_TEST_POSTGRES_URL is not set (.ci/run starts a server and sets it)")
def test_postgres_gradebook(tmp_path):
    import sqlalchemy as sa
    from nbgrader.api import Gradebook

    from autograder.gradebook import normalise_url

    dbname = "ag_" + uuid.uuid4().hex[:10]
    admin = sa.create_engine(normalise_url(URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f"CREATE DATABASE {dbname}"))
    url = URL.rsplit("/", 1)[0] + "/" + dbname
    try:
        a = build_notebook({}, str(tmp_path / "alice.ipynb"))
        b = build_notebook({"ch02-ex1-solution": "def rnn_step_forward(*a):\n    raise ValueError('no')\n"},
                           str(tmp_path / "bob.ipynb"))
        for extra in ([], ["--force"]):
            assert main(["grade", "02_rnn", a, b, "--db", url, "--workers", "2", *extra]) == 0
        gb = Gradebook(normalise_url(url), course_id="rnnbook")
        try:
            subs = {s.student.id: s.score for s in gb.assignment_submissions("02_rnn")}
            assert subs == {"alice": 12.0, "bob": 9.0}
            assert sum(len(nb.grades) for s in gb.assignment_submissions("02_rnn") for nb in s.notebooks) == 8
        finally:
            gb.close()
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"))
        admin.dispose()
