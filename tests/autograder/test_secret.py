"""The course secret comes from the instructor's configuration; the public default is never used silently."""

import os
import subprocess
import sys

import pytest

from autograder import engine
from autograder.notebook import DEFAULT_SECRET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTION = os.path.join(ROOT, "solutions", "02_rnn", "exercises.ipynb")


@pytest.fixture
def course_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUTOGRADER_SECRET", raising=False)
    monkeypatch.delenv("AUTOGRADER_SECRET_FILE", raising=False)
    return tmp_path


def test_secret_sources_in_order(course_dir, monkeypatch):
    assert engine.course_secret() == DEFAULT_SECRET and not engine.secret_configured()
    (course_dir / ".autograder_secret").write_text("from-the-file\nignored\n")
    assert engine.course_secret() == "from-the-file" and engine.secret_configured()
    monkeypatch.setenv("AUTOGRADER_SECRET", "from-the-env")
    assert engine.course_secret() == "from-the-env"


def test_empty_secret_file_is_an_error(course_dir):
    (course_dir / ".autograder_secret").write_text("\n")
    with pytest.raises(ValueError, match=r"expected the course secret on its first line, got an empty line"):
        engine.course_secret()


def _grade(env):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", "02_rnn", SOLUTION, "--no-gradebook"],
                          capture_output=True, text=True, env=env, timeout=240)


@pytest.mark.slow
def test_grade_refuses_a_guessable_secret_and_grades_with_init_s(course_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_SECRET")}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    default = _grade(env)
    assert default.returncode == 2 and "public default" in default.stderr and "autograder init" in default.stderr
    (course_dir / ".autograder_secret").write_text("instructor-only\n")
    weak = _grade(env)
    assert weak.returncode == 2 and "guessable" in weak.stderr and "Traceback" not in weak.stderr
    (course_dir / ".autograder_secret").unlink()
    init = subprocess.run([sys.executable, "-m", "autograder", "init"], cwd=course_dir, env=env,
                          capture_output=True, text=True, timeout=60)
    assert init.returncode == 0, init.stderr
    secret_path = course_dir / ".autograder_secret"
    assert oct(secret_path.stat().st_mode & 0o777) == "0o600"
    assert len(secret_path.read_text().strip()) == 64
    configured = _grade(env)
    assert configured.returncode == 0, configured.stderr
    student, score, max_score = configured.stdout.splitlines()[-1].split()[:3]
    assert (score, max_score) == ("12", "12")  # the instructor's solution keeps full marks under the new secret
