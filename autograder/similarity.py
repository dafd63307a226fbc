"""Similarity between students' submissions of one assignment: the pairs to look at, with the functions.

Each solution function of each submission is fingerprinted as in :mod:`autograder.copydetect` (normalised
statements, winnowed k-grams), minus the fingerprints of the released notebook (the stubs everyone starts
from) and of code that most of the class shares (boilerplate). An inverted index from fingerprint to the
students that have it counts, for every pair that shares anything, the shared fingerprints per function, so
the work grows with what is shared, not with the square of the class: 500 submissions take seconds.

A pair is reported when, for some function, the shared fingerprints are at least ``threshold`` of the
smaller side's distinctive ones (containment, so padding one copy does not hide it; boilerplate counts on
neither side, as MOSS ignores its base file), and at least ``min_shared`` of them (a function with two
distinctive fingerprints matching by chance is no evidence).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass

from .copydetect import fingerprints, normalise
from .template import SubmissionError, Template, extract

__all__ = ["Pair", "similar_pairs"]


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    functions: tuple[tuple[str, float], ...]   # (function, containment), highest first

    @property
    def score(self) -> float:
        return max(s for _, s in self.functions)


def _functions(sources) -> dict[str, str]:
    out = {}
    for src in sources:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                out[node.name] = ast.unparse(node)
    return out


def similar_pairs(template: Template, submissions, *, threshold: float = 0.9, min_lines: int = 5,
                  common: float = 0.5, max_share: int = 10, min_shared: int = 5,
                  k: int = 12) -> tuple[list[Pair], list[str]]:
    """``(pairs, problems)`` for ``submissions`` (engine.Submission objects) of one assignment.

    min_lines: functions shorter than this (normalised) are never compared; common, max_share: fingerprints
    that more than this share of the class, or more than ``max_share`` students, have are boilerplate and
    ignored (MOSS's ``-m``, default 10: what that many hand in is no evidence that two of them copied); k:
    tokens per k-gram, longer than the copy detection's 5, since among hundreds of students a short run of
    normalised tokens (``v . sum ( v``) is in everyone's code."""
    stub = set()
    for src in _functions(c.get("source", "") if isinstance(c.get("source"), str) else "".join(c.get("source", []))
                          for c in template.cells if c.get("cell_type") == "code").values():
        stub |= fingerprints(src, k=k)
    prints: dict[str, dict[str, set[int]]] = {}
    problems = []
    for sub in submissions:
        if sub.problem:
            continue
        try:
            ex = extract(template, sub.path)
        except SubmissionError as exc:
            problems.append(f"{sub.student}: {exc}")
            continue
        fns = {}
        for name, src in _functions(ex.sources).items():
            try:
                if len(normalise(src)) >= min_lines:
                    fns[name] = fingerprints(src, k=k) - stub
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
        prints[sub.student] = fns
    index: dict[tuple[str, int], list[str]] = defaultdict(list)
    for student, fns in prints.items():
        for name, fp in fns.items():
            for h in fp:
                index[(name, h)].append(student)
    limit = max(2, min(int(common * len(prints)), max_share))
    shared: dict[tuple[str, str, str], int] = defaultdict(int)
    distinctive: dict[tuple[str, str], int] = defaultdict(int)   # (student, function) -> fingerprints not boilerplate
    for (name, _h), students in index.items():
        if len(students) > limit:
            continue
        for s in students:
            distinctive[(s, name)] += 1
        for i in range(len(students)):
            for j in range(i + 1, len(students)):
                a, b = sorted((students[i], students[j]))
                shared[(a, b, name)] += 1
    by_pair: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    for (a, b, name), n in shared.items():
        smaller = min(distinctive[(a, name)], distinctive[(b, name)])
        if n >= min_shared and smaller and n / smaller >= threshold:
            by_pair[(a, b)].append((name, round(n / smaller, 3)))
    pairs = [Pair(a, b, tuple(sorted(f, key=lambda x: -x[1]))) for (a, b), f in by_pair.items()]
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b)), problems
