"""Name lists from the ``names`` package (US Census 1990 first and last names), for character models.

Names are lower-cased ASCII. Each name goes to a split by a hash of the name (``zlib.crc32``):
10 % test, 10 % validation, 80 % train, in the package's order (most frequent first).
"""

from __future__ import annotations

import os
import zlib

from .._validate import check_choice
from ._require import require

__all__ = ["load_names"]

_FILES = {"male": "dist.male.first", "female": "dist.female.first", "last": "dist.all.last"}
_SPLITS = ("train", "val", "test", "all")


def _split(name: str) -> str:
    b = zlib.crc32(name.encode("utf-8")) % 10
    return "test" if b == 0 else "val" if b == 1 else "train"


def load_names(kind: str = "female", split: str = "all") -> list[str]:
    """Names of ``kind`` ('male', 'female', 'last') in ``split`` ('train', 'val', 'test', 'all')."""
    check_choice("kind", kind, tuple(_FILES))
    check_choice("split", split, _SPLITS)
    names = require("names", what="load_names")
    path = os.path.join(os.path.dirname(names.__file__), _FILES[kind])
    out = []
    with open(path, encoding="ascii") as fh:
        for line in fh:
            if line.strip():
                n = line.split()[0].lower()
                if split == "all" or _split(n) == split:
                    out.append(n)
    return out
