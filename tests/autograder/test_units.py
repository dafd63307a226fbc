"""Unit tests of the grader's parts: the wire format, the forbidden-API scan, copy detection, the template."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from autograder import wire
from autograder.copydetect import find_copies, similarity
from autograder.engine import find_submissions
from autograder.forbidden import forbidden_uses
from autograder.template import SubmissionError, Template, extract

from grader_corpus import SOLUTION, build_notebook


def test_wire_round_trip_and_refuses_objects():
    value = (np.arange(6.0).reshape(2, 3), 3, 0.1, "s", None, (np.array([True, False]), -2.5))
    back = wire.decode(*wire.encode(value))
    assert type(back[0]) is np.ndarray and np.array_equal(back[0], value[0])
    assert back[1:5] == (3, 0.1, "s", None) and back[5][1] == -2.5
    with pytest.raises(wire.WireError):
        wire.encode((np.array([object()], dtype=object),))
    with pytest.raises(wire.WireError):
        wire.encode((object(),))


def test_wire_refuses_pickles():
    import io
    buf = io.BytesIO()
    np.savez(buf, a0=np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        wire.decode({"t": "arr", "k": "a0"}, buf.getvalue())


@pytest.mark.parametrize("src, hit", [
    ("import torch\ndef f(x):\n    return torch.nn.LSTM(3, 4)\n", "torch.nn.LSTM"),
    ("from torch import nn as N\ndef f(x):\n    return N.LSTM(3, 4)\n", "torch.nn.LSTM"),
    ("import torch.nn.functional as F\ndef f(q):\n    return F.scaled_dot_product_attention(q, q, q)\n",
     "torch.nn.functional.scaled_dot_product_attention"),
    ("import torch\ndef f(x):\n    return getattr(getattr(torch, 'nn'), 'LSTM')\n", "torch.nn.LSTM"),
    ("def g():\n    import rnnbook.numpy\ndef f(x):\n    return g()\n", "rnnbook"),
    ("import importlib\ndef f(x):\n    return importlib.import_module('rnnbook.numpy')\n", "rnnbook"),
])
def test_forbidden_scan_finds_uses(src, hit):
    uses = forbidden_uses([src], ["f"], ["torch.nn.LSTM", "torch.nn.functional.scaled_dot_product_attention"])
    assert any(hit in u for u in uses), uses


def test_forbidden_scan_only_looks_at_what_the_exercise_reaches():
    src = "import torch\ndef other(x):\n    return torch.nn.LSTM(1, 1)\ndef f(x):\n    return x + 1\n"
    assert forbidden_uses([src], ["f"], ["torch.nn.LSTM"]) == []
    assert forbidden_uses([src], ["other"], ["torch.nn.LSTM"]) != []


def test_copy_detection_sees_through_renaming_and_comments():
    import inspect

    import autograder.reference.ch02 as ref
    src = inspect.getsource(ref.sample_chars)
    disguised = re.sub(r"\bh\b", "state", re.sub(r"\bc\b", "chars", re.sub(r"\bout\b", "result", src)))
    disguised = disguised.replace("# one-hot", "# my idea").replace('"""', '"""Mine. ', 1).replace("    ", "  ")
    assert similarity(src, disguised) > 0.9
    flagged = find_copies([disguised], {"sample_chars": src})
    assert flagged and flagged[0][0] == "sample_chars"
    honest = ("import numpy as np\ndef sample_chars(h0, c0, Wx, Wh, b, Wy, by, temperature, u):\n"
              "    res = []\n    h = h0\n    c = c0\n    for t in range(u.shape[1]):\n"
              "        h = np.tanh(np.eye(Wx.shape[0])[c] @ Wx + h @ Wh + b)\n"
              "        s = (h @ Wy + by) / temperature\n        p = np.exp(s - s.max(1, keepdims=True))\n"
              "        p /= p.sum(1, keepdims=True)\n"
              "        c = np.array([min(np.searchsorted(np.cumsum(r), v, side='right'), len(r) - 1)"
              " for r, v in zip(p, u[:, t])])\n        res.append(c)\n    return np.stack(res, 1)\n")
    assert find_copies([honest], {"sample_chars": src}) == []


def test_copy_detection_sees_through_padding_with_no_op_lines():
    import inspect

    import autograder.reference.ch02 as ref
    src = inspect.getsource(ref.sample_chars)
    padded = []
    for line in src.splitlines():
        padded.append(line)
        body = line.strip()
        if body and not body.startswith(("def ", "@", '"""')) and not body.endswith((":", ",", "(", "[")):
            padded.append(" " * (len(line) - len(line.lstrip())) + "pass")
    assert similarity("\n".join(padded), src) >= 0.95
    assert [f for f, _ in find_copies(["\n".join(padded)], {"sample_chars": src})] == ["sample_chars"]


def test_template_and_extract(tmp_path):
    t = Template.load(SOLUTION)
    assert set(t.test_points) == {"ch02_rnn_step_forward", "ch02_rnn_forward", "ch02_softmax_temperature",
                                  "ch02_sample_chars"}
    assert len(t.solution_ids) == 4 and t.setup
    ex = extract(t, build_notebook({"ch02-ex1-solution": "x = 1\n"}, str(tmp_path / "a.ipynb")))
    assert ex.sources[0] == "x = 1\n" and not ex.problems and len(ex.sha256) == 64
    p = tmp_path / "b.ipynb"
    p.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": "nope"}))
    with pytest.raises(SubmissionError):
        extract(t, str(p))


def test_find_submissions_layouts(tmp_path):
    for s in ("ann", "ben"):
        d = tmp_path / "submitted" / s / "02_rnn"
        d.mkdir(parents=True)
        (d / "exercises.ipynb").write_text("{}")
    subs = find_submissions([str(tmp_path / "submitted")], "02_rnn")
    assert [s.student for s in subs] == ["ann", "ben"]
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "carl.ipynb").write_text("{}")
    assert [s.student for s in find_submissions([str(tmp_path / "x" / "carl.ipynb")], "02_rnn")] == ["carl"]
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "carl.ipynb").write_text("{}")
    both = find_submissions([str(tmp_path / "x" / "carl.ipynb"), str(tmp_path / "y" / "carl.ipynb")], "02_rnn")
    assert all(s.problem and "x/carl.ipynb" in s.problem and "y/carl.ipynb" in s.problem for s in both)
    with pytest.raises(FileNotFoundError, match="submited"):
        find_submissions([str(tmp_path / "submited")], "02_rnn")


def test_forbidden_scan_of_one_submission_is_the_same_in_any_order():
    """The scan parses a submission's cells once for all its checks: one check's imports never become
    another's aliases, whichever check is scanned first."""
    src = [("cell 1", "def g():\n    from torch import nn as T\n    return T\n"),
           ("cell 2", "def h(T):\n    return T.LSTM(2, 3)\n")]
    first = [forbidden_uses(src, fns, ("torch.nn.LSTM",)) for fns in (("g", "h"), ("h",))]
    again = [forbidden_uses(list(src), fns, ("torch.nn.LSTM",)) for fns in (("h",), ("g", "h"))][::-1]
    assert first == again and first[1] == [] and any("torch.nn.LSTM" in u for u in first[0]), first


_EVALUATIONS = [0]


def _tanh_loss(x, dout):
    def loss():
        _EVALUATIONS[0] += 1
        return float(np.sum(np.tanh(x) * dout))
    return loss


def test_gradient_checks_share_the_centred_differences_of_one_input():
    """The reference's gradient check and every submission's on the same input evaluate the loss once between
    them; a wrong gradient still fails from the shared differences, and another input is differenced anew."""
    from autograder.checks._helpers import gradcheck_flags
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    good = (1 - np.tanh(x) ** 2) * dout
    n0 = _EVALUATIONS[0]
    assert gradcheck_flags(_tanh_loss(x, dout), (x,), (good,)).tolist() == [1.0]
    assert _EVALUATIONS[0] - n0 == 2 * x.size
    x2, d2 = x.copy(), dout.copy()   # the same values in other arrays: the same case of another submission
    assert gradcheck_flags(_tanh_loss(x2, d2), (x2,), (good,)).tolist() == [1.0]
    with pytest.raises(AssertionError, match="output 0 differs"):
        gradcheck_flags(_tanh_loss(x2, d2), (x2,), (good * 1.01,))
    assert _EVALUATIONS[0] - n0 == 2 * x.size
    x3 = x + 0.5
    with pytest.raises(AssertionError):
        gradcheck_flags(_tanh_loss(x3, dout), (x3,), (good,))
    assert _EVALUATIONS[0] - n0 == 4 * x.size
    state = {"scale": 1.0}   # a loss over anything but arrays and numbers is differenced every time

    def scaled():
        return float(np.sum(np.tanh(x) * dout)) * state["scale"]
    gradcheck_flags(scaled, (x,), (good,))
    state["scale"] = 2.0
    gradcheck_flags(scaled, (x,), (2 * good,))
