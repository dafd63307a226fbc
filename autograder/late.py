"""Late penalties as nbgrader assigns them: due dates and extensions from nbgrader's gradebook, the penalty
from a ``LateSubmissionPlugin``.

nbgrader's ``AssignLatePenalties`` asks its ``plugin_class`` (configured in ``nbgrader_config.py`` as
``c.AssignLatePenalties.plugin_class``; by default ``nbgrader.plugins.LateSubmissionPlugin``, whose
``penalty_method`` is ``'none'``: the score is unchanged and the submission is only marked late; ``'zero'``
takes the whole score) for ``late_submission_penalty(student_id, score, total_seconds_late)`` and clips the
answer to ``[0, score]``. :func:`assign` does the same, with the same plugin and the same settings, for a
submission this grader wrote. :class:`PerDay` is the per-day policy (``autograder grade --late-per-day``); it
is also usable from nbgrader: ``c.AssignLatePenalties.plugin_class = 'autograder.late.PerDay'``.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

__all__ = ["PerDay", "plugin", "assign", "describe"]


class PerDay(LateSubmissionPlugin):
    """For each started day (24 h) past the due date (with the student's extension), ``fraction`` of the
    score obtained is taken, at most all of it: with 0.1, 1 s to 24 h late keeps 90 %, 24 h 1 s keeps 80 %."""

    fraction = Float(0.1, help="share of the score taken per started day late").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float):
        if total_seconds_late <= 0:
            return None
        days = math.ceil(total_seconds_late / 86400.0)
        return score * min(1.0, self.fraction * days)


def plugin(course, per_day: float | None = None):
    """The course's late-submission plugin (nbgrader's ``AssignLatePenalties.plugin_class`` with the course's
    settings), or :class:`PerDay` with ``per_day`` when given."""
    if per_day is not None:
        if not 0.0 <= per_day <= 1.0:
            raise ValueError(f"--late-per-day: expected a fraction between 0 and 1, got {per_day}")
        return PerDay(fraction=per_day)
    from nbgrader.preprocessors import AssignLatePenalties
    pre = course.plugin(AssignLatePenalties) if course is not None else AssignLatePenalties()
    return pre.plugin_class(parent=pre)


def assign(plug, student: str, score: float, seconds_late: float) -> float | None:
    """The penalty nbgrader would store (``SubmittedNotebook.late_submission_penalty``): None when on time
    or when the plugin gives none, else the plugin's answer clipped to ``[0, score]``."""
    if seconds_late <= 0:
        return None
    penalty = plug.late_submission_penalty(student, score, seconds_late)
    if penalty is None:
        return None
    return float(min(max(penalty, 0.0), score))


def describe(seconds_late: float, penalty: float | None) -> str:
    """``late by 26.0 h, penalty 1.2 points`` (or ``…, no penalty``)."""
    pen = f"penalty {penalty:g} points" if penalty else "no penalty (nbgrader's plugin gives none)"
    return f"late by {seconds_late / 3600:.1f} h, {pen}"
