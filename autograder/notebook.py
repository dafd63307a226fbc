"""Run a check inside a notebook (the student's kernel): what the exercise notebooks' test cells call.

    from autograder.notebook import run_check
    run_check("ch05_lstm_step_forward", globals())               # visible cases
    run_check("ch05_lstm_step_forward", globals(), hidden=True)  # hidden cases (in the hidden-test fence)

The same :class:`~autograder.spec.Check` definitions run in the course's grader, out of the student's
process; here they run in-process so that a student sees progress while working. Numpy warnings raised
by the student's code are silenced, so a correct answer that overflows in ``exp`` never writes to stderr
(nbgrader scores a test cell 0 when anything reaches stderr).
"""

from __future__ import annotations

import copy
import importlib
import os
import warnings
from typing import Mapping

import numpy as np

from .checks import get_check
from .compare import case_verdict, to_plain
from .namespace import LocalNamespace
from .spec import PUBLIC_SEED, Check, case_rng

__all__ = ["run_check", "DEFAULT_SECRET"]

DEFAULT_SECRET = "rnnbook-course"  # overridden by AUTOGRADER_SECRET in the instructor's environment


def _namespace(check: Check, namespace: Mapping) -> LocalNamespace:
    missing = [f for f in check.functions if f not in namespace]
    if missing:
        raise NameError(f"{check.id}: define {', '.join(missing)} (run the cell with your solution first)")
    return LocalNamespace(namespace, check.functions)


def reference_namespace(check: Check) -> LocalNamespace:
    """The reference implementation's namespace for ``check`` (only ever built in a trusted process)."""
    mod = importlib.import_module(check.reference)
    return LocalNamespace({f: getattr(mod, f) for f in check.functions}, check.functions)


def _quiet_run(check: Check, ns: Mapping, inputs: tuple):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return check.run(ns, copy.deepcopy(inputs))


def run_check(check_id: str, namespace: Mapping, *, hidden: bool = False, verbose: bool = True) -> float:
    """Run a check's visible (or hidden) cases against the reference; raise AssertionError on a failure.

    Returns the points earned. Prints one line per case.
    """
    check = get_check(check_id)
    ns = _namespace(check, namespace)
    ref = reference_namespace(check)
    secret = os.environ.get("AUTOGRADER_SECRET", DEFAULT_SECRET)
    failures, earned = [], 0.0
    for case in check.cases:
        if case.visible == hidden:
            continue
        inputs = case.inputs(case_rng(PUBLIC_SEED if case.visible else secret, check.id, case.name))
        try:
            got = to_plain(_quiet_run(check, ns, inputs))
        except NotImplementedError:
            raise
        except Exception as exc:  # the student's code raised: report it as this case's failure
            verdict_ok, msg = False, f"raised {type(exc).__name__}: {exc}"
        else:
            v = case_verdict(check, case, to_plain(_quiet_run(check, ref, inputs)), got)
            verdict_ok, msg = v.passed, v.message
        if verdict_ok:
            earned += case.points
        else:
            failures.append(f"{case.name}: {msg}")
        if verbose:
            print(f"{'✓' if verdict_ok else '✗'} {check.id} [{case.name}] {msg}")
    if failures:  # the ✗ lines above say what failed; the error only marks the cell as failed (for nbgrader)
        n = sum(1 for c in check.cases if c.visible != hidden)
        raise AssertionError(f"{check.id}: {len(failures)} of {n} case(s) failed" +
                             (" (see the ✗ lines above)" if verbose else ": " + "; ".join(failures)))
    return earned
