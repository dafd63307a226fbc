"""Greedy and beam-search decoding (rnnbook.numpy.decode, its torch twin rnnbook.torch.decode) and the error
rates (rnnbook.numpy.error_rates).

The toy model is a small RNN decoder, h' = tanh(E[y] + h W + b), log p = log_softmax(h' Wo + bo), with few
enough tokens that every output of up to ``max_len`` tokens can be listed and scored.
"""

import itertools

import numpy as np
import pytest
import torch

from rnnbook.numpy import beam_search, edit_distance, greedy_decode, phoneme_error_rate, sequence_log_prob
from rnnbook.numpy import word_error_rate
from rnnbook.torch import decode as tdecode

BOS, EOS = 0, 1


def toy(seed, V=4, H=5, scale=2.0):
    rng = np.random.default_rng(seed)
    return dict(E=rng.standard_normal((V, H)) * scale, W=rng.standard_normal((H, H)) / np.sqrt(H),
                b=rng.standard_normal(H) * 0.1, Wo=rng.standard_normal((H, V)) * scale / np.sqrt(H),
                bo=rng.standard_normal(V) * 0.5, h0=rng.standard_normal((1, H)) * 0.5)


def np_step(p):
    def step(tokens, h):  # tokens (K,), h (K, H) -> log_probs (K, V), h (K, H)
        h = np.tanh(p["E"][tokens] + h @ p["W"] + p["b"])
        z = h @ p["Wo"] + p["bo"]
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True)), h
    return step


def torch_step(p):
    t = {k: torch.tensor(v, dtype=torch.float64) for k, v in p.items()}

    def step(tokens, h):
        h = torch.tanh(t["E"][tokens] + h @ t["W"] + t["b"])
        return torch.log_softmax(h @ t["Wo"] + t["bo"], dim=1), h
    return step, t["h0"]


def every_output(V, max_len):
    """Every hypothesis beam search can return: tokens ending with EOS (EOS only at the end), up to max_len
    tokens, and the max_len-token outputs without EOS."""
    words = [v for v in range(V) if v != EOS]
    for L in range(max_len):
        for prefix in itertools.product(words, repeat=L):
            yield list(prefix) + [EOS]
    yield from (list(p) for p in itertools.product(words, repeat=max_len))


@pytest.mark.parametrize("seed", range(6))
def test_beam_width_one_is_greedy(seed):
    p = toy(seed, V=6)
    greedy, g_score = greedy_decode(np_step(p), p["h0"], BOS, EOS, max_len=8)
    (tokens, score, _), *rest = beam_search(np_step(p), p["h0"], BOS, EOS, beam_width=1, max_len=8)
    assert tokens == greedy and abs(score - g_score) < 1e-12 and rest == []


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
@pytest.mark.parametrize("seed", range(4))
def test_exhaustive_beam_finds_the_exact_argmax_of_every_output(seed, alpha):
    V, max_len = 4, 4
    p = toy(seed, V=V)
    step = np_step(p)
    outputs = list(every_output(V, max_len))
    scores = [sequence_log_prob(step, p["h0"], BOS, y) for y in outputs]
    assert abs(np.logaddexp.reduce(scores)) < 1e-9  # the listed outputs are every outcome: probabilities sum to 1
    ranked = [s / len(y) ** alpha for y, s in zip(outputs, scores)]
    best = outputs[int(np.argmax(ranked))]
    hyps = beam_search(step, p["h0"], BOS, EOS, beam_width=V ** max_len, max_len=max_len, length_penalty=alpha)
    assert len(hyps) == len(outputs)  # nothing pruned
    assert hyps[0][0] == best and abs(hyps[0][2] - max(ranked)) < 1e-12
    for tokens, score, _ in hyps[:5]:  # each hypothesis carries its model score
        assert abs(score - sequence_log_prob(step, p["h0"], BOS, tokens)) < 1e-12


def test_a_wider_beam_beats_greedy_where_the_best_output_starts_with_a_less_likely_token():
    """A two-step model written out: greedy takes token 2 (p 0.6) then can only end in a flat distribution;
    token 3 (p 0.4) is followed by EOS with p 0.95, so 3 EOS (0.38) beats any 2 * (at most 0.6 * 0.4)."""
    logp = {BOS: np.log([1e-9, 1e-9, 0.6, 0.4 - 2e-9]), 2: np.log([1e-9, 0.4, 0.3, 0.3 - 1e-9]),
            3: np.log([1e-9, 0.95, 0.025, 0.025 - 1e-9])}

    def step(tokens, state):
        return np.stack([logp[int(t)] for t in tokens]), state

    state = np.zeros((1, 1))
    assert greedy_decode(step, state, BOS, EOS, 2)[0] == [2, 1]
    assert beam_search(step, state, BOS, EOS, 1, 2)[0][0] == [2, 1]
    best = beam_search(step, state, BOS, EOS, 2, 2)[0]
    assert best[0] == [3, 1] and abs(best[1] - np.log(0.38 - 0.95 * 2e-9)) < 1e-9


def test_length_penalty_changes_the_ranking_towards_longer_outputs():
    """Under alpha = 0 short outputs win; ranking by score / L (alpha = 1) picks an output at least as long."""
    for seed in range(10):
        p = toy(seed, V=5)
        short = beam_search(np_step(p), p["h0"], BOS, EOS, 4, 6, length_penalty=0.0)[0][0]
        long = beam_search(np_step(p), p["h0"], BOS, EOS, 4, 6, length_penalty=1.0)
        assert len(long[0][0]) >= len(short)
        assert [h[2] for h in long] == sorted((h[2] for h in long), reverse=True)
        assert all(abs(h[2] - h[1] / len(h[0])) < 1e-12 for h in long)


def test_outputs_cut_at_max_len_are_returned_without_eos():
    step = lambda tokens, s: (np.log(np.tile([0.0 + 1e-12, 1e-12, 1.0 - 2e-12], (len(tokens), 1))), s)  # noqa: E731
    hyps = beam_search(step, np.zeros((1, 1)), BOS, EOS, 3, 4)
    assert hyps[0][0] == [2, 2, 2, 2] and all(EOS not in h[0][:-1] for h in hyps)
    assert greedy_decode(step, np.zeros((1, 1)), BOS, EOS, 4)[0] == [2, 2, 2, 2]


def test_states_are_reordered_with_their_hypotheses():
    """A tuple state follows its hypothesis: the state counts each hypothesis's tokens, so it must equal
    the length of the hypothesis it is handed with."""
    p = toy(3, V=5)
    inner = np_step(p)
    seen = []

    def step(tokens, state):
        h, n = state
        seen.append(n.copy())
        logp, h = inner(tokens, h)
        return logp, (h, n + 1)

    hyps = beam_search(step, (p["h0"], np.zeros(1)), BOS, EOS, 3, 5)
    assert all(np.all(n == k) for k, n in enumerate(seen))
    assert hyps[0][0] == beam_search(inner, p["h0"], BOS, EOS, 3, 5)[0][0]


@pytest.mark.parametrize("width, alpha", [(1, 0.0), (3, 0.0), (5, 0.7), (64, 1.0)])
@pytest.mark.parametrize("seed", range(3))
def test_torch_twin_returns_the_same_hypotheses_and_scores(seed, width, alpha):
    p = toy(seed, V=6)
    ours = beam_search(np_step(p), p["h0"], BOS, EOS, width, 7, alpha)
    tstep, h0 = torch_step(p)
    theirs = tdecode.beam_search(tstep, h0, BOS, EOS, width, 7, alpha)
    assert [h[0] for h in ours] == [h[0] for h in theirs]
    assert np.allclose([h[1:] for h in ours], [h[1:] for h in theirs], rtol=0, atol=1e-12)
    g, gs = greedy_decode(np_step(p), p["h0"], BOS, EOS, 7)
    tg, tgs = tdecode.greedy_decode(tstep, h0, BOS, EOS, 7)
    assert g == tg and abs(gs - tgs) < 1e-12


def test_bad_arguments_are_one_line_errors():
    p = toy(0)
    for kwargs, msg in [(dict(beam_width=0), "beam_width: expected an int >= 1, got 0"),
                        (dict(max_len=0), "max_len: expected an int >= 1, got 0"),
                        (dict(length_penalty=-1.0), "length_penalty: expected a number >= 0, got -1.0")]:
        args = dict(beam_width=2, max_len=3) | kwargs
        with pytest.raises(ValueError, match=msg):
            beam_search(np_step(p), p["h0"], BOS, EOS, **args)
    with pytest.raises(ValueError, match=r"step: expected log_probs of shape \(1, V\), got \(4,\)"):
        beam_search(lambda t, s: (np.zeros(4), s), p["h0"], BOS, EOS, 2, 3)


# ------------------------------------------------------------------------------------------- error rates
def test_edit_distance_on_hand_worked_pairs():
    assert edit_distance("kitten", "sitting") == 3  # k->s, e->i, insert g
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3 and edit_distance("", "") == 0
    assert edit_distance("flaw", "lawn") == 2  # delete f, insert n
    assert edit_distance(["N", "AY", "T"], ["N", "IY", "T"]) == 1  # one substitution
    assert edit_distance(["K", "N", "AY", "T"], ["N", "AY", "T"]) == 1  # one deletion
    assert edit_distance(["N", "AY", "T"], ["T", "AY", "N"]) == 2  # no transpositions: two substitutions


def test_phoneme_and_word_error_rates_on_a_hand_worked_list():
    refs = [("N", "AY", "T"), ("K", "AE", "T"), ("D", "AO", "G"), ("AH", "B", "AW", "T")]
    hyps = [("N", "AY", "T"), ("K", "AE", "T", "S"), ("D", "AA", "G"), ("AH", "B", "T")]
    # errors 0 + 1 (insertion) + 1 (substitution) + 1 (deletion) over 3 + 3 + 3 + 4 = 13 reference phonemes
    assert phoneme_error_rate(refs, hyps) == 3 / 13
    assert word_error_rate(refs, hyps) == 3 / 4
    alts = [[r] for r in refs]
    alts[2] = [("D", "AO", "G"), ("D", "AA", "G")]  # a second listed pronunciation of "dog"
    assert word_error_rate(alts, hyps, any_of=True) == 2 / 4
    assert phoneme_error_rate([("A",)], [("B", "C", "D")]) == 3.0  # PER can exceed 1


def test_error_rates_reject_mismatched_lists():
    with pytest.raises(ValueError, match="expected one hypothesis per reference, got 1 hypotheses for 2"):
        phoneme_error_rate([("A",), ("B",)], [("A",)])
    with pytest.raises(ValueError, match="the references are all empty"):
        phoneme_error_rate([()], [("A",)])


def test_the_exercises_exhaustive_cases_are_the_exact_best_and_beat_greedy_for_any_secret():
    """The chapter's beam-search exercise (autograder.checks.ch08): on its exhaustive cases rnnbook's beam
    search returns the output the check's own enumeration finds best, and greedy decoding does not."""
    from autograder.checks import ch08
    from autograder.reference.ch08 import beam_search as ref_beam
    from autograder.spec import case_rng

    cases = [c for c in ch08.BEAM_SEARCH.cases if c.name.startswith("exhaustive")]
    assert len(cases) == 2 and sum(c.visible for c in cases) == 1
    for secret in ("public", "s1", "s2", "s3", "s4"):
        for case in cases:
            *model, bos, eos, width, max_len, alpha = case.inputs(case_rng(secret, ch08.BEAM_SEARCH.id, case.name))
            assert width >= len(model[0]) ** max_len
            best = ch08._best_by_enumeration(*model, bos, eos, max_len, alpha)
            assert ref_beam(*model, bos, eos, width, max_len, alpha)[0] == best
            assert ch08._greedy(*model, bos, eos, max_len) != best
