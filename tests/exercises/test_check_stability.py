"""Checks that train a model must not be chaotic: the grader's process and the sandboxed worker may round
differently (BLAS threading), and a chaotic case would fail a correct submission out of process while it
passes in the notebook. A 1e-14 relative perturbation of the initial weights must stay far below rtol."""

import numpy as np
import pytest

from autograder.checks import ch04
from autograder.notebook import reference_namespace
from autograder.spec import case_rng


@pytest.mark.parametrize("case", ch04.TRAIN_LONG_LAG.cases, ids=lambda c: c.name)
def test_long_lag_training_is_insensitive_to_rounding(case):
    chk = ch04.TRAIN_LONG_LAG
    ref = reference_namespace(chk)
    worst = 0.0
    for i in range(12):
        x, params, lr, steps, max_norm = case.inputs(case_rng(f"secret-{i}", chk.id, case.name))
        noise = np.random.default_rng(i)
        nudged = tuple(p * (1 + 1e-14 * noise.standard_normal(p.shape)) for p in params)
        a = chk.run(ref, (x, params, lr, steps, max_norm))
        b = chk.run(ref, (x, nudged, lr, steps, max_norm))
        worst = max(worst, max(float(np.max(np.abs(u - v) / (chk.atol / chk.rtol + np.abs(v)))) for u, v in zip(a, b)))
    assert worst < chk.rtol / 100, f"{case.name}: a 1e-14 nudge moved the result by {worst:.1e} (rtol {chk.rtol})"


def test_clipped_cases_really_clip():
    chk = ch04.TRAIN_LONG_LAG
    ref = reference_namespace(chk)
    for case in chk.cases:
        if not case.name.startswith("clipped"):
            continue
        inp = case.inputs(case_rng("secret-0", chk.id, case.name))
        clipped, unclipped = chk.run(ref, inp), chk.run(ref, inp[:4] + (-1.0,))
        assert np.max(np.abs(clipped[0] - unclipped[0])) > 1e3 * chk.rtol, case.name
