"""What a check is: defined once, used by the notebooks' test cells and by the out-of-process grader.

A :class:`Check` tests one exercise. Its :attr:`Check.run` is called with a *namespace* (a mapping from the
names the student defines to callables) and one case's inputs, and returns a tuple of plain arrays:

- in the grader, ``run`` is called in the sandboxed worker with the student's namespace, and separately in
  the grader's own process with the reference namespace (the attributes of :attr:`Check.reference`); the
  two results are compared there, in :mod:`autograder.compare`;
- in a notebook, :func:`autograder.notebook.run_check` does the same in the student's kernel.

So a check module never imports the reference package: the reference reaches ``run`` only as a namespace,
and only in the grader's process. ``run`` receives inputs as NumPy arrays, scalars, strings or tuples of
them, and must return NumPy arrays or Python/NumPy scalars.

Cases: each :class:`Case` draws its inputs from a ``numpy.random.Generator``. Visible cases are drawn from
a public seed (so the student sees them in the notebook); hidden cases are drawn at grading time from a
seed derived from the course secret (``AUTOGRADER_SECRET`` or the instructor's config), so reading this
code tells a student nothing a correct implementation would not know. A visible case may carry literal
``expected`` outputs (the deterministic ``np.linspace`` case), checked in addition to the reference.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

__all__ = ["Case", "Check", "Callback", "case_rng", "hidden_rng", "PUBLIC_SEED"]

PUBLIC_SEED = "public"  # the seed of visible cases; hidden ones use the course secret


@dataclass(frozen=True)
class Case:
    """One set of inputs for a check.

    name: short label shown in feedback, e.g. ``"T=1"`` or ``"linspace"``.
    inputs: ``inputs(rng) -> tuple`` of arrays/scalars; deterministic cases ignore ``rng``.
    points: the case's share of the check's points (partial credit in the course's grader).
    visible: shown to the student (and run by ``autograder check``); hidden cases are graded only.
    expected: literal expected outputs for a visible case (a tuple, like ``run``'s result), or None.
    """

    name: str
    inputs: Callable[[np.random.Generator], tuple]
    points: float = 1.0
    visible: bool = False
    expected: tuple | None = None


@dataclass(frozen=True)
class Check:
    """One graded exercise: the nbgrader ``grade_id`` of its test cell, what it calls, how it is compared.

    id: unique in the course, also the ``grade_id`` of the notebook's test cell, e.g. ``"ch05_lstm_step_forward"``.
    chapter: ``"ch05"``; the assignment's name in nbgrader is the chapter's folder name (see checks/__init__).
    functions: the names the student defines that ``run`` uses (the solution cells define them).
    reference: import path of the module whose attributes form the reference namespace, e.g. ``"rnnbook.numpy"``.
    run: ``run(namespace, inputs) -> tuple`` of plain arrays; runs in the student's process, never trusted.
    cases: visible and hidden cases.
    rtol, atol: comparison tolerances (float64 inputs, so tight by default).
    forbidden: dotted names the solution may not use (``"torch.nn.LSTM"``, ``"rnnbook"``); using one scores 0.
    description: one line shown in feedback.
    outputs: the names of ``run``'s outputs as the exercise calls them (``("next_h", "next_c")``), used in feedback
        instead of ``output 0``; empty means unnamed.
    """

    id: str
    chapter: str
    functions: tuple[str, ...]
    reference: str
    run: Callable[[Mapping[str, Callable], tuple], tuple]
    cases: tuple[Case, ...]
    rtol: float = 1e-6
    atol: float = 1e-8
    forbidden: tuple[str, ...] = ("rnnbook",)
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()   # names of run's outputs as the exercise names them (next_h, dWx), for feedback

    @property
    def points(self) -> float:
        return float(sum(c.points for c in self.cases))


@dataclass
class Callback:
    """A grader function passed to the student's code; ``sync`` maps an argument position of the call to a
    grader-side array that receives that argument's contents before each callback (for functions such as a
    numerical gradient, which perturb an array in place and then call ``f()``)."""

    fn: object
    sync: dict = field(default_factory=dict)

    def __call__(self, *args):
        return self.fn(*args)


def case_rng(secret: str, check_id: str, case_name: str) -> np.random.Generator:
    """The generator a case draws from: a hash of (secret, check id, case name).

    Visible cases use ``PUBLIC_SEED``; hidden cases the course secret, so hidden inputs change with it.
    """
    digest = hashlib.sha256(f"{secret}\x00{check_id}\x00{case_name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def hidden_rng(secret: str, student: str, check_id: str, case_name: str) -> np.random.Generator:
    """The generator of a hidden case for one student: HMAC-SHA256 keyed by the course secret over (student,
    check id, case name). Inputs differ between students and are the same on every re-grade of one student;
    without the key they cannot be computed, and one student's inputs say nothing about another's."""
    msg = "\x00".join((student, check_id, case_name)).encode("utf-8", "surrogatepass")
    digest = hmac.new(secret.encode("utf-8", "surrogatepass"), msg, hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))
