"""The course's visible checks, for the student's own kernel: what the released notebooks' test cells call.

    from rnncheck import run_check
    run_check("ch05_lstm_step_forward", globals())

Each visible case's inputs and expected outputs were computed by the course's grader when the bundle was
released (``autograder release``) and ship as data in ``rnncheck/data/chNN.json``; this package holds no
solution, no reference implementation and no hidden case. Hidden cases are graded by the course's grader
only. Numpy warnings raised by the student's code are silenced (nbgrader scores a cell 0 when anything
reaches stderr). Prints one line per case; raises AssertionError when a case fails.
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from functools import lru_cache
from typing import Mapping

import numpy as np

from ._util import decode
from .runs import RUNS, Namespace

__all__ = ["run_check", "checks"]

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


@lru_cache(maxsize=None)
def _chapter(chapter: str) -> dict:
    path = os.path.join(DATA, f"{chapter}.json")
    if not os.path.isdir(DATA):  # the source folder in the course's repository, not a released bundle
        raise KeyError(f"{os.path.dirname(DATA)} holds no checks: it is rnncheck's source; install a released "
                       "bundle instead (autograder release … --out DIR; pip install DIR)")
    if not os.path.exists(path):
        have = sorted(f[:-5] for f in os.listdir(DATA) if f.endswith(".json")) if os.path.isdir(DATA) else []
        raise KeyError(f"no checks of {chapter} in this bundle (it has {', '.join(have) or 'none'})")
    with open(path, encoding="utf-8") as f:
        return json.load(f)["checks"]


def checks(chapter: str) -> list[str]:
    """The ids of a chapter's checks in this bundle (``"ch05"``)."""
    return list(_chapter(chapter))


def run_check(check_id: str, namespace: Mapping, *, verbose: bool = True) -> float:
    """Run a check's visible cases on the functions in ``namespace``; return the points earned."""
    spec = _chapter(check_id.split("_", 1)[0]).get(check_id)
    if spec is None:
        raise KeyError(f"no check with id {check_id!r} in this bundle")
    from .compare import compare, to_plain  # copied from the grader into the bundle by autograder release
    missing = [f for f in spec["functions"] if f not in namespace]
    if missing:
        raise NameError(f"{check_id}: define {', '.join(missing)} (run the cell with your solution first)")
    ns = Namespace(namespace, spec["functions"] + spec.get("also", []))
    names = tuple(spec["outputs"]) or None
    failures, earned = [], 0.0
    for case in spec["cases"]:
        inputs, extra = decode(case["inputs"]), decode(case["extra"])
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got = to_plain(RUNS[check_id](ns, copy.deepcopy(inputs), extra))
        except NotImplementedError:
            raise
        except Exception as exc:  # the student's code raised: this case fails
            ok, msg = False, f"raised {type(exc).__name__}: {exc}"
        else:
            v = compare(tuple(decode(case["expected"])), got, rtol=spec["rtol"], atol=spec["atol"], reveal=True,
                        names=names)
            ok, msg = v.passed, v.message
            if ok and case.get("literal") is not None:
                v = compare(tuple(decode(case["literal"])), got, rtol=1e-6, atol=1e-8, reveal=True, names=names)
                ok, msg = v.passed, ("ok" if v.passed else "against the numbers in the notebook: " + v.message)
        if ok:
            earned += case["points"]
        else:
            failures.append(f"{case['name']}: {msg}")
        if verbose:
            print(f"{'✓' if ok else '✗'} {check_id} [{case['name']}] {msg}")
    if failures:
        n = len(spec["cases"])
        raise AssertionError(f"{check_id}: {len(failures)} of {n} case(s) failed" +
                             (" (see the ✗ lines above)" if verbose else ": " + "; ".join(failures)))
    return earned
