"""``--scheduler`` sends the same per-submission work to a real Dask ``LocalCluster`` and grades the same."""

from __future__ import annotations

import json

import pytest

from autograder.__main__ import main

from grader_corpus import build_notebook

WRONG = {"ch02-ex2-solution": "import numpy as np\ndef rnn_forward(x, h0, Wx, Wh, b):\n"
                              "    return np.zeros((x.shape[0], x.shape[1], Wh.shape[0])), None\n"}


@pytest.mark.dask
@pytest.mark.slow
def test_dask_local_cluster_grades_like_the_local_pool(tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    files = [build_notebook({}, str(tmp_path / "alice.ipynb")), build_notebook(WRONG, str(tmp_path / "bob.ipynb"))]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert main(["grade", "02_rnn", *files, "--no-gradebook", "--scheduler", cluster.scheduler_address,
                     "--results", str(tmp_path / "dask")]) == 0
    assert main(["grade", "02_rnn", *files, "--no-gradebook", "--results", str(tmp_path / "local")]) == 0
    for who in ("alice", "bob"):
        d = json.loads((tmp_path / "dask" / f"{who}.json").read_text())
        loc = json.loads((tmp_path / "local" / f"{who}.json").read_text())
        assert [t["score"] for t in d["tests"]] == [t["score"] for t in loc["tests"]]
    assert d["score"] == 9.0
    assert json.loads((tmp_path / "dask" / "alice.json").read_text())["score"] == 12.0
