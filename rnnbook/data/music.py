"""Bach chorales from music21's bundled corpus as binary piano rolls.

Each chorale (a score in ``music21.corpus`` under ``bach/`` with exactly four parts) is
quantised to a fixed step (default a quarter note, as in Boulanger-Lewandowski et al. 2012's JSB
set) and becomes a binary array (T, 88): row t, column k is 1 when MIDI pitch 21 + k (A0 .. C8)
sounds during step t. Repeats are not expanded. Parsing is slow (about 0.1 s a score), so the
result is cached as ``.npz`` under ``$RNNBOOK_CACHE`` (default ``~/.cache/rnnbook``).

Chorales go to a split by a hash of the file name (``zlib.crc32``): 10 % test, 10 % validation,
80 % train. ``max_chorales`` keeps the first chorales in sorted file-name order (before the
split), so a small run sees a fixed subset.

Shape letters: T time steps, K = 88 keys.
"""

from __future__ import annotations

import math
import os
import zlib

import numpy as np

from .._validate import check_choice
from ._require import require

__all__ = ["LOWEST_MIDI", "N_KEYS", "cache_dir", "chorale_names", "load_chorales"]

LOWEST_MIDI = 21
N_KEYS = 88
_SPLITS = ("train", "val", "test", "all")


def cache_dir() -> str:
    """``$RNNBOOK_CACHE`` or ``~/.cache/rnnbook`` (created)."""
    d = os.environ.get("RNNBOOK_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "rnnbook")
    os.makedirs(d, exist_ok=True)
    return d


def _split(name: str) -> str:
    b = zlib.crc32(name.encode("utf-8")) % 10
    return "test" if b == 0 else "val" if b == 1 else "train"


def chorale_names() -> list[str]:
    """Sorted corpus names ('bach/bwv1.6', ...) of the bundled Bach scores (not all are chorales)."""
    require("music21", what="chorale_names")
    from music21 import corpus

    return sorted(_paths())


def _paths() -> dict:
    from music21 import corpus

    return {"bach/" + os.path.splitext(os.path.basename(str(p)))[0]: str(p) for p in corpus.getComposer("bach")}


def _roll(path: str, step: float) -> np.ndarray | None:
    from music21 import converter

    score = converter.parse(path)
    if len(score.parts) != 4:
        return None
    notes = score.flatten().notes
    end = float(score.highestTime)
    roll = np.zeros((max(1, math.ceil(end / step - 1e-9)), N_KEYS), dtype=np.uint8)  # (T, K)
    for n in notes:
        a = int(math.floor(float(n.offset) / step + 1e-9))
        b = max(a + 1, int(math.ceil((float(n.offset) + float(n.quarterLength)) / step - 1e-9)))
        for p in n.pitches:
            k = p.midi - LOWEST_MIDI
            if 0 <= k < N_KEYS:
                roll[a:b, k] = 1
    return roll


def load_chorales(split: str = "all", step: float = 1.0, max_chorales: int | None = None):
    """List of (name, piano roll uint8 (T, 88)) for four-part chorales in ``split``.

    ``step`` is the quantisation step in quarter notes; ``max_chorales`` limits how many four-part
    chorales are parsed (the first in sorted order), which keeps the small-scale runs fast.
    """
    check_choice("split", split, _SPLITS)
    if step <= 0:
        raise ValueError(f"step: expected a positive number of quarter notes, got {step!r}")
    require("music21", what="load_chorales")
    tag = f"chorales_step{step:g}_n{max_chorales if max_chorales else 'all'}.npz"
    path = os.path.join(cache_dir(), tag)
    if os.path.exists(path):
        with np.load(path) as z:
            names = [str(s) for s in z["names"]]
            rolls = [z[f"r{i}"] for i in range(len(names))]
    else:
        names, rolls, paths = [], [], _paths()
        for name in sorted(paths):
            if max_chorales is not None and len(names) >= max_chorales:
                break
            r = _roll(paths[name], step)
            if r is not None:
                names.append(name)
                rolls.append(r)
        tmp = path + f".{os.getpid()}.tmp.npz"
        np.savez_compressed(tmp, names=np.array(names), **{f"r{i}": r for i, r in enumerate(rolls)})
        os.replace(tmp, path)
    return [(n, r) for n, r in zip(names, rolls) if split == "all" or _split(n) == split]
