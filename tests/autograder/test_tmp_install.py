"""An interpreter and packages installed under /tmp (as CI runners lay them out) grade honest work at full
marks: the sandbox binds the install read-only wherever it is, over its own private /tmp."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import pytest
from venv_under_tmp import copy_venv_under_tmp

from autograder.sandbox import capabilities

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow
@pytest.mark.skipif(not capabilities().complete, reason=capabilities().summary())
def test_a_venv_under_tmp_grades_the_instructors_solutions_at_full_marks():
    venv = copy_venv_under_tmp()
    try:
        py = os.path.join(venv, "bin", "python")
        where = subprocess.run([py, "-c", "import numpy, torch; print(numpy.__file__, torch.__file__)"],
                               capture_output=True, text=True, check=True).stdout
        assert where.count(venv) == 2, where  # NumPy and torch really come from under /tmp
        env = dict(os.environ, AUTOGRADER_SECRET=secrets.token_hex(32),
                   PATH=os.path.join(venv, "bin") + os.pathsep + os.environ.get("PATH", ""))
        for asg in ("02_rnn", "05_lstm"):  # NumPy's lazily imported modules, and torch
            out = subprocess.run([py, "-m", "autograder", "grade", asg,
                                  os.path.join(ROOT, "solutions", asg, "exercises.ipynb"), "--no-gradebook"],
                                 capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
            assert out.returncode == 0, out.stderr
            student, score, max_score = out.stdout.strip().splitlines()[-1].split()[:3]
            assert score == max_score, out.stdout
    finally:
        shutil.rmtree(venv, ignore_errors=True)
