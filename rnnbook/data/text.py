"""A character corpus present on every machine: the Python standard library's own source.

The corpus is every ``.py`` file under the running interpreter's standard-library directory
(``sysconfig.get_paths()["stdlib"]``), without ``site-packages``/``dist-packages`` and caches,
in a fixed order (sorted by path relative to that directory). Each file goes to one split by a
hash of its relative path (``zlib.crc32``): 10 % test, 10 % validation, 80 % train, so a file
stays in its split whatever else is installed.

The exact text differs between Python versions (3.11's ``asyncio`` is not 3.12's), so numbers
computed on it (bits per character, vocabulary size) move slightly from one interpreter to the
next; the tests check properties (determinism, disjoint splits, round trips), never exact sizes.

Shape letters: T characters, V vocabulary.
"""

from __future__ import annotations

import os
import sysconfig
import zlib

import numpy as np

from .._validate import check_choice

__all__ = ["stdlib_dir", "stdlib_files", "split_of", "load_stdlib_text", "CharVocab"]

_SPLITS = ("train", "val", "test")
_SKIP_DIRS = {"site-packages", "dist-packages", "__pycache__"}


def stdlib_dir() -> str:
    """The running interpreter's standard-library directory."""
    return sysconfig.get_paths()["stdlib"]


def stdlib_files() -> list[str]:
    """Relative paths of the standard library's ``.py`` files, sorted (a fixed order)."""
    root = stdlib_dir()
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        for f in filenames:
            if f.endswith(".py"):
                out.append(os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/"))
    return sorted(out)


def split_of(relpath: str) -> str:
    """The split ('train', 'val' or 'test') a file belongs to, from a hash of its relative path."""
    bucket = zlib.crc32(relpath.encode("utf-8")) % 10
    return "test" if bucket == 0 else "val" if bucket == 1 else "train"


def load_stdlib_text(split: str = "train", max_chars: int | None = None) -> str:
    """The concatenated source of the split's files (in the fixed order), cut at ``max_chars``.

    Files are read as UTF-8 (undecodable bytes replaced) and joined by a blank line.
    """
    check_choice("split", split, _SPLITS)
    if max_chars is not None and max_chars <= 0:
        raise ValueError(f"max_chars: expected a positive int or None, got {max_chars!r}")
    root = stdlib_dir()
    parts, n = [], 0
    for rel in stdlib_files():
        if split_of(rel) != split:
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
            s = fh.read()
        parts.append(s + "\n\n")
        n += len(s) + 2
        if max_chars is not None and n >= max_chars:
            break
    text = "".join(parts)
    return text if max_chars is None else text[:max_chars]


class CharVocab:
    """Characters <-> integer ids. Id 0 is the unknown character ``\\ufffd``.

    Build it from the training text (``CharVocab.from_text``); characters seen fewer than
    ``min_count`` times there map to id 0.
    """

    UNK = "\ufffd"

    def __init__(self, chars):
        chars = [c for c in chars if c != self.UNK]
        self.itos = [self.UNK] + sorted(set(chars))
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    @classmethod
    def from_text(cls, text: str, min_count: int = 1) -> "CharVocab":
        chars, counts = np.unique(np.array(list(text)), return_counts=True) if text else ([], [])
        return cls([c for c, k in zip(chars, counts) if k >= min_count])

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> np.ndarray:
        """str of length T -> int64 array (T,)."""
        get = self.stoi.get
        return np.fromiter((get(c, 0) for c in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """int array (T,) -> str."""
        ids = np.asarray(ids)
        if ids.ndim != 1:
            raise ValueError(f"ids: expected 1 dimension (T,), got shape {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids: expected values in [0, {len(self)}), got range [{ids.min()}, {ids.max()}]")
        return "".join(self.itos[i] for i in ids)
