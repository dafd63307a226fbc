"""Every property an exercise's text demands has cases a violating implementation cannot pass, visible ones
included, so a student learns it in the notebook rather than at grading (issue 11).

The one-bug submissions are those of the fairness corpus (tests/fairness/corpus.py), run here in-process
through the notebooks' own ``run_check``; the fairness tests grade the same notebooks with the real CLI.
"""

import contextlib
import io
import os
import sys

import numpy as np
import pytest

from autograder.checks import ch01, ch08, ch10
from autograder.notebook import run_check
from autograder.spec import PUBLIC_SEED, case_rng

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "fairness"))
import corpus  # noqa: E402

from autograder.reference.ch01 import numerical_gradient  # noqa: E402

SECRETS = [f"secret-{i}" for i in range(10)]


def namespace(sub):
    """The globals of the submission's notebook after its code cells (test cells and magics left out)."""
    ns = {"__name__": "__main__"}
    for cell in corpus.build(sub).cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        src = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(src, sub.name, "exec"), ns)
    return ns


# forbidden APIs are refused by the grader's sandbox, not in the student's kernel
VISIBLE_BUGS = [b for b in corpus.BUGS if b.name != "ch05_vf_lstm_cell"]


@pytest.mark.parametrize("bug", VISIBLE_BUGS, ids=lambda b: b.name)
def test_the_notebook_shows_each_named_bug_in_a_visible_case(bug):
    ns = namespace(bug)
    with pytest.raises(AssertionError), contextlib.redirect_stdout(io.StringIO()):
        run_check(bug.target, ns, hidden=False, verbose=False)


def _cases(check, prefix):
    out = [c for c in check.cases if c.name.startswith(prefix)]
    assert out and any(c.visible for c in out) and any(not c.visible for c in out), prefix
    return out


def _draws(check, case):
    return [case.inputs(case_rng(s if not case.visible else PUBLIC_SEED, check.id, case.name)) for s in SECRETS]


def test_large_step_cases_tell_a_used_h_from_an_ignored_one():
    chk = ch01.NUMERICAL_GRADIENT
    for case in [c for c in chk.cases if c.inputs(np.random.default_rng(0))[-1] >= 0.1]:
        for *arrays, which, h in _draws(chk, case):
            target = arrays[2 + which]
            f = lambda: ch01.two_layer_loss(*arrays)  # noqa: E731
            at_h, at_small = numerical_gradient(f, target, h), numerical_gradient(f, target, 1e-5)
            off = np.abs(at_small - at_h) > chk.atol + chk.rtol * np.abs(at_h)
            assert off.any(), f"{case.name}: with h = {h} the centred difference is within tolerance of h = 1e-5"
    assert sum(1 for c in chk.cases if c.visible and c.inputs(np.random.default_rng(0))[-1] >= 0.1) >= 1


def test_sharp_score_cases_overflow_a_softmax_without_the_max_shift():
    chk = ch08.ADDITIVE_FORWARD
    for case in _cases(chk, "sharp scores"):
        for query, keys, Wq, Wk, b, v in _draws(chk, case):
            e = np.tanh((query @ Wq)[:, None, :] + keys @ Wk + b) @ v  # (N, S)
            assert e.max(axis=1).min() > 709.8, case.name  # every row overflows np.exp
            with np.errstate(all="ignore"):
                naive = np.exp(e) / np.exp(e).sum(axis=1, keepdims=True)
            assert np.isnan(naive).any(axis=1).all(), case.name


def test_scan_call_limit_is_below_a_loop_over_time_for_most_cases():
    chk = ch10.SCAN
    long = [c for c in chk.cases if c.inputs(np.random.default_rng(0))[0].shape[1] >= 8]
    assert any(c.visible for c in long) and any(not c.visible for c in long)
    for case in long:
        T = case.inputs(np.random.default_rng(0))[0].shape[1]
        assert ch10.max_combine_calls(T) < T - 1, case.name  # a loop through combine makes T - 1 calls
    assert [ch10.max_combine_calls(T) for T in (1, 2, 3, 4, 5, 8, 9, 64)] == [1, 3, 5, 5, 7, 7, 9, 13]


def test_clip_inplace_case_really_clips():
    from autograder.checks import ch04

    chk = ch04.CLIP_GRAD_NORM
    visible_clipped = 0
    for case in chk.cases:
        if not case.visible:
            continue
        grads, max_norm = case.inputs(case_rng(PUBLIC_SEED, chk.id, case.name))
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        visible_clipped += norm > max_norm
    assert visible_clipped >= 1  # so an in-place clip changes the caller's arrays in a visible case


@pytest.mark.parametrize("fn, check_id, result, says", [
    ("rnn_step_forward", "ch02_rnn_step_forward", lambda *a: (np.zeros((3, 4)), None, 3),
     "rnn_step_forward should return (next_h, cache), got 3 values"),
    ("affine_forward", "ch01_affine_forward", lambda x, w, b: x @ w + b,
     "affine_forward should return (out, cache), got a single ndarray"),
    ("lstm_step_backward", "ch05_lstm_step_backward", lambda *a: (1, 2),
     "lstm_step_backward should return (dx, dprev_h, dprev_c, dWx, dWh, db), got 2 values"),
])
def test_a_wrong_return_arity_says_what_to_return(fn, check_id, result, says):
    out = io.StringIO()
    with pytest.raises(AssertionError), contextlib.redirect_stdout(out):
        run_check(check_id, {fn: result}, verbose=True)
    assert says in out.getvalue()


@pytest.mark.parametrize("check_id, names", [
    ("ch01_softmax_loss", ("large scores", "scores near")),
    ("ch02_softmax_temperature", ("large scores", "scores near")),
])
def test_large_score_cases_break_a_softmax_without_the_shift_for_every_secret(check_id, names):
    from autograder.checks import get_check

    chk = get_check(check_id)
    picked = [c for c in chk.cases if c.name.startswith(names)]
    assert any(c.visible for c in picked) and any(not c.visible for c in picked)
    for case in picked:
        for inp in _draws(chk, case):
            z = inp[0] / (inp[1] if check_id.startswith("ch02") else 1.0)
            with np.errstate(all="ignore"):
                naive = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            assert not np.isfinite(naive).all(), case.name
