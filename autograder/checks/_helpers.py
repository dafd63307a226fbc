"""Small input builders shared by the chapter check modules (plain NumPy; never imports the reference).

``lin(shape, lo, hi)`` is the deterministic ``np.linspace`` input of a visible case; ``randn`` draws a
float64 normal array from a case's generator. :data:`EXPECTED` holds the literal outputs of every
``linspace`` case (written by ``python -m autograder.authoring --expected`` from the reference, then frozen).
"""

from __future__ import annotations

import collections
import hashlib
import math
import threading

import numpy as np

from ._expected import EXPECTED

__all__ = ["lin", "randn", "expected", "cases", "numerical_gradient", "gradcheck_flags", "snapshot",
           "assert_unchanged", "returns"]


def lin(shape, lo: float, hi: float) -> np.ndarray:
    """``np.linspace(lo, hi, prod(shape)).reshape(shape)`` in float64."""
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    return np.linspace(lo, hi, num=math.prod(shape)).reshape(shape)


def randn(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    """A float64 standard-normal array of ``shape`` times ``scale``."""
    return rng.standard_normal(shape) * scale


def expected(check_id: str, case: str = "linspace"):
    """The frozen literal outputs of a visible case, as a tuple of arrays (None until they are written)."""
    rows = EXPECTED.get(f"{check_id}/{case}")
    return None if rows is None else tuple(np.asarray(r, dtype=np.float64) for r in rows)


def cases(check_id: str, linspace, visible: list, hidden: list, *, visible_points: float = 1.0,
          hidden_points: float = 2.0) -> tuple:
    """The usual cases of a check: a visible ``linspace`` case with frozen numbers (or None), more visible
    cases ``[(name, draw), ...]`` and hidden ones, the visible and hidden points shared evenly."""
    from ..spec import Case

    out = []
    vis = ([("linspace", linspace)] if linspace is not None else []) + list(visible)
    for name, draw in vis:
        exp = expected(check_id, name) if name == "linspace" else None
        out.append(Case(name, draw, visible_points / len(vis), visible=True, expected=exp))
    if any(len(x) not in (1, 2, 4, 8) for x in (vis, hidden) if x):
        raise ValueError(f"{check_id}: use 1, 2, 4 or 8 cases of each kind, so that the points add up exactly")
    for name, draw in hidden:
        out.append(Case(name, draw, hidden_points / len(hidden)))
    return tuple(out)


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centred differences of the scalar ``f()`` with respect to ``x`` (perturbed in place, then restored)."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


_NUMERIC: collections.OrderedDict = collections.OrderedDict()
_NUMERIC_LOCK = threading.Lock()


def _digest(values, out) -> bool:
    """Feed ``values`` (numeric arrays, numbers, strings, None, tuples and lists of them) into the hash
    ``out``; False for anything else."""
    for v in values:
        if isinstance(v, np.ndarray) and v.dtype.kind in "biufc":
            out.update(f"a{v.dtype.str}{v.shape}".encode())
            out.update(np.ascontiguousarray(v).tobytes())
        elif isinstance(v, (tuple, list)):
            out.update(f"t{len(v)}".encode())
            if not _digest(v, out):
                return False
        elif v is None or isinstance(v, (bool, int, float, str, np.generic)):
            out.update(f"s{type(v).__name__}{v!r}".encode())
        else:
            return False
    return True


def _numerical_gradients(f, arrays, h: float) -> list:
    """:func:`numerical_gradient` of ``f`` for each array, computed once per distinct input: ``f`` is a check's
    own NumPy loss (its code, and the arrays and numbers it closes over, decide its value), so the reference's
    gradient check and every submission's on the same case (a visible case is everyone's) share one result.
    A function that closes over anything else is computed every time."""
    key = hashlib.blake2b(digest_size=16)
    cells = [c.cell_contents for c in (getattr(f, "__closure__", None) or ())]
    code = getattr(f, "__code__", None)
    cacheable = code is not None and _digest(cells, key) and _digest(arrays, key)
    if cacheable:
        key = (code, h, key.digest())
        with _NUMERIC_LOCK:
            if key in _NUMERIC:
                _NUMERIC.move_to_end(key)
                return [n.copy() for n in _NUMERIC[key]]
    out = [numerical_gradient(f, x, h) for x in arrays]
    if cacheable:
        with _NUMERIC_LOCK:
            _NUMERIC[key] = [n.copy() for n in out]
            while len(_NUMERIC) > 64:
                _NUMERIC.popitem(last=False)
    return out


def gradcheck_flags(f, arrays, analytic, *, h: float = 1e-6, tol: float = 1e-6) -> np.ndarray:
    """A gradient check: compare each analytic gradient with centred differences of ``f()`` (a scalar of the
    arrays, which are perturbed in place and restored).

    The relative error is ``max|a - n| / max(1e-8, max|a| + max|n|)``. Returns ones (what the reference
    scores); raises AssertionError naming the first gradient (by its position in the backward's result)
    whose error exceeds ``tol``, so the student reads which gradient is wrong.
    """
    numeric = _numerical_gradients(f, arrays, h)
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        a = np.asarray(a, dtype=np.float64)
        if a.shape != n.shape:
            raise AssertionError(f"gradient check: output {k} has shape {a.shape}, expected {n.shape}")
        err = np.max(np.abs(a - n), initial=0.0) / max(1e-8, np.max(np.abs(a), initial=0.0)
                                                        + np.max(np.abs(n), initial=0.0))
        if not err <= tol:
            raise AssertionError(f"gradient check: output {k} differs from centred differences "
                                 f"(relative error {err:.2g} > {tol:g})")
    if len(analytic) != len(arrays):
        raise AssertionError(f"gradient check: expected {len(arrays)} gradients, got {len(analytic)}")
    return np.ones(len(arrays))


def snapshot(**arrays) -> dict:
    """Copies of the arrays (or lists/tuples of arrays) a check passes to the student, by argument name;
    call the student with the originals, then :func:`assert_unchanged` with this snapshot."""
    return {name: [np.array(a, copy=True) for a in x] if isinstance(x, (list, tuple)) else np.array(x, copy=True)
            for name, x in arrays.items()}


def assert_unchanged(fn: str, before: dict, **after) -> None:
    """Raise AssertionError when the student's ``fn`` changed an argument in place (NaNs compare equal).

    ``before`` is the :func:`snapshot` taken before the call, ``after`` the same arguments (the originals)
    after it. The exercise text promises that the inputs are left unchanged.
    """
    for name, was in before.items():
        now = after[name]
        pairs = zip(was, now) if isinstance(was, list) else [(was, now)]
        if any(not np.array_equal(w, np.asarray(n), equal_nan=True) for w, n in pairs):
            raise AssertionError(f"{fn} changed its argument {name} in place; the exercise says leave the "
                                 f"inputs unchanged")


def returns(result, fn: str, names: tuple[str, ...]) -> tuple:
    """The student's ``fn`` result unpacked into ``names`` (``("next_h", "cache")``), or an AssertionError
    that says what to return: ``rnn_step_forward should return (next_h, cache), got 3 values``."""
    want = f"{fn} should return ({', '.join(names)})"
    if not isinstance(result, (tuple, list)):
        raise AssertionError(f"{want}, got a single {type(result).__name__}")
    if len(result) != len(names):
        raise AssertionError(f"{want}, got {len(result)} values")
    return tuple(result)
