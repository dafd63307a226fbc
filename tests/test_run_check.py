"""run_check, what the notebooks' test cells call: silent on warnings, strict on wrong answers."""

import sys
import types

import numpy as np
import pytest

import autograder.notebook as nb
from autograder.spec import Case, Check


def _ref_module():
    mod = types.ModuleType("_test_reference")
    mod.sigmoid = lambda x: np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
    return mod


@pytest.fixture
def sigmoid_check(monkeypatch):
    monkeypatch.setitem(sys.modules, "_test_reference", _ref_module())
    check = Check(
        id="t_sigmoid", chapter="ch01", functions=("sigmoid",), reference="_test_reference",
        run=lambda ns, inp: (ns["sigmoid"](inp[0]),),
        cases=(Case("linspace", lambda rng: (np.linspace(-1000.0, 1000.0, 7),), 1.0, visible=True,
                    expected=(np.array([0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0]),)),
               Case("random", lambda rng: (rng.standard_normal(5) * 50,), 2.0)),
    )
    monkeypatch.setattr(nb, "get_check", lambda cid: check)
    return check


def naive_sigmoid(x):
    return 1 / (1 + np.exp(-x))  # correct, but overflows in exp for large negative x


def test_correct_answer_with_overflow_warning_keeps_points_and_writes_nothing_to_stderr(sigmoid_check, capfd):
    assert nb.run_check("t_sigmoid", {"sigmoid": naive_sigmoid}) == 1.0
    assert nb.run_check("t_sigmoid", {"sigmoid": naive_sigmoid}, hidden=True) == 2.0
    out, err = capfd.readouterr()
    assert err == ""
    assert "✓ t_sigmoid [linspace]" in out


def test_wrong_answer_fails_with_the_case_named_once(sigmoid_check, capsys):
    with pytest.raises(AssertionError, match=r"^t_sigmoid: 1 of 1 case\(s\) failed \(see the ✗ lines above\)$"):
        nb.run_check("t_sigmoid", {"sigmoid": lambda x: np.tanh(x)}, hidden=True)
    out = capsys.readouterr().out
    assert out.count("✗ t_sigmoid [random] output 0: values differ") == 1  # printed once, not again in the error
    with pytest.raises(AssertionError, match=r"1 of 1 case\(s\) failed: random: output 0: values differ"):
        nb.run_check("t_sigmoid", {"sigmoid": lambda x: np.tanh(x)}, hidden=True, verbose=False)


def test_missing_function_and_exceptions_are_reported(sigmoid_check, capsys):
    with pytest.raises(NameError, match="define sigmoid"):
        nb.run_check("t_sigmoid", {})

    def broken(x):
        raise ValueError("oops")

    with pytest.raises(AssertionError, match="failed"):
        nb.run_check("t_sigmoid", {"sigmoid": broken})
    assert "raised ValueError: oops" in capsys.readouterr().out
    with pytest.raises(NotImplementedError):
        nb.run_check("t_sigmoid", {"sigmoid": lambda x: (_ for _ in ()).throw(NotImplementedError())})
