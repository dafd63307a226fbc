"""The course's configuration is read as nbgrader reads it, and late penalties follow nbgrader's plugin (fast:
no grading, no subprocess)."""

from __future__ import annotations

import pytest

from autograder.autograded import load_course
from autograder.cli import default_db_url
from autograder.late import PerDay, assign, plugin


def _course(tmp_path, extra: str = ""):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'cfg-course'\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{tmp_path}/grades/gb.sqlite'\n"
        "c.CourseDirectory.submitted_directory = 'handed_in'\n"
        "c.CourseDirectory.autograded_directory = 'marked'\n" + extra)
    return load_course(str(tmp_path))


def test_course_folder_config_is_nbgraders(tmp_path):
    course = _course(tmp_path)
    assert course.configured and course.root == str(tmp_path)
    assert course.db_url == f"sqlite:///{tmp_path}/grades/gb.sqlite" == default_db_url(str(tmp_path))
    assert course.course_id == "cfg-course"
    assert course.folder("submitted", "ann", "02_rnn") == str(tmp_path / "handed_in" / "ann" / "02_rnn")
    assert course.folder("autograded", "ann", "02_rnn") == str(tmp_path / "marked" / "ann" / "02_rnn")


def test_no_config_gives_nbgraders_defaults(tmp_path):
    course = load_course(str(tmp_path))
    assert not course.configured
    assert course.db_url == f"sqlite:///{tmp_path}/gradebook.db"
    assert course.folder("submitted", "ann", "02_rnn") == str(tmp_path / "submitted" / "ann" / "02_rnn")


def test_default_plugin_keeps_the_score(tmp_path):
    """nbgrader's LateSubmissionPlugin, penalty_method 'none' by default: late, no penalty."""
    plug = plugin(_course(tmp_path))
    assert type(plug).__name__ == "LateSubmissionPlugin"
    assert assign(plug, "ann", 10.0, 3600.0) is None
    assert assign(plug, "ann", 10.0, 0.0) is None


def test_zero_method_from_the_course_config(tmp_path):
    plug = plugin(_course(tmp_path, "c.LateSubmissionPlugin.penalty_method = 'zero'\n"))
    assert assign(plug, "ann", 10.0, 1.0) == 10.0
    assert assign(plug, "ann", 10.0, 0.0) is None


def test_per_day_configured_as_an_nbgrader_plugin(tmp_path):
    plug = plugin(_course(tmp_path, "c.AssignLatePenalties.plugin_class = 'autograder.late.PerDay'\n"
                                    "c.PerDay.fraction = 0.25\n"))
    assert isinstance(plug, PerDay) and plug.fraction == 0.25
    assert assign(plug, "ann", 8.0, 1.0) == pytest.approx(2.0)          # 1 s late: one started day
    assert assign(plug, "ann", 8.0, 86400.0 + 1) == pytest.approx(4.0)   # two started days
    assert assign(plug, "ann", 8.0, 30 * 86400.0) == pytest.approx(8.0)  # never more than the score


def test_per_day_option_overrides_and_is_checked(tmp_path):
    course = _course(tmp_path)
    assert assign(plugin(course, 0.1), "ann", 12.0, 30 * 3600.0) == pytest.approx(2.4)
    with pytest.raises(ValueError, match="between 0 and 1"):
        plugin(course, 1.5)


def test_broken_config_is_an_error_not_defaults(tmp_path):
    """nbgrader logs a broken nbgrader_config.py and goes on with its defaults (another gradebook); not here."""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.db_url = 'sqlite:///x.db'\n"
                                                 "this is broken\n")
    with pytest.raises(ValueError, match="nbgrader_config.py: expected a configuration nbgrader can load, got "
                                         "(NameError|SyntaxError)"):
        load_course(str(tmp_path))


def test_cli_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    from autograder.cli import main
    (tmp_path / "nbgrader_config.py").write_text("c = get_config(\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUTOGRADER_SECRET", "0123456789abcdef" * 4)
    assert main(["grade", "02_rnn", "--unsafe"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) >= 1 and "nbgrader_config.py: expected a configuration nbgrader can load" in err[-1]
