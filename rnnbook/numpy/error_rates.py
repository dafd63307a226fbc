r"""Edit distance and the error rates of sequence outputs: phoneme error rate (PER) and word error rate (WER).

- :func:`edit_distance`: the Levenshtein distance, the fewest substitutions, insertions and deletions that turn
  one sequence into the other (each costs 1), by dynamic programming over the (|ref|+1) x (|hyp|+1) table
  ``d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + [ref_i != hyp_j])``.
- :func:`phoneme_error_rate`: the edit errors summed over all words, over the reference phonemes summed over
  all words (pooled, not a mean of per-word rates, so long words weigh more). It can exceed 1.
- :func:`word_error_rate`: the fraction of words whose whole output is not exactly a reference. This is the
  grapheme-to-phoneme literature's WER (one error per wrongly pronounced word, however many phonemes are
  wrong); speech recognition's WER is :func:`phoneme_error_rate` with words as the tokens.
"""

from __future__ import annotations

__all__ = ["edit_distance", "phoneme_error_rate", "word_error_rate"]


def edit_distance(ref, hyp) -> int:
    """Levenshtein distance between two sequences (strings, lists or tuples of tokens)."""
    d = list(range(len(hyp) + 1))  # row i of the table, kept in place
    for i, x in enumerate(ref, 1):
        prev, d[0] = d[0], i  # prev: d[i-1][j-1]
        for j, y in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[-1]


def _pairs(refs, hyps):
    refs, hyps = list(refs), list(hyps)
    if len(refs) != len(hyps):
        raise ValueError(f"expected one hypothesis per reference, got {len(hyps)} hypotheses for {len(refs)} references")
    if not refs:
        raise ValueError("expected at least one reference, got none")
    return refs, hyps


def phoneme_error_rate(refs, hyps) -> float:
    """sum_i edit_distance(refs[i], hyps[i]) / sum_i len(refs[i]): refs and hyps lists of token sequences."""
    refs, hyps = _pairs(refs, hyps)
    n = sum(len(r) for r in refs)
    if n == 0:
        raise ValueError("phoneme_error_rate: the references are all empty (no phonemes to count errors over)")
    return sum(edit_distance(r, h) for r, h in zip(refs, hyps)) / n


def word_error_rate(refs, hyps, any_of: bool = False) -> float:
    """Fraction of words whose hypothesis differs from the reference.

    refs: one token sequence per word, or with ``any_of=True`` a list of acceptable sequences per word (a
    word with several listed pronunciations is right if the hypothesis equals any one of them).
    """
    refs, hyps = _pairs(refs, hyps)
    if any_of:
        wrong = sum(tuple(h) not in {tuple(r) for r in alts} for alts, h in zip(refs, hyps))
    else:
        wrong = sum(tuple(h) != tuple(r) for r, h in zip(refs, hyps))
    return wrong / len(refs)
