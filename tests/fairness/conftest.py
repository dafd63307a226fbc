"""Grade the fairness corpus with the real command line, once per chapter, as an instructor would.

The command is ``<venv>/bin/autograder grade <assignment> <notebooks> --no-gradebook --results DIR -v``
with a random 64-hex ``AUTOGRADER_SECRET`` (so hidden cases are drawn as at a real grading), against this
checkout's ``solutions/``. ``AUTOGRADER_FAIRNESS_CLI`` may name another command (e.g. an install elsewhere);
it is split on spaces.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from corpus import ROOT, SUBMISSIONS, write  # noqa: E402

from autograder.checks import ASSIGNMENTS  # noqa: E402

BIN = os.path.dirname(sys.executable)


_TMP_VENV: list[str] = []


def _venv_under_tmp() -> str:
    """A copy of this checkout's virtual environment under /tmp (made once per session, removed at exit):
    the layout CI runners use, and the one that once made every honest chapter 7 submission score 0."""
    if not _TMP_VENV:
        import atexit
        import shutil

        from venv_under_tmp import copy_venv_under_tmp
        venv = copy_venv_under_tmp("fairness-venv-")
        atexit.register(shutil.rmtree, venv, True)
        _TMP_VENV.append(venv)
    return _TMP_VENV[0]


def _cli() -> list[str]:
    """``AUTOGRADER_FAIRNESS_CLI`` if set; else, as root (as CI runs), the grader from a venv under /tmp; else
    this checkout's venv."""
    override = os.environ.get("AUTOGRADER_FAIRNESS_CLI")
    if override:
        return shlex.split(override)
    if os.geteuid() == 0 and sys.prefix != sys.base_prefix:
        return [os.path.join(_venv_under_tmp(), "bin", "python"), "-m", "autograder"]
    return [os.path.join(BIN, "autograder")]


class Graded:
    """One chapter's submissions graded in one run: per student, per check, the score and the feedback."""

    def __init__(self, chapter: str, folder: str):
        subs = [s for s in SUBMISSIONS if s.chapter == chapter]
        os.makedirs(folder, exist_ok=True)
        files = [write(s, folder) for s in subs]
        results = os.path.join(folder, "results")
        env = {**os.environ, "AUTOGRADER_SECRET": secrets.token_hex(32),
               "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
        cmd = [*_cli(), "grade", ASSIGNMENTS[chapter], *files, "--no-gradebook", "--results", results, "-v",
               "--source", os.path.join(ROOT, "solutions")]
        self.proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=900)
        self.log = (self.proc.stdout + self.proc.stderr)[-20000:]
        self.scores: dict[str, dict[str, float]] = {}
        self.feedback: dict[str, dict[str, str]] = {}
        for s in subs:
            path = os.path.join(results, f"{s.name}.json")
            if not os.path.exists(path):
                continue
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            from autograder.report import by_check
            checks = by_check(data)
            self.scores[s.name] = {k: v[0] for k, v in checks.items()}
            self.feedback[s.name] = {k: v[2] for k, v in checks.items()}


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """``graded(chapter) -> Graded``, each chapter graded once per session."""
    cache: dict[str, Graded] = {}

    def get(chapter: str) -> Graded:
        if chapter not in cache:
            cache[chapter] = Graded(chapter, str(tmp_path_factory.mktemp(f"fair_{chapter}")))
        return cache[chapter]
    return get
