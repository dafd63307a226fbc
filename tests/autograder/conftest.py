"""Fixtures of the grader's tests (the helpers they use live in grader_corpus.py, imported by name, since
every test folder's conftest.py is a module called ``conftest``)."""

from __future__ import annotations

import json
import os

import pytest

from grader_corpus import CORPUS, build_notebook, corpus_names, parse_snippet


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    """Every corpus snippet as a notebook, plus the broken files, in one folder."""
    d = tmp_path_factory.mktemp("corpus")
    for name in corpus_names():
        cells, _ = parse_snippet(os.path.join(CORPUS, name + ".py"))
        build_notebook(cells, str(d / f"{name}.ipynb"))
    build_notebook({}, str(d / "deleted_tests.ipynb"), drop_tests=True)
    build_notebook({}, str(d / "changed_metadata.ipynb"), change_meta="ch02-ex2-solution")
    (d / "invalid_json.ipynb").write_text('{"cells": [')
    (d / "not_a_notebook.ipynb").write_text(json.dumps(["a", "list"]))
    old = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": []}]}
    (d / "old_nbformat.ipynb").write_text(json.dumps(old))
    return d


@pytest.fixture(autouse=True)
def course_secret(monkeypatch):
    """A strong course secret, as `autograder init` writes (grading refuses a guessable one); tests that
    exercise the secret's configuration override it."""
    import secrets
    if not os.environ.get("AUTOGRADER_SECRET"):
        monkeypatch.setenv("AUTOGRADER_SECRET", secrets.token_hex(32))
