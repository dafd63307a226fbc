"""The student's JupyterLab, as the README has a student make it (a fresh venv, the bundle, ``jupyterlab``), shows
no instructor tool: no nbgrader server extension (formgrader, Create Assignment) and no nbgrader lab extension.
The same listing in the repository's (instructor's) venv shows nbgrader, so the check can fail."""

from __future__ import annotations

import subprocess
import sys

import pytest

import student_bundle_helpers as h

pytestmark = pytest.mark.slow


def _listing(py: str, env: dict) -> str:
    """``jupyter server extension list`` and ``jupyter labextension list`` of ``py``'s environment (run as
    modules, so that no ``jupyter-*`` script of another environment on PATH answers instead)."""
    out = []
    for args in (["jupyter_server", "extension", "list"], ["jupyterlab.labextensions", "list"]):
        r = subprocess.run([py, "-m", *args], env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, (args, r.stdout[-2000:], r.stderr[-2000:])
        out.append(r.stdout + r.stderr)
    return "\n".join(out)


def test_student_jupyterlab_has_no_instructor_extension(tmp_path):
    from autograder.release import release
    root = tmp_path
    release(["02_rnn"], str(root / "student"))
    py = h.make_student_venv(str(root / "venv"), str(root / "student"),
                             roots=("numpy", "torch", "ipykernel", "setuptools", "jupyterlab"))
    env = h.clean_env(HOME=str(root), JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
                      JUPYTER_DATA_DIR=str(root / ".local" / "share" / "jupyter"))
    theirs = _listing(py, env)
    assert "jupyterlab" in theirs and "enabled" in theirs, theirs          # the student's lab itself is there
    assert "nbgrader" not in theirs.lower(), theirs
    instructor = _listing(sys.executable, env)
    assert "nbgrader.server_extensions.formgrader" in instructor and "@jupyter/nbgrader" in instructor, instructor
