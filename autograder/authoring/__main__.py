"""``python -m autograder.authoring [--expected] [chNN ...]`` (see the package docstring)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import numpy as np

from . import ROOT, write_chapter
from ..checks import ASSIGNMENTS, chapter_checks
from ..compare import to_plain
from ..notebook import _quiet_run, reference_namespace
from ..spec import PUBLIC_SEED, case_rng


def _available() -> list[str]:
    here = importlib.import_module(__package__)
    names = {m.name for m in pkgutil.iter_modules(here.__path__)}
    return [ch for ch in ASSIGNMENTS if ch in names]


def freeze_expected(chapters: list[str]) -> str:
    """Recompute the linspace cases' outputs with the reference and rewrite checks/_expected.py."""
    from ..checks._expected import EXPECTED

    table = dict(EXPECTED)
    for ch in chapters:
        for check in chapter_checks(ch):
            ref = reference_namespace(check)
            for case in check.cases:
                if case.name != "linspace":
                    continue
                out = to_plain(_quiet_run(check, ref, case.inputs(case_rng(PUBLIC_SEED, check.id, case.name))))
                table[f"{check.id}/{case.name}"] = [np.asarray(o, dtype=np.float64).tolist() for o in out]
    lines = ['"""Frozen outputs of the visible linspace cases (python -m autograder.authoring --expected)."""', "",
             "EXPECTED = {"]
    for key in sorted(table):
        lines.append(f"    {key!r}: {table[key]!r},")
    lines.append("}")
    path = f"{ROOT}/autograder/checks/_expected.py"
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def main(argv: list[str]) -> int:
    expected = "--expected" in argv
    chapters = [a for a in argv if not a.startswith("--")] or _available()
    if expected:
        print(freeze_expected(chapters))
    else:
        for ch in chapters:
            print(write_chapter(ch))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
