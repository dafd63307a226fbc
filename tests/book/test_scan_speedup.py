"""Chapter 10's committed scan benchmark table (results/scan_speedup.json) and the script that writes it."""

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import scan_speedup  # noqa: E402


def _table():
    with open(os.path.join(ROOT, "results", "scan_speedup.json"), encoding="utf-8") as f:
        return json.load(f)


def test_the_table_says_how_when_and_where_it_was_made():
    t = _table()
    assert t["command"].startswith("python bench/scan_speedup.py")
    assert t["date"].endswith("UTC") and t["date"][:2] == "20"
    assert t["machine"]["cpu"] and t["machine"]["cores"] >= 1 and t["machine"]["torch"]
    assert t["repeats"] >= 1 and t["seed"] == 0


def test_the_table_covers_T_up_to_4096_on_one_thread_and_every_core():
    t = _table()
    rows = t["rows"]
    for N, H in scan_speedup.GRID:
        for threads in {1, t["machine"]["cores"]}:
            got = sorted(r["T"] for r in rows if (r["device"], r["threads"], r["N"], r["H"]) == ("cpu", threads, N, H))
            assert got == scan_speedup.LENGTHS, (N, H, threads)
    for r in rows:
        assert r["speedup"] == pytest.approx(r["loop_s"] / r["scan_s"], rel=1e-12)
        assert r["outputs_agree"]
    assert any(r["device"] == "cuda" for r in rows) == t["cuda_available"]


def test_a_row_is_measured_side_by_side():
    r = scan_speedup.measure("cpu", 1, 2, 3, 16, repeats=1)
    assert r["outputs_agree"] and r["loop_s"] > 0 and r["scan_s"] > 0
    assert r["speedup"] == pytest.approx(r["loop_s"] / r["scan_s"])
    assert (r["N"], r["H"], r["D"], r["T"]) == (2, 3, 3, 16)


def test_bad_repeats_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit):
        scan_speedup.main(["--repeats", "0"])
    assert "--repeats: expected at least 1, got 0" in capsys.readouterr().err


def test_the_table_shows_what_chapter_10_says():
    """The page: with one thread the scan wins for one narrow sequence (at most lengths) and mostly loses at
    batch 64 with H = 32, where the loop's steps already have work for the cores."""
    rows = _table()["rows"]

    def wins(N, H):
        return sum(r["speedup"] > 1 for r in rows if (r["device"], r["threads"], r["N"], r["H"]) == ("cpu", 1, N, H))

    assert wins(1, 16) >= 5
    assert wins(64, 32) <= 2
