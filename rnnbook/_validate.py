"""Input checks shared by the NumPy and PyTorch references.

Every public function checks its arguments with :func:`check_shape` so that a wrong shape, rank
or dtype raises a ``ValueError`` naming the argument, the expected shape in letters and numbers,
and what arrived::

    Wx: expected (D, 4H) = (32, 512), got (32, 384)

Usage: bind the letters from the arrays whose shapes define them, then check the rest::

    dims = {}
    check_shape("x", x, "N, T, D", dims)          # binds N, T, D
    check_shape("prev_h", prev_h, "N, H", dims)    # binds H, checks N
    check_shape("Wx", Wx, "D, 4H", dims)           # checks against the bound letters
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["check_shape", "check_same_shape", "check_float", "check_choice"]

_TERM = re.compile(r"^\s*(\d*)\s*\*?\s*([A-Za-z_][A-Za-z_0-9]*)?\s*$")


def _parse(spec: str) -> list[tuple[int, str | None]]:
    """'N, T, 4H, 3' -> [(1, 'N'), (1, 'T'), (4, 'H'), (3, None)]."""
    out = []
    for part in [p for p in spec.replace("(", "").replace(")", "").split(",") if p.strip()]:
        m = _TERM.match(part)
        if not m or (not m.group(1) and not m.group(2)):
            raise AssertionError(f"bad shape spec {spec!r}")
        coef = int(m.group(1)) if m.group(1) else 1
        out.append((coef, m.group(2)) if m.group(2) else (coef, None))
    return out


def _fmt_spec(terms) -> str:
    return "(" + ", ".join((f"{c}{n}" if c != 1 else n) if n else str(c) for c, n in terms) + ")"


def _fmt_shape(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_float(name: str, x) -> None:
    """Raise ValueError unless ``x`` is a floating-point array (NumPy or torch)."""
    dtype = getattr(x, "dtype", None)
    if dtype is None:
        raise ValueError(f"{name}: expected a floating-point array, got {type(x).__name__}")
    is_float = getattr(dtype, "is_floating_point", None)
    if is_float is None:  # NumPy
        is_float = np.issubdtype(dtype, np.floating)
    if not is_float:
        raise ValueError(f"{name}: expected a floating-point dtype, got {dtype}")


def check_shape(name: str, x, spec: str, dims: dict[str, int], *, floating: bool = True) -> None:
    """Check ``x.shape`` against ``spec`` (e.g. ``"N, T, D"`` or ``"D, 4H"``), binding unknown letters.

    A letter seen for the first time is bound from ``x`` (only when its coefficient divides the size);
    a letter bound earlier must agree. Raises ValueError with the expected shape in letters and numbers.
    """
    if not hasattr(x, "shape"):
        raise ValueError(f"{name}: expected an array of shape {_fmt_spec(_parse(spec))}, got {type(x).__name__}")
    if floating:
        check_float(name, x)
    terms = _parse(spec)
    shape = tuple(int(s) for s in x.shape)
    if len(shape) != len(terms):
        raise ValueError(
            f"{name}: expected {len(terms)} dimensions {_fmt_spec(terms)}, got {len(shape)} dimensions {_fmt_shape(shape)}"
        )
    # bind first, so that the message can show the full expected shape in numbers
    for (coef, letter), size in zip(terms, shape):
        if letter is not None and letter not in dims and size % coef == 0:
            dims[letter] = size // coef
    expected = []
    for coef, letter in terms:
        expected.append(coef * dims[letter] if letter is not None and letter in dims else (coef if letter is None else None))
    if any(e is None or e != s for e, s in zip(expected, shape)):
        nums = "(" + ", ".join("?" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"
        raise ValueError(f"{name}: expected {_fmt_spec(terms)} = {nums}, got {_fmt_shape(shape)}")


def check_same_shape(name: str, x, like_name: str, like) -> None:
    """Raise ValueError unless ``x`` has exactly the shape of ``like`` (e.g. an upstream gradient)."""
    if tuple(getattr(x, "shape", ())) != tuple(like.shape):
        got = _fmt_shape(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise ValueError(f"{name}: expected the shape of {like_name} {_fmt_shape(like.shape)}, got {got}")


def check_choice(name: str, value, choices) -> None:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}: expected one of {sorted(choices)!r}, got {value!r}")
