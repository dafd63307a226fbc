"""Every check of the course, one module per chapter (``ch01`` … ``ch10``), each exporting ``CHECKS``.

A chapter's nbgrader assignment is named after its folder under ``chapters/`` (:data:`ASSIGNMENTS`).
Check modules never import the reference package (see :mod:`autograder.spec`).
"""

from __future__ import annotations

import importlib

from ..spec import Check

ASSIGNMENTS = {
    "ch01": "01_feedforward",
    "ch02": "02_rnn",
    "ch03": "03_bptt",
    "ch04": "04_gradients",
    "ch05": "05_lstm",
    "ch06": "06_gru",
    "ch07": "07_applications",
    "ch08": "08_attention",
    "ch09": "09_transformers",
    "ch10": "10_linear_rnns",
}
CHAPTER_OF_ASSIGNMENT = {v: k for k, v in ASSIGNMENTS.items()}


def chapter_checks(chapter: str) -> list[Check]:
    """The checks of one chapter (``"ch05"``) or assignment (``"05_lstm"``), in notebook order."""
    chapter = CHAPTER_OF_ASSIGNMENT.get(chapter, chapter)
    if chapter not in ASSIGNMENTS:
        raise ValueError(f"chapter: expected one of {sorted(ASSIGNMENTS)} or {sorted(CHAPTER_OF_ASSIGNMENT)}, "
                         f"got {chapter!r}")
    return list(importlib.import_module(f"{__name__}.{chapter}").CHECKS)


def all_checks() -> dict[str, Check]:
    """Every check of the course by id; ids are unique."""
    out: dict[str, Check] = {}
    for ch in ASSIGNMENTS:
        for c in chapter_checks(ch):
            if c.id in out:
                raise ValueError(f"duplicate check id {c.id!r}")
            out[c.id] = c
    return out


def get_check(check_id: str) -> Check:
    checks = all_checks()
    if check_id not in checks:
        raise KeyError(f"no check with id {check_id!r}; known: {sorted(checks)}")
    return checks[check_id]
