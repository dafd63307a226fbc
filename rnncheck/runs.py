"""How each check calls the student's functions, in the student's kernel: ``RUNS[check_id](ns, inputs, extra)``.

These mirror the ``run`` functions of the course's grader (``autograder/checks/chNN.py``) with every
reference-like helper replaced by data computed when the bundle was released (``extra``):

- a backward check gets its cache as data (``extra["cache"]``), and a gradient check compares with centred
  differences computed then (``extra["numeric"]``);
- a callback the student's code calls at points a correct solution fixes in advance (ch01's loss under
  ``numerical_gradient``, ch04's ``loss_and_grads`` along the training trajectory) is a :class:`Tabulated`
  table of those points;
- ch07's ``loss_and_grads`` and ``evaluate`` are given to the student by the exercise (the model it trains):
  :mod:`rnncheck._ch07` computes them with PyTorch's autograd, so no backward pass is written out; ch10's scan
  composes with the student's own ``combine`` (as the exercise text allows).

``autograder release`` runs every function here with the reference and refuses to write a bundle where one
disagrees with the grader's check on a visible case.
"""

from __future__ import annotations

import numpy as np

from ._util import Tabulated, against_numeric, assert_unchanged, returns, snapshot

__all__ = ["RUNS", "Namespace"]


class Namespace:
    """The student's functions, by name, from the notebook's globals."""

    def __init__(self, namespace, functions):
        self.ns = {f: namespace[f] for f in functions if f in namespace}

    def __contains__(self, name):
        return name in self.ns

    def __getitem__(self, name):
        return self.ns[name]

    def call(self, name, *args, return_args=False):
        result = self.ns[name](*args)
        return (result, args) if return_args else result

    def module(self, name, ctor_args, state, inputs, grad_outputs, dtype="float64"):
        from ._torch import torch_module_grads
        return torch_module_grads(self.ns[name], tuple(ctor_args), dict(state), tuple(inputs), tuple(grad_outputs),
                                  dtype=dtype)


def _first(fn, names, k):
    return lambda ns, inp, extra: returns(ns[fn](*inp), fn, names)[:k]


def _plain(fn):
    return lambda ns, inp, extra: (ns[fn](*inp),)


def _backward(fn, names, dout_of, cache_arg=True):
    """A backward check: ``fn(*douts, cache)`` with the cache shipped as data; compare or gradient check."""
    def run(ns, inp, extra):
        grads = returns(ns[fn](*dout_of(inp), extra["cache"]), fn, names)
        if inp[0] == "compare":
            return tuple(grads)
        return (against_numeric(extra["numeric"], grads),)
    return run


# ch01 ---------------------------------------------------------------------------------------------------
def _run_numgrad(ns, inp, extra):
    *arrays, which, h = inp
    target = np.array(arrays[2 + which], dtype=np.float64)
    before = target.copy()
    table = Tabulated([[k] for k in extra["points"]], extra["values"], rtol=0.0, atol=1e-3 * h,
                      what="f()", hint="perturb one entry of x at a time by +h and -h (centred differences), "
                                      "and restore it before the next")
    grad, (_, x_after, _) = ns.call("numerical_gradient", lambda: table.lookup([target]), target, h, return_args=True)
    if not np.allclose(x_after, before, rtol=1e-12, atol=1e-15):
        raise AssertionError("numerical_gradient left x changed: restore each entry after perturbing it")
    return (np.asarray(grad),)


# ch04 ---------------------------------------------------------------------------------------------------
def _run_clip(ns, inp, extra):
    grads, max_norm = inp
    grads = list(grads)
    before = snapshot(grads=grads)
    (clipped, total), (grads_after, _) = ns.call("clip_grad_norm", grads, max_norm, return_args=True)
    assert_unchanged("clip_grad_norm", before, grads=grads_after)
    clipped = [np.asarray(g, dtype=np.float64) for g in clipped]
    if len(clipped) != len(grads):
        raise AssertionError(f"expected clipped as a list of {len(grads)} arrays (one per gradient), "
                             f"got {len(clipped)}")
    for k, (c, g) in enumerate(zip(clipped, grads)):
        if c.shape != g.shape:
            raise AssertionError(f"clipped[{k}] has shape {c.shape}, expected {g.shape} (the shape of grads[{k}])")
    return (np.concatenate([c.ravel() for c in clipped]), np.float64(total))


def _run_lag(ns, inp, extra):
    x, params, lr, steps, max_norm = inp
    table = Tabulated(extra["points"], extra["values"], rtol=1e-6, atol=1e-8, what="loss_and_grads",
                      hint="check the update p - lr g and the clipping of the step before")
    clip = None if max_norm < 0 else max_norm
    losses, final = returns(ns["train_long_lag"](lambda p: table.lookup(p), [p.copy() for p in params], lr, steps,
                                                 clip), "train_long_lag", ("losses", "params"))
    return (np.asarray(losses, dtype=np.float64), *[np.asarray(p) for p in final])


# ch05 ---------------------------------------------------------------------------------------------------
def _run_cell(ns, inp, extra):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, gh, gc = inp
    N, D = x.shape
    H = w_hh.shape[1]
    state = {"weight_ih": w_ih, "weight_hh": w_hh, "bias_ih": b_ih, "bias_hh": b_hh}
    outs, in_grads, p_grads = ns.module("LSTMCell", (D, H), state, (x, (h0, c0) if h0.size else None), (gh, gc))
    if not h0.size:
        in_grads = (*in_grads, np.zeros((N, H)), np.zeros((N, H)))
    return (*outs, *in_grads, *p_grads)


# ch07 ---------------------------------------------------------------------------------------------------
def _run_char(ns, inp, extra):
    from . import _ch07  # the model the exercise gives the student, with autograd's gradients (needs torch)
    return _ch07.run(ns, inp, extra)


# ch08 ---------------------------------------------------------------------------------------------------
def _run_beam(ns, inp, extra):
    tokens, score = returns(ns["beam_search"](*inp), "beam_search", ("tokens", "score"))
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or (tokens.dtype.kind not in "iu" and tokens.size):
        raise AssertionError(f"beam_search should return tokens as a list of ints, got {tokens.dtype} "
                             f"of shape {tokens.shape}")
    return tokens.astype(np.int64), np.float64(score)


# ch09 ---------------------------------------------------------------------------------------------------
def _none_if_empty(mask):
    return None if mask.size == 0 else mask


# ch10 ---------------------------------------------------------------------------------------------------
def _rounds(T: int) -> int:
    return max(0, int(T - 1).bit_length())


def _run_scan(ns, inp, extra):
    a, b, h0 = inp
    T = a.shape[1]
    if "combine" not in ns:
        raise AssertionError("define combine (exercise 1) first: here the scan composes with your combine")
    own, calls = ns["combine"], [0]

    def combine(a1, b1, a2, b2):  # the student's combine, counted
        calls[0] += 1
        return own(a1, b1, a2, b2)

    h = ns["linear_recurrence_scan"](a, b, h0, combine)
    limit = 2 * _rounds(T) + 1
    if calls[0] > limit:
        raise AssertionError(f"linear_recurrence_scan called combine {calls[0]} times for T = {T}; a parallel scan "
                             f"makes at most {limit} calls (2 in each of its ceil(log2 T) = {_rounds(T)} rounds, and one "
                             f"for h0): no loop over time")
    if T > 1 and calls[0] == 0:
        raise AssertionError("linear_recurrence_scan never called combine: compose the steps with the combine "
                             "it is given (one call per round, on all time steps at once)")
    return (h,)


def _exact_scan(a, b, h0):
    """h_t = sum_{i<=t} (a_{i+1} ... a_t) b_i with h0 folded into b_0: explicit products, no division (small T)."""
    a, b = np.asarray(a, dtype=np.float64), np.array(b, dtype=np.float64)
    b[:, 0] += a[:, 0] * np.asarray(h0, dtype=np.float64)
    T = a.shape[1]
    t, i, j = np.ogrid[:T, :T, :T]
    between = (i < j) & (j <= t)  # (T, T, T): the gates a_j applied after step i, up to step t
    P = np.where(between[None, ..., None], a[:, None, None], 1.0).prod(axis=3)  # (N, T, T, H)
    P = np.where((i[..., 0] <= t[..., 0])[None, ..., None], P, 0.0)
    return np.einsum("ntih,nih->nth", P, b)


def _run_min_gru(ns, inp, extra):
    x, h0, Wz, bz, Wh, bh = inp
    h_seq = ns["min_gru_sequential"](x, h0, Wz, bz, Wh, bh)
    want, calls = (x.shape[0], x.shape[1], Wz.shape[1]), []

    def scan(a, b, h0_):  # an exact scan that records its calls
        if np.shape(a) != want or np.shape(b) != want or np.shape(h0_) != h0.shape:
            raise AssertionError(f"min_gru_parallel called scan with a {np.shape(a)}, b {np.shape(b)}, h0 "
                                 f"{np.shape(h0_)}; expected a and b of shape {want} (every time step at "
                                 f"once) and h0 of shape {h0.shape}")
        calls.append(_exact_scan(a, b, h0_))
        return calls[-1].copy()

    h_par = ns["min_gru_parallel"](x, h0, Wz, bz, Wh, bh, scan)
    if len(calls) != 1:
        raise AssertionError(f"min_gru_parallel called scan {len(calls)} times; compute the gates of all T steps "
                             f"at once and call scan once, with no loop over time")
    if not np.array_equal(np.asarray(h_par, dtype=np.float64), calls[0]):
        raise AssertionError("min_gru_parallel should return what scan returned (h of every step), unchanged")
    return (h_seq, h_par)


RUNS = {
    "ch01_affine_forward": _first("affine_forward", ("out", "cache"), 1),
    "ch01_affine_backward": _backward("affine_backward", ("dx", "dw", "db"), lambda inp: (inp[4],)),
    "ch01_tanh_forward": _first("tanh_forward", ("out", "cache"), 1),
    "ch01_tanh_backward": lambda ns, inp, extra: (
        (ns["tanh_backward"](inp[2], extra["cache"]),) if inp[0] == "compare"
        else (against_numeric(extra["numeric"], (ns["tanh_backward"](inp[2], extra["cache"]),)),)),
    "ch01_softmax_loss": _first("softmax_loss", ("loss", "dx"), 2),
    "ch01_numerical_gradient": _run_numgrad,
    "ch02_rnn_step_forward": _first("rnn_step_forward", ("next_h", "cache"), 1),
    "ch02_rnn_forward": _first("rnn_forward", ("h", "cache"), 1),
    "ch02_softmax_temperature": _plain("softmax_temperature"),
    "ch02_sample_chars": _plain("sample_chars"),
    "ch03_rnn_step_backward": _backward("rnn_step_backward", ("dx", "dprev_h", "dWx", "dWh", "db"),
                                        lambda inp: (inp[6],)),
    "ch03_rnn_backward": _backward("rnn_backward", ("dx", "dh0", "dWx", "dWh", "db"), lambda inp: (inp[6],)),
    "ch03_rnn_backward_truncated": lambda ns, inp, extra: returns(
        ns["rnn_backward_truncated"](inp[6], extra["cache"], inp[7]), "rnn_backward_truncated",
        ("dx", "dh0", "dWx", "dWh", "db")),
    "ch04_gradient_norms": lambda ns, inp, extra: (np.asarray(ns["gradient_norms"](*inp), dtype=np.float64),),
    "ch04_clip_grad_norm": _run_clip,
    "ch04_train_long_lag": _run_lag,
    "ch05_lstm_step_forward": _first("lstm_step_forward", ("next_h", "next_c", "cache"), 2),
    "ch05_lstm_step_backward": _backward("lstm_step_backward", ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"),
                                         lambda inp: (inp[7], inp[8])),
    "ch05_lstm_forward": _first("lstm_forward", ("h", "cache"), 1),
    "ch05_lstm_cell_torch": _run_cell,
    "ch06_gru_step_forward": _first("gru_step_forward", ("next_h", "cache"), 1),
    "ch06_gru_step_backward": _backward("gru_step_backward", ("dx", "dprev_h", "dWx", "dWh", "dbx", "dbh"),
                                        lambda inp: (inp[7],)),
    "ch07_train_char_model": _run_char,
    "ch08_additive_attention_forward": _first("additive_attention_forward", ("context", "alpha", "cache"), 2),
    "ch08_additive_attention_backward": _backward("additive_attention_backward",
                                                  ("dquery", "dkeys", "dWq", "dWk", "db", "dv"),
                                                  lambda inp: (inp[7],)),
    "ch08_attention_decoder_step": _first("attention_decoder_step", ("s", "context", "alpha"), 3),
    "ch08_beam_search": _run_beam,
    "ch09_scaled_dot_product_attention": lambda ns, inp, extra: tuple(
        ns["scaled_dot_product_attention"](*inp[:3], _none_if_empty(inp[3]))),
    "ch09_attention_mask": lambda ns, inp, extra: (np.asarray(ns["attention_mask"](*inp)).astype(bool),),
    "ch09_multi_head_attention": lambda ns, inp, extra: (
        ns["multi_head_attention"](*inp[:12], _none_if_empty(inp[12])),),
    "ch09_layer_norm_forward": lambda ns, inp, extra: (ns["layer_norm_forward"](*inp)[0],),
    "ch09_layer_norm_backward": lambda ns, inp, extra: (
        tuple(ns["layer_norm_backward"](inp[5], extra["cache"])) if inp[0] == "compare"
        else (against_numeric(extra["numeric"], ns["layer_norm_backward"](inp[5], extra["cache"])),)),
    "ch10_combine": _first("combine", ("a", "b"), 2),
    "ch10_linear_recurrence_sequential": _plain("linear_recurrence_sequential"),
    "ch10_linear_recurrence_scan": _run_scan,
    "ch10_min_gru": _run_min_gru,
}
