"""Chapter 7's committed regularisation table (results/charlm_regularization.json) and the script that writes it."""

import json
import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = os.path.join(ROOT, "results", "charlm_regularization.json")
VARIANTS = ("baseline", "dropout", "tied", "dropout+tied")


@pytest.fixture(scope="module")
def table():
    if not os.path.exists(PATH):
        pytest.skip("results/charlm_regularization.json not produced yet")
    with open(PATH) as fh:
        return json.load(fh)


def test_the_table_says_how_when_and_where_it_was_made(table):
    assert table["command"].startswith("python scripts/charlm_regularization.py")
    assert table["machine"]["date_utc"].endswith("UTC") and table["machine"]["torch"]
    assert table["threads"] == 1 and len(table["seeds"]) == len(table["results"]) >= 2


def test_every_seed_has_every_variant_at_equal_settings(table):
    for r in table["results"]:
        assert set(VARIANTS) <= set(r)
        steps = {tuple(r[v]["steps"]) for v in VARIANTS}
        assert len(steps) == 1 and steps.pop()[-1] == table["config"]["steps"]
        # tying removes exactly the read-out's V x H matrix; dropout adds no parameter
        V, H = r["vocab_size"], table["config"]["hidden"]
        assert r["dropout"]["n_params"] == r["baseline"]["n_params"]
        assert r["baseline"]["n_params"] - r["tied"]["n_params"] == V * H == r["dropout"]["n_params"] - r["dropout+tied"]["n_params"]
        for v in VARIANTS:
            assert r[v]["perplexity"] == pytest.approx(2 ** r[v]["final_val_bpc"])
            assert 0 < r[v]["final_train_bpc"] < r[v]["val_bpc"][0] and r[v]["final_val_bpc"] < math.log2(V)
    assert table["variants"]["dropout"]["p"] == table["config"]["p"] > 0 and table["variants"]["baseline"]["p"] == 0


def test_the_script_runs_and_refuses_unknown_settings(tmp_path):
    out = tmp_path / "t.json"
    env = dict(os.environ, PYTHONPATH=ROOT)
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "charlm_regularization.py"), "--scale", "small", "--seeds", "0",
           "--set", "steps=4", "--set", "eval_every=2", "--out", str(out)]
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=300)
    t = json.loads(out.read_text())
    assert t["results"][0]["baseline"]["steps"] == [2, 4] and t["scale"].startswith("small with overrides")
    bad = subprocess.run(cmd[:-2] + ["--set", "nope=1"], env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "unknown keys ['nope']" in bad.stderr
