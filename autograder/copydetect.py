"""Flag solutions that are near copies of the reference implementation's source.

Both sides are normalised the same way: parsed, docstrings dropped, every identifier that is not an
attribute name or a builtin renamed in order of first appearance (``v0``, ``v1``…), and unparsed again,
so comments, formatting, variable names and docstrings do not matter. Similarity is
``difflib.SequenceMatcher`` over the normalised token lines; at or above ``threshold`` the function is flagged.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import inspect

__all__ = ["normalise", "similarity", "find_copies"]

_BUILTINS = set(dir(builtins))


class _Rename(ast.NodeTransformer):
    def __init__(self):
        self.names: dict[str, str] = {}

    def _new(self, name: str) -> str:
        if name in _BUILTINS:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node):
        node.id = self._new(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self._new(node.arg)
        node.annotation = None
        return node

    def visit_FunctionDef(self, node):
        node.name = self._new(node.name)
        node.returns = None
        first = node.body[0] if node.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
        self.generic_visit(node)
        return node


def normalise(source: str) -> list[str]:
    """The normalised lines of ``source`` (see the module docstring)."""
    tree = _Rename().visit(ast.parse(inspect.cleandoc(source) if source.startswith((" ", "\t")) else source))
    return [ln.strip() for ln in ast.unparse(tree).splitlines() if ln.strip()]


def similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two sources after :func:`normalise`."""
    return difflib.SequenceMatcher(None, normalise(a), normalise(b), autojunk=False).ratio()


def find_copies(student_sources: list[str], reference: dict[str, str], threshold: float = 0.9,
                min_lines: int = 5) -> list[tuple[str, float]]:
    """``(function name, similarity)`` for each student function whose normalised source matches the
    reference function of the same name at or above ``threshold``.

    reference: function name -> the reference's source (read with ``inspect.getsource`` in the grader).
    min_lines: reference functions shorter than this (normalised) are never flagged: a four-line softmax has
    few honest ways to be written.
    """
    out = []
    for src in student_sources:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in reference \
                    and len(normalise(reference[node.name])) >= min_lines:
                s = similarity(ast.unparse(node), reference[node.name])
                if s >= threshold:
                    out.append((node.name, round(s, 3)))
    return out
