"""Chapter 7's generation code: the char model's sampler and temperature sweep, perplexity, the chorale sampler."""

import math

import numpy as np
import pytest
import torch

from rnnbook.data.text import CharVocab
from rnnbook.experiments.charlm import _CharLSTM, generate, perplexity, temperature_sweep, word_fraction
from rnnbook.experiments.music import _Net, roll_stats, sample_chorale

TEXT = "def f(x):\n    return x + 1\n\nclass A:\n    pass\n" * 5


@pytest.fixture
def char_model():
    torch.manual_seed(0)
    vocab = CharVocab.from_text(TEXT, min_count=1)
    return _CharLSTM(len(vocab), 8, 16, 1).eval(), vocab


def test_perplexity_is_two_to_the_bits():
    assert perplexity(0.0) == 1.0 and perplexity(1.0) == 2.0 and perplexity(math.log2(97)) == pytest.approx(97)
    with pytest.raises(ValueError, match="bpc: expected a finite number >= 0"):
        perplexity(-1.0)


def test_generate_is_seeded_and_greedy_is_the_argmax(char_model):
    model, vocab = char_model
    a, b = generate(model, vocab, "def ", 30, 1.0, seed=3), generate(model, vocab, "def ", 30, 1.0, seed=3)
    assert a == b and len(a["text"]) == 34 and a["text"].startswith("def ")
    assert generate(model, vocab, "def ", 30, 1.0, seed=4)["text"] != a["text"]
    g = generate(model, vocab, "def ", 12, 0.0, seed=0)
    assert g["entropy_bits"] == 0.0
    # greedy by hand: the argmax of the logits at every step
    with torch.no_grad():
        ids = list(vocab.encode("def "))
        for _ in range(12):
            logits, _ = model(torch.tensor([ids]))
            ids.append(int(logits[0, -1].argmax()))
    assert g["text"] == vocab.decode(np.array(ids))
    assert generate(model, vocab, "def ", 12, 1e-6, seed=5)["text"] == g["text"]
    with pytest.raises(ValueError, match="temperature: expected a finite number >= 0"):
        generate(model, vocab, "def ", 5, -1.0)


def test_temperature_sweep_entropy_rises_with_temperature(char_model):
    model, vocab = char_model
    rows = temperature_sweep(model, vocab, TEXT, [0.0, 0.5, 1.0, 2.0], n=60, seed=0)
    ent = [r["entropy_bits"] for r in rows]
    assert ent[0] == 0.0 and all(a < b for a, b in zip(ent, ent[1:]))
    assert all(0 < r["distinct_4grams"] <= 1 for r in rows)
    assert word_fraction("def return xyzzy", {"def", "return"}) == pytest.approx(2 / 3)
    assert math.isnan(word_fraction("+ - *", {"def"}))


def test_sample_chorale_keeps_the_prime_and_is_seeded():
    torch.manual_seed(0)
    net = _Net("lstm", 12).eval()
    prime = np.zeros((4, 88), dtype=np.uint8)
    prime[:, [40, 44, 47, 52]] = 1
    a, b = sample_chorale(net, prime, 10, seed=1), sample_chorale(net, prime, 10, seed=1)
    assert a.shape == (14, 88) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:4], prime)
    assert not np.array_equal(a, sample_chorale(net, prime, 10, seed=2))
    # the draws follow the model: with the read-out's bias at -30 no key ever sounds
    with torch.no_grad():
        net.head.bias.fill_(-30.0)
    assert not sample_chorale(net, prime, 10, seed=1)[4:].any()
    with pytest.raises(ValueError, match=r"prime: expected a piano roll of shape \(T0, 88\)"):
        sample_chorale(net, np.zeros((4, 12)), 3)


def test_roll_stats():
    roll = np.zeros((4, 88), dtype=np.uint8)
    roll[0, [10, 20, 30, 40]] = 1
    roll[1, [12, 22]] = 1
    st = roll_stats(roll)
    assert st == {"notes_per_step": 1.5, "four_notes": 0.25, "silent": 0.5, "lowest_midi": 31, "highest_midi": 61}
