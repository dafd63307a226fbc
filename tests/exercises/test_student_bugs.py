"""Realistic student bugs lose their exercise's points and no others; warnings never cost points.

Each bug is a one-line edit of the solution cell of the solutions notebook (the code a student would
write, with the mistake a student makes). The chapter's solution cells are executed into a fresh namespace
with that edit, and every check of the chapter is run on it with :func:`autograder.notebook.run_check`
(visible and hidden cases), the very definitions the notebooks' test cells and the grader use.
"""

import os
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from autograder.checks import ASSIGNMENTS, chapter_checks
from autograder.notebook import run_check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (chapter, check id that must fail, function, text in the solution, replacement, what the student did)
BUGS = [
    ("ch02", "ch02_rnn_step_forward", "rnn_step_forward", "prev_h @ Wh", "prev_h @ Wh.T", "Wh transposed"),
    ("ch02", "ch02_rnn_forward", "rnn_forward", "xw[:, t] + prev_h @ Wh", "xw[:, t] + h0 @ Wh",
     "every step starts from h0"),
    ("ch02", "ch02_softmax_temperature", "softmax_temperature", "z = z - z.max(axis=1, keepdims=True)", "z = z",
     "no max shift: overflows to nan"),
    ("ch02", "ch02_sample_chars", "sample_chars", "np.tanh(Wx[c] +", "np.tanh(Wx[c0] +",
     "feeds the first character at every step"),
    ("ch02", "ch02_sample_chars", "sample_chars", "p = softmax_temperature(h @ Wy + by, temperature)",
     "p = softmax_temperature(h @ Wy + by, 1.0)", "temperature ignored"),
    ("ch05", "ch05_lstm_step_forward", "lstm_step_forward", "i, f = sig(a[:, :H]), sig(a[:, H:2 * H])",
     "f, i = sig(a[:, :H]), sig(a[:, H:2 * H])", "gates in the wrong order (f, i, g, o)"),
    ("ch05", "ch05_lstm_step_backward", "lstm_step_backward", "di, df, dg = dc * g, dc * prev_c", "di, df, dg = dc * g, dc * next_c",
     "c instead of prev_c in df"),
    ("ch05", "ch05_lstm_forward", "lstm_forward", "prev_c = f * prev_c + i * g", "prev_c = i * g",
     "the cell state is not carried"),
    ("ch05", "ch05_lstm_cell_torch", "LSTMCell", "ai, af, ag, ao = a.chunk(4, dim=1)", "ai, af, ao, ag = a.chunk(4, dim=1)",
     "gates in the wrong order (i, f, o, g)"),
    ("ch01", "ch01_affine_forward", "affine_forward", "out = x @ w + b", "out = x @ w", "bias forgotten"),
    ("ch01", "ch01_affine_backward", "affine_backward", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)",
     "db averaged over the batch"),
    ("ch01", "ch01_tanh_forward", "tanh_forward", "out = np.tanh(x)", "out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))",
     "tanh from exp: NaN for |x| > 710"),
    ("ch01", "ch01_tanh_backward", "tanh_backward", "dx = dout * (1 - out ** 2)", "dx = dout * (1 - out)",
     "derivative 1 - tanh instead of 1 - tanh^2"),
    ("ch01", "ch01_softmax_loss", "softmax_loss", "dx /= N", "pass", "gradient not divided by N"),
    ("ch01", "ch01_numerical_gradient", "numerical_gradient", "x[i] = old  # restore", "pass",
     "x not restored after the perturbation"),
    ("ch03", "ch03_rnn_step_backward", "rnn_step_backward", "dWh = prev_h.T @ da", "dWh = next_h.T @ da",
     "next_h instead of prev_h in dWh"),
    ("ch03", "ch03_rnn_backward", "rnn_backward", "da = (dh[:, t] + dprev) *", "da = dh[:, t] *",
     "dh not accumulated across time steps"),
    ("ch03", "ch03_rnn_backward_truncated", "rnn_backward_truncated", "if (t + 1) % k == 0:", "if t % k == 0:",
     "cut one step late"),
    ("ch06", "ch06_gru_step_forward", "gru_step_forward", "next_h = (1 - z) * n + z * prev_h",
     "next_h = z * n + (1 - z) * prev_h", "z and 1 - z swapped"),
    ("ch06", "ch06_gru_step_backward", "gru_step_backward", "dah = np.concatenate([dar, daz, dan * r], axis=1)",
     "dah = np.concatenate([dar, daz, dan], axis=1)", "reset gate forgotten in the hn path"),
    ("ch04", "ch04_gradient_norms", "gradient_norms", "g = (g * (1 - h[:, t] ** 2)) @ Wh.T", "g = g @ Wh.T",
     "tanh's derivative left out of the Jacobian"),
    ("ch04", "ch04_clip_grad_norm", "clip_grad_norm", "coef = min(1.0, max_norm / (total_norm + 1e-6))",
     "coef = max_norm / (total_norm + 1e-6)", "scales up small gradients too"),
    ("ch04", "ch04_train_long_lag", "train_long_lag", "params = [p - lr * g for p, g in zip(params, grads)]\n        losses[s] = loss",
     "params = [p - lr * g for p, g in zip(params, grads)]\n        losses[s] = loss_and_grads(params)[0]",
     "records the loss after the update"),
    ("ch08", "ch08_additive_attention_forward", "additive_attention_forward",
     "alpha = np.exp(e) / np.exp(e).sum(axis=1, keepdims=True)  # (N, S)",
     "alpha = np.exp(e) / np.exp(e).sum(axis=0, keepdims=True)", "softmax over the batch axis"),
    ("ch08", "ch08_additive_attention_backward", "additive_attention_backward",
     "dkeys = alpha[:, :, None] * dcontext[:, None, :] + dpre @ Wk.T", "dkeys = dpre @ Wk.T",
     "keys' gradient as values forgotten"),
    ("ch08", "ch08_attention_decoder_step", "attention_decoder_step", "u = np.tanh((s_prev @ Wq)[:, None, :]",
     "u = np.tanh((y_prev @ Wy @ Wq)[:, None, :]", "attends with the input instead of the previous state"),
    ("ch08", "ch08_beam_search", "beam_search", "for score, seq, h in cands[:beam_width]:",
     "for score, seq, h in cands[:1]:", "keeps only the best hypothesis per step (greedy)"),
    ("ch08", "ch08_beam_search", "beam_search", "cands += [(score + logp[v], seq + [v], h_new)",
     "cands += [(logp[v], seq + [v], h_new)", "ranks by the last token's log-probability, not the sum"),
    ("ch09", "ch09_scaled_dot_product_attention", "scaled_dot_product_attention",
     "scores = np.where(mask, scores, -np.inf)", "pass", "forgetting the mask"),
    ("ch09", "ch09_attention_mask", "attention_mask", "(j[None, :] <= j[:, None])", "(j[None, :] < j[:, None])",
     "causal mask without the diagonal"),
    ("ch09", "ch09_multi_head_attention", "multi_head_attention", "X.reshape(N, L, h, d).transpose(0, 2, 1, 3)",
     "X.reshape(N, h, L, d)", "heads split by a reshape without the transpose"),
    ("ch09", "ch09_layer_norm_forward", "layer_norm_forward", "rstd = 1.0 / np.sqrt(var + eps)",
     "rstd = 1.0 / (np.sqrt(var) + eps)", "eps outside the square root"),
    ("ch09", "ch09_layer_norm_backward", "layer_norm_backward",
     "dx = rstd * (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True))",
     "dx = rstd * (g - g.mean(axis=-1, keepdims=True))", "the variance's path left out"),
    ("ch09", "ch09_scaled_dot_product_attention", "scaled_dot_product_attention",
     "scores = scores - scores.max(axis=-1, keepdims=True)", "pass", "no max shift: NaN past 709"),
    ("ch10", "ch10_combine", "combine", "b = a2 * b1 + b2", "b = a1 * b2 + b1", "maps composed in the wrong order"),
    ("ch10", "ch10_linear_recurrence_sequential", "linear_recurrence_sequential", "prev = h0", "prev = 0 * h0",
     "h0 ignored"),
    ("ch10", "ch10_linear_recurrence_scan", "linear_recurrence_scan",
     "combine(A[:, :-d], B[:, :-d], A[:, d:], B[:, d:])", "combine(A[:, d:], B[:, d:], A[:, :-d], B[:, :-d])",
     "later map applied first"),
    ("ch10", "ch10_min_gru", "min_gru_sequential", "z = sig(x[:, t] @ Wz + bz)", "z = sig(x[:, t] @ Wz + bz + prev)",
     "the gate reads h_{t-1}: a GRU's gate, not minGRU's"),
    ("ch10", "ch10_min_gru", "min_gru_parallel", "h = scan(a, b, h0)", "h = scan(a, b, np.zeros_like(h0))",
     "the scan starts from zero, dropping h0"),
    ("ch07", "ch07_train_char_model", "train_char_model", "loss_and_grads(params, rows[:, :-1], rows[:, 1:])",
     "loss_and_grads(params, rows[:, :-1], rows[:, :-1])", "targets not shifted: predicts the input itself"),
]


def _cells(chapter):
    path = os.path.join(ROOT, "solutions", ASSIGNMENTS[chapter], "exercises.ipynb")
    nb = nbformat.read(path, as_version=4)
    setup = [c.source for c in nb.cells if c.cell_type == "code" and c.metadata.nbgrader.get("grade_id", "")
             .endswith("-setup")]
    return setup + [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def namespace(chapter, edit=None):
    """The notebook's globals after running its setup and solution cells, with ``edit`` applied."""
    ns = {"__name__": "__main__"}
    hit = False
    for src in _cells(chapter):
        if edit and (f"def {edit[0]}(" in src or f"class {edit[0]}(" in src):
            assert edit[1] in src, f"the bug's text {edit[1]!r} is not in the solution of {edit[0]}"
            src, hit = src.replace(edit[1], edit[2]), True
        exec(compile(src, f"<{chapter} solution>", "exec"), ns)
    assert edit is None or hit, f"no solution cell defines {edit[0]}"
    return ns


def points(check, ns):
    """Points earned on visible + hidden cases (0 for a part that fails)."""
    earned = 0.0
    for hidden in (False, True):
        try:
            earned += run_check(check.id, ns, hidden=hidden, verbose=False)
        except AssertionError:
            pass
    return earned


@pytest.mark.parametrize("chapter", sorted({b[0] for b in BUGS}))
def test_solutions_earn_every_point(chapter):
    ns = namespace(chapter)
    for check in chapter_checks(chapter):
        assert points(check, ns) == check.points, check.id


@pytest.mark.parametrize("bug", BUGS, ids=[f"{b[1]}: {b[5]}" for b in BUGS])
def test_bug_loses_its_exercise_and_no_other(bug):
    chapter, target, fn, old, new, _what = bug
    ns = namespace(chapter, (fn, old, new))
    for check in chapter_checks(chapter):
        if check.id == target:
            with pytest.raises(AssertionError):  # the test cell fails, so nbgrader gives it 0
                run_check(check.id, ns, hidden=True, verbose=False)
        else:
            assert points(check, ns) == check.points, f"{check.id} lost points for a bug in {fn}"


def test_every_check_has_a_bug():
    every = {c.id for ch in ASSIGNMENTS for c in chapter_checks(ch)}
    assert every <= {b[1] for b in BUGS}, sorted(every - {b[1] for b in BUGS})


def test_correct_answer_that_overflows_in_exp_keeps_its_points_and_writes_nothing_to_stderr(capfd):
    # tanh(a) = 1 - 2 / (exp(2a) + 1): exact, but exp overflows (a RuntimeWarning) for saturated units
    ns = namespace("ch02", ("rnn_step_forward", "np.tanh(x @ Wx + prev_h @ Wh + b)",
                            "1 - 2 / (np.exp(2 * (x @ Wx + prev_h @ Wh + b)) + 1)"))
    with np.errstate(over="raise"):  # prove that the case really overflows outside run_check
        case = [c for c in chapter_checks("ch02")[0].cases if c.name.startswith("saturated")][0]
        from autograder.notebook import DEFAULT_SECRET
        from autograder.spec import case_rng
        with pytest.raises(FloatingPointError):
            ns["rnn_step_forward"](*case.inputs(case_rng(DEFAULT_SECRET, "ch02_rnn_step_forward", case.name)))
    check = chapter_checks("ch02")[0]
    assert points(check, ns) == check.points
    out, err = capfd.readouterr()
    assert err == ""


# Correct answers written differently from the solutions (other operation order, other idioms): full points.
VARIANTS = [
    ("ch04", "train_long_lag", "norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))",
     "norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))"),
    ("ch10", "linear_recurrence_scan", "B[:, 0] = B[:, 0] + A[:, 0] * h0",
     "_, B[:, 0] = combine(np.zeros_like(h0), h0, A[:, 0], B[:, 0])"),
    ("ch02", "softmax_temperature", "p = e / e.sum(axis=1, keepdims=True)  # (N, V)",
     "p = np.exp(z - np.log(e.sum(axis=1, keepdims=True)))"),
    ("ch05", "lstm_step_forward", "sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))", "sig = lambda z: 1 / (1 + np.exp(-z))"),
    ("ch09", "multi_head_attention", "scores = np.where(mask[:, None], scores, -np.inf)",
     "scores = scores + np.where(mask[:, None], 0.0, -1e30)"),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=[f"{v[0]}: {v[1]}" for v in VARIANTS])
def test_correct_variants_keep_every_point(variant, capfd):
    chapter, fn, old, new = variant
    ns = namespace(chapter, (fn, old, new))
    for check in chapter_checks(chapter):
        assert points(check, ns) == check.points, check.id
    assert capfd.readouterr().err == ""  # the naive sigmoid overflows in exp on saturated gates: silenced


def test_check_modules_work_without_the_reference_package():
    """The grader's worker has no rnnbook: every check module imports and runs there (reference aside)."""
    code = (
        "import sys; sys.modules['rnnbook'] = None\n"
        "from autograder.checks import all_checks\n"
        "from autograder.spec import PUBLIC_SEED, case_rng\n"
        "checks = all_checks()\n"
        "assert len(checks) >= 10, len(checks)\n"
        "for c in checks.values():\n"
        "    for case in c.cases:\n"
        "        case.inputs(case_rng(PUBLIC_SEED, c.id, case.name))\n"
        "assert 'rnnbook' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_every_check_is_worth_whole_points_with_hidden_cases_and_forbids_rnnbook():
    for chapter in ASSIGNMENTS:
        for check in chapter_checks(chapter):
            assert check.points == int(check.points) > 0, check.id
            assert any(c.visible for c in check.cases) and any(not c.visible for c in check.cases), check.id
            assert "rnnbook" in check.forbidden, check.id
            assert check.reference.startswith("autograder.reference."), check.id


@pytest.mark.cuda
def test_lstm_cell_check_runs_the_students_module_on_cuda():
    import torch

    ns = namespace("ch05")
    seen = []

    class Recording(ns["LSTMCell"]):
        def forward(self, input, hx=None):
            seen.append((input.device.type, self.weight_ih.device.type))
            return super().forward(input, hx)

    check = [c for c in chapter_checks("ch05") if c.id == "ch05_lstm_cell_torch"][0]
    assert points(check, {"LSTMCell": Recording}) == check.points
    assert torch.cuda.is_available() and seen and all(s == ("cuda", "cuda") for s in seen)
