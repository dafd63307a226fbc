import os
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))  # so that tests import the shared helper as `twin`

# Under CI a skipped test is a failure: the components it needs must be installed by .ci/run.
_UNDER_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_CI_MAY_SKIP = ("cuda",)  # CI never has a GPU; the CUDA tests run on a lent GPU machine only


def pytest_collection_modifyitems(config, items):
    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="no CUDA device on this machine (torch.cuda.is_available() is False)")
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if _UNDER_CI and rep.skipped and not any(m in item.keywords for m in _CI_MAY_SKIP):
        rep.outcome = "failed"
        rep.longrepr = f"skipped under CI=true, which counts as a failure: {rep.longrepr}"


@pytest.fixture
def rng():
    return np.random.default_rng(0)
