"""Flag solutions that are near copies of the reference implementation's source (or of each other's).

Both sides are normalised the same way: parsed, docstrings dropped, every identifier that is not an
attribute name or a builtin replaced by one placeholder ``v``, and unparsed again, so comments, formatting,
names and docstrings do not matter. Then the token stream of each statement is fingerprinted by winnowing
(Schleimer, Wilkerson & Aiken 2003, the method of MOSS): hashes of every k-gram of tokens, and in each window
of w consecutive hashes the smallest one kept. A statement that does nothing is dropped first
(``pass``, a bare name or constant, ``x = x``).

The score of a student function against a reference function is the *containment* of the reference's
fingerprints in the student's, ``|F(ref) ∩ F(student)| / |F(ref)|``, not a symmetric ratio: padding a copy
with extra lines, renaming, reordering statements or reformatting leaves the reference's fingerprints in it.
At or above ``threshold`` the function is flagged for the instructor; a flag never changes a score.
"""

from __future__ import annotations

import ast
import builtins
import functools
import hashlib
import inspect
import io
import tokenize

__all__ = ["normalise", "fingerprints", "similarity", "find_copies"]

_BUILTINS = set(dir(builtins))
K, W = 5, 4


class _Anonymise(ast.NodeTransformer):
    def visit_Name(self, node):
        if node.id not in _BUILTINS:
            node.id = "v"
        return node

    def visit_arg(self, node):
        node.arg, node.annotation = "v", None
        return node

    def _body(self, body):
        kept = []
        for st in body:
            if isinstance(st, ast.Pass) or (isinstance(st, ast.Expr) and isinstance(st.value, (ast.Constant, ast.Name))):
                continue
            if (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
                    and isinstance(st.value, ast.Name) and st.value.id == st.targets[0].id):
                continue
            kept.append(st)
        return kept or [ast.Pass()]

    def generic_visit(self, node):
        for name in ("body", "orelse", "finalbody"):
            if isinstance(getattr(node, name, None), list) and getattr(node, name) \
                    and isinstance(getattr(node, name)[0], ast.stmt):
                setattr(node, name, self._body(getattr(node, name)))
        return super().generic_visit(node)

    def visit_FunctionDef(self, node):
        node.name, node.returns = "v", None
        first = node.body[0] if node.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
        self.generic_visit(node)
        return node


def normalise(source: str) -> list[str]:
    """The normalised statements of ``source``, one per line (see the module docstring)."""
    src = inspect.cleandoc(source) if source.startswith((" ", "\t")) else source
    tree = _Anonymise().visit(ast.parse(src))
    return [ln.strip() for ln in ast.unparse(tree).splitlines() if ln.strip()]


def _tokens(line: str) -> list[str]:
    out = []
    try:
        for t in tokenize.generate_tokens(io.StringIO(line).readline):
            if t.type in (tokenize.NUMBER,):
                out.append("N")
            elif t.type == tokenize.STRING:
                out.append("S")
            elif t.type in (tokenize.NAME, tokenize.OP):
                out.append(t.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out += line.split()
    return out


def fingerprints(source: str, k: int = K, w: int = W) -> set[int]:
    """The winnowed fingerprints of ``source``: k-grams of the normalised tokens within each statement (so an
    inserted statement breaks no k-gram of the others), hashed, the minimum of each window of ``w`` kept."""
    out: set[int] = set()
    for line in normalise(source):
        toks = _tokens(line)
        grams = [" ".join(toks[i:i + k]) for i in range(max(1, len(toks) - k + 1))]
        hashes = [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little") for g in grams]
        if len(hashes) <= w:
            out.update(hashes[:1] and [min(hashes)])
            continue
        for i in range(len(hashes) - w + 1):
            out.add(min(hashes[i:i + w]))
    return out


def similarity(student: str, reference: str) -> float:
    """Containment in [0, 1] of the reference's fingerprints in the student's source."""
    ref = fingerprints(reference)
    return len(ref & fingerprints(student)) / len(ref) if ref else 0.0


@functools.lru_cache(maxsize=256)
def _reference_profile(source: str) -> tuple[int, frozenset]:
    """(normalised lines, fingerprints) of one reference function: the same for every submission."""
    return len(normalise(source)), frozenset(fingerprints(source))


def find_copies(student_sources: list[str], reference: dict[str, str], threshold: float = 0.95,
                min_lines: int = 5) -> list[tuple[str, float]]:
    """``(function name, similarity)`` for each student function whose fingerprints contain the reference
    function's of the same name at or above ``threshold``.

    reference: function name -> the reference's source (read with ``inspect.getsource`` in the grader).
    min_lines: reference functions shorter than this (normalised) are never flagged: a four-line softmax has
    few honest ways to be written.
    """
    out = []
    for src in student_sources:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name not in reference:
                continue
            lines, ref = _reference_profile(reference[node.name])
            if lines >= min_lines and ref:
                s = len(ref & fingerprints(ast.unparse(node))) / len(ref)  # similarity(), the reference's side cached
                if s >= threshold:
                    out.append((node.name, round(s, 3)))
    return out
