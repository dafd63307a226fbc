"""Helpers of the checks' ``run`` functions in the student's kernel: unpacking results, in-place checks, data.

Plain NumPy; nothing here computes an exercise's answer. :func:`decode` reads the case data that
``autograder release`` wrote (arrays as base64 of their raw bytes, so every bit arrives unchanged).
"""

from __future__ import annotations

import base64

import numpy as np

__all__ = ["returns", "snapshot", "assert_unchanged", "against_numeric", "Tabulated", "decode"]


def returns(result, fn: str, names: tuple) -> tuple:
    """The student's ``fn`` result unpacked into ``names``, or an AssertionError that says what to return."""
    want = f"{fn} should return ({', '.join(names)})"
    if not isinstance(result, (tuple, list)):
        raise AssertionError(f"{want}, got a single {type(result).__name__}")
    if len(result) != len(names):
        raise AssertionError(f"{want}, got {len(result)} values")
    return tuple(result)


def snapshot(**arrays) -> dict:
    """Copies of the arrays (or lists of arrays) passed to the student, by argument name."""
    return {name: [np.array(a, copy=True) for a in x] if isinstance(x, (list, tuple)) else np.array(x, copy=True)
            for name, x in arrays.items()}


def assert_unchanged(fn: str, before: dict, **after) -> None:
    """Raise AssertionError when the student's ``fn`` changed an argument in place (NaNs compare equal)."""
    for name, was in before.items():
        now = after[name]
        pairs = zip(was, now) if isinstance(was, list) else [(was, now)]
        if any(not np.array_equal(w, np.asarray(n), equal_nan=True) for w, n in pairs):
            raise AssertionError(f"{fn} changed its argument {name} in place; the exercise says leave the "
                                 f"inputs unchanged")


def against_numeric(numeric, analytic, tol: float = 1e-6) -> np.ndarray:
    """A gradient check against centred differences computed when the bundle was released.

    Same rule as the course's grader: ``max|a - n| / max(1e-8, max|a| + max|n|) <= tol`` for each gradient;
    returns ones, or raises AssertionError naming the first gradient (by position) that is off.
    """
    for k, (n, a) in enumerate(zip(numeric, analytic)):
        a = np.asarray(a, dtype=np.float64)
        n = np.asarray(n, dtype=np.float64)
        if a.shape != n.shape:
            raise AssertionError(f"gradient check: output {k} has shape {a.shape}, expected {n.shape}")
        err = np.max(np.abs(a - n), initial=0.0) / max(1e-8, np.max(np.abs(a), initial=0.0)
                                                        + np.max(np.abs(n), initial=0.0))
        if not err <= tol:
            raise AssertionError(f"gradient check: output {k} differs from centred differences "
                                 f"(relative error {err:.2g} > {tol:g})")
    if len(analytic) != len(numeric):
        raise AssertionError(f"gradient check: expected {len(numeric)} gradients, got {len(analytic)}")
    return np.ones(len(numeric))


class Tabulated:
    """A function known only at the points where a correct solution calls it (recorded at release time).

    ``keys[k]`` is a list of arrays (the argument), ``values[k]`` what the function returned there. A call
    returns (a copy of) the value at the key equal to its argument within ``atol + rtol |key|``; a call
    anywhere else raises AssertionError with ``hint``, since a correct solution never goes there.
    """

    def __init__(self, keys, values, *, rtol: float, atol: float, what: str, hint: str):
        self.keys = [[np.asarray(a, dtype=np.float64) for a in k] for k in keys]
        self.values = values
        self.rtol, self.atol, self.what, self.hint = rtol, atol, what, hint

    def lookup(self, arrays):
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        for key, value in zip(self.keys, self.values):
            if len(key) == len(arrays) and all(k.shape == a.shape and np.all(np.abs(a - k) <= self.atol
                                                                             + self.rtol * np.abs(k))
                                               for k, a in zip(key, arrays)):
                return _copy(value)
        raise AssertionError(f"{self.what} was called at a point a correct solution never reaches; {self.hint}")


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def decode(obj):
    """The JSON tree of ``autograder release`` back to arrays, scalars, tuples, lists and dicts."""
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if isinstance(obj, dict):
        if "__array__" in obj:
            raw = base64.b64decode(obj["b64"])
            a = np.frombuffer(raw, dtype=np.dtype(obj["__array__"])).reshape(tuple(obj["shape"])).copy()
            return a[()] if obj.get("scalar") else a
        if "__tuple__" in obj:
            return tuple(decode(v) for v in obj["__tuple__"])
        return {k: decode(v) for k, v in obj.items()}
    return obj
