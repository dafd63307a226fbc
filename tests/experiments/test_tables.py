"""scripts/reproduce.py writes result tables that rnnbook.experiments.tables reads back."""

import json
import os

import pytest
import torch

from rnnbook.experiments.tables import RESULTS_DIR, committed, describe_source, seed_summary

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_results_dir_is_this_checkouts():
    assert RESULTS_DIR == os.path.join(ROOT, "results")


def test_reproduce_writes_one_result_per_seed_with_its_provenance(tmp_path, reproduce):
    argv = ["sunspots", "--scale", "small", "--seeds", "0", "1", "--threads", "1", "--set", "epochs=20",
            "--out", str(tmp_path)]
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert reproduce.main(argv) == 0
        assert torch.get_num_threads() == 2  # --threads 1 held for the run only
    finally:
        torch.set_num_threads(threads)
    table = committed("sunspots", str(tmp_path))
    assert table["seeds"] == [0, 1]
    assert [r["config"]["seed"] for r in table["results"]] == [0, 1]
    assert all(r["config"]["epochs"] == 20 for r in table["results"])
    assert table["command"] == "python scripts/reproduce.py " + " ".join(argv)  # nothing here needs shell quoting
    assert table["scale"] == "small with overrides {'epochs': 20}"
    assert table["threads"] == 1
    assert {"platform", "torch", "date_utc", "gpu"} <= set(table["machine"])
    assert describe_source(table).startswith("small with overrides {'epochs': 20} run, 2 seeds, ")
    assert not list(tmp_path.glob("*.tmp"))


def test_a_table_of_the_one_result_layout_reads_as_one_seed(tmp_path):
    (tmp_path / "old.json").write_text(json.dumps({"result": {"config": {"seed": 3}, "x": 1}}))
    table = committed("old", str(tmp_path))
    assert table["seeds"] == [3] and table["results"] == [{"config": {"seed": 3}, "x": 1}]
    assert committed("absent", str(tmp_path)) is None


def test_a_table_without_results_is_a_clear_error(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"experiment": "bad"}))
    with pytest.raises(ValueError, match=r"expected a table with 'results'.*got keys \['experiment'\]"):
        committed("bad", str(tmp_path))


def test_seed_summary():
    assert seed_summary([0.2]) == "0.200"
    assert seed_summary([0.2, 0.2]) == "0.200"
    assert seed_summary([3.0, 1.0, 2.0], "{:.1f}") == "2.0 (1.0 to 3.0)"
    assert seed_summary([44800, None, 51200], "{:,.0f}") == "2 of 3 runs: 48,000 (44,800 to 51,200)"
    assert seed_summary([None, None]) == "none of 2"


def test_a_tagged_run_writes_beside_the_main_table(tmp_path, reproduce):
    assert reproduce.main(["sunspots", "--scale", "small", "--set", "epochs=(20)", "--tag", "short",
                           "--out", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["sunspots-short.json"]
    table = committed("sunspots-short", str(tmp_path))
    assert table["tag"] == "short" and table["experiment"] == "sunspots" and table["seeds"] == [0]
    # the command is one a shell can run again: the parenthesised value comes back quoted
    assert table["command"].endswith("--set 'epochs=(20)' --tag short --out " + str(tmp_path))
