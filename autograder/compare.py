"""Compare a student's outputs with the reference's, in the grader's process.

Only plain data crosses: :func:`to_plain` turns a result into a tuple of exact ``numpy.ndarray`` objects
(never a subclass, never an object with a custom ``__eq__`` or ``__array__``), refusing anything else.
Feedback says what was expected and what arrived (shape, dtype kind, NaN, first mismatching index,
largest relative error) and, for hidden cases, never the expected values themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Verdict", "to_plain", "compare", "case_verdict", "NotPlainData"]


class NotPlainData(TypeError):
    """A result that is not a plain array, number or tuple of them."""


_SCALARS = (bool, int, float, np.bool_, np.integer, np.floating)


def _plain_one(x, where: str) -> np.ndarray:
    t = type(x)
    if t is np.ndarray:
        if x.dtype.kind not in "biuf":
            raise NotPlainData(f"{where}: expected a numeric array, got an array of dtype {x.dtype}")
        return np.array(x, copy=True)
    if t in _SCALARS or (isinstance(x, np.generic) and t.__module__ == "numpy"):
        return np.array(x)
    # torch tensors are converted by the trusted side only if they are exactly torch.Tensor / Parameter
    mod = getattr(t, "__module__", "")
    if mod.startswith("torch") and t.__name__ in ("Tensor", "Parameter"):
        arr = x.detach().cpu()
        if arr.dtype.is_complex or str(arr.dtype) == "torch.bfloat16":
            arr = arr.double()
        return np.array(arr.numpy(), copy=True)
    raise NotPlainData(f"{where}: expected a NumPy array or a number, got {t.__module__}.{t.__qualname__}")


def to_plain(result, n: int | None = None) -> tuple[np.ndarray, ...]:
    """A ``run`` result as a tuple of exact ndarrays; raises :class:`NotPlainData` otherwise."""
    if type(result) not in (tuple, list):
        result = (result,)
    out = tuple(_plain_one(x, f"output {k}") for k, x in enumerate(result))
    if n is not None and len(out) != n:
        raise NotPlainData(f"expected {n} outputs, got {len(out)}")
    return out


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str
    max_rel_error: float = 0.0


def _shape(s) -> str:
    return "(" + ", ".join(str(d) for d in s) + ("," if len(s) == 1 else "") + ")"


def compare(expected: tuple, got: tuple, *, rtol: float, atol: float, reveal: bool = False,
            names: tuple[str, ...] | None = None) -> Verdict:
    """Compare two tuples of arrays elementwise with ``|got - expected| <= atol + rtol * |expected|``.

    reveal: include expected values in the message (visible cases only).
    """
    if len(got) != len(expected):
        return Verdict(False, f"expected {len(expected)} outputs, got {len(got)}")
    worst = 0.0
    for k, (e, g) in enumerate(zip(expected, got)):
        label = names[k] if names and k < len(names) else f"output {k}"
        e = np.asarray(e)
        g = np.asarray(g)
        if e.shape != g.shape:
            return Verdict(False, f"{label}: expected shape {_shape(e.shape)}, got {_shape(g.shape)}")
        if g.dtype.kind not in "biuf":
            return Verdict(False, f"{label}: expected numbers, got dtype {g.dtype}")
        g64 = g.astype(np.float64)
        e64 = e.astype(np.float64)
        if np.isnan(g64).any() and not np.isnan(e64).any():
            idx = tuple(int(i) for i in np.argwhere(np.isnan(g64))[0])
            return Verdict(False, f"{label}: NaN found at index {idx}")
        if np.isinf(g64).any() and not np.isinf(e64).any():
            idx = tuple(int(i) for i in np.argwhere(np.isinf(g64))[0])
            return Verdict(False, f"{label}: infinity found at index {idx}")
        diff = np.abs(g64 - e64)
        diff = np.where(np.isnan(diff) & np.isnan(e64) & np.isnan(g64), 0.0, diff)
        bad = diff > atol + rtol * np.abs(e64)
        rel = diff / np.maximum(1e-8, np.abs(e64) + np.abs(g64))
        if rel.size:
            worst = max(worst, float(np.nanmax(rel)))
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            where = f"[{', '.join(map(str, idx))}]" if idx else ""
            msg = (f"{label}: values differ; first mismatch at index {idx}, "
                   f"{int(bad.sum())} of {bad.size} elements off, largest relative error {float(np.nanmax(rel)):.3g}")
            if reveal:
                msg += f"; expected {label}{where} = {float(e64[idx]):.8g}, got {float(g64[idx]):.8g}"
            return Verdict(False, msg, worst)
    return Verdict(True, f"ok (largest relative error {worst:.1e})", worst)


def case_verdict(check, case, expected: tuple, got: tuple) -> Verdict:
    """One case's verdict, as the notebook and the grader both give it: ``got`` against the reference's
    ``expected`` with the check's tolerances and output names (expected values shown on visible cases only),
    then, if that passes and the case carries the notebook's literal numbers, against those too."""
    names = check.outputs or None
    v = compare(expected, got, rtol=check.rtol, atol=check.atol, reveal=case.visible, names=names)
    if v.passed and case.expected is not None:
        lit = compare(to_plain(case.expected), got, rtol=1e-6, atol=1e-8, reveal=True, names=names)
        v = Verdict(True, "ok", v.max_rel_error) if lit.passed else \
            Verdict(False, "against the numbers in the notebook: " + lit.message, lit.max_rel_error)
    return v
