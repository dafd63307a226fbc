"""Chapter 8's G2P model decoded greedily and by beam search: the decoders agree with each other and with the
NumPy reference on the real model, and the scores the experiment writes are the error rates of its outputs."""

import numpy as np
import pytest
import torch

from rnnbook.data import load_cmudict
from rnnbook.experiments.g2p import BOS, EOS, Seq2Seq, _scores, pairs_to_tensors, phonemes_of, train_seq2seq
from rnnbook.numpy import beam_search as np_beam_search


@pytest.fixture(scope="module")
def trained():
    """An attention model trained for two epochs on 600 short words (a few seconds), in float64."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = Seq2Seq(True, 16, 24).double()
    pairs = load_cmudict("train", max_len=6)[::40][:600]
    train_seq2seq(model, pairs, epochs=2, batch=32, lr=1e-2, rng=np.random.default_rng(0))
    model.eval()
    test = load_cmudict("test", max_len=8)[::400][:20]
    yield model, test
    torch.set_num_threads(n)


def test_beam_width_one_is_the_batched_greedy_decoder(trained):
    model, test = trained
    src, _, _ = pairs_to_tensors(test)
    greedy, _ = model.greedy(src, max_len=15)
    for i in range(len(test)):
        (ids, _, _), = model.beam(src[i : i + 1], beam_width=1, max_len=15)
        assert phonemes_of(ids) == phonemes_of(greedy[i].tolist()), test[i][0]


def test_the_torch_beam_on_the_model_is_the_numpy_beam_search(trained):
    """rnnbook.numpy.beam_search, given the model's step as NumPy, returns the same n-best list and scores as
    the torch twin the experiment uses."""
    model, test = trained
    src, _, _ = pairs_to_tensors(test)
    for i in range(0, len(test), 4):
        row = src[i : i + 1]
        step, s0 = model.step_fn(row)

        def np_step(tokens, s):
            logp, s = step(torch.as_tensor(tokens), torch.as_tensor(s))
            return logp.numpy(), s.numpy()

        for width, alpha in ((3, 0.0), (5, 1.0)):
            theirs = model.beam(row, width, 15, alpha)
            ours = np_beam_search(np_step, s0.numpy(), BOS, EOS, width, 15, alpha)
            assert [h[0] for h in ours] == [h[0] for h in theirs]
            assert np.allclose([h[1:] for h in ours], [h[1:] for h in theirs], rtol=0, atol=1e-10)
            assert theirs[0][2] >= max(h[2] for h in theirs)


def test_a_wider_beam_never_finds_a_less_probable_best_output_here(trained):
    """Not a theorem (beam search is a heuristic), but on these words the width-5 beam's best output is at least
    as probable as greedy's: the experiment's 'beam' column decodes by a higher model score."""
    model, test = trained
    src, _, _ = pairs_to_tensors(test)
    for i in range(len(test)):
        g = model.beam(src[i : i + 1], 1, 15)[0]
        b = model.beam(src[i : i + 1], 5, 15)[0]
        assert b[1] >= g[1] - 1e-12


def test_scores_are_the_error_rates_of_the_outputs():
    test = [("cat", ("K", "AE", "T")), ("dog", ("D", "AO", "G")), ("knight", ("N", "AY", "T"))]
    hyps = [["K", "AE", "T"], ["D", "AA", "G"], ["K", "N", "AY", "T"]]
    alts = {"cat": [("K", "AE", "T")], "dog": [("D", "AA", "G"), ("D", "AO", "G")], "knight": [("N", "AY", "T")]}
    s = _scores(test, hyps, alts)
    assert s["per"] == 2 / 9 and s["wer"] == 2 / 3 and s["wer_any"] == 1 / 3
    assert s["per_by_length"] == [[3, 1, 6, 2], [6, 1, 3, 1]]
    assert s["wer_by_length"] == [[3, 1, 2], [6, 1, 1]]


def test_committed_table_bears_out_the_g2p_page_on_decoding():
    """The g2p page: beam search lowers the WER of both models on every seed of the committed run, attention's
    WER is below the fixed context's, scoring against any listed pronunciation never raises a WER, and the
    table's greedy rows are the error rates of its greedy columns by length."""
    from rnnbook.experiments.tables import committed

    t = committed("g2p")
    assert t is not None and t["command"].startswith("python scripts/reproduce.py g2p")
    for r in t["results"]:
        cfg = r["config"]
        assert cfg["beam_width"] == 5 and cfg["length_penalty"] == 0.0
        for m in ("no_attention", "attention"):
            g, b = r[m], r[m]["beam"]
            assert b["wer"] < g["wer"] and b["per"] < g["per"], (cfg["seed"], m)
            assert g["wer_any"] <= g["wer"] and b["wer_any"] <= b["wer"]
            for s in (g, b):
                assert sum(k for _, _, k in s["wer_by_length"]) == cfg["n_test"]
                assert abs(sum(x for _, x, _ in s["wer_by_length"]) / cfg["n_test"] - s["wer"]) < 1e-12
                assert abs(sum(e for _, e, _, _ in s["per_by_length"]) / sum(n for _, _, n, _ in s["per_by_length"])
                           - s["per"]) < 1e-12
            assert 0 < g["beam_differs"] < cfg["n_test"]
        assert r["attention"]["beam"]["wer"] < r["no_attention"]["beam"]["wer"]
