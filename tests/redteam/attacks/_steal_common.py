# Included (by "# include:") at the top of the first solution cell of the steal_* attacks: load a notebook found
# somewhere, run its non-test code cells, and answer every exercise with what it defines. Nothing here names a
# forbidden module, so the static scan has nothing to find; only the sandbox's view of the disk can stop it.
import glob, json, os, sys, time
import numpy as np


def _load(path):
    with open(path) as f:
        nb = json.load(f)
    ns = {"np": np, "numpy": np, "torch": sys.modules.get("torch"), "math": sys.modules.get("math")}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or meta.get("grade"):
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        try:
            exec(src, ns)
        except Exception:
            pass
    z = np.zeros
    ns["lstm_step_forward"](z((1, 1)), z((1, 1)), z((1, 1)), z((1, 4)), z((1, 4)), z(4))  # a solution, not the blank
    return ns


_stolen = {}


def _get(name):
    if "ns" not in _stolen:
        tried = []
        for p in _candidates():
            tried.append(p)
            try:
                _stolen["ns"] = _load(p)
                _stolen["from"] = p
                break
            except Exception:
                continue
        else:
            raise RuntimeError(f"nothing to copy among {len(tried)} candidates")
    return _stolen["ns"][name]


def lstm_step_forward(*a):
    return _get("lstm_step_forward")(*a)


def lstm_step_backward(*a):
    return _get("lstm_step_backward")(*a)


def lstm_forward(*a):
    return _get("lstm_forward")(*a)


def LSTMCell(*a, **k):
    return _get("LSTMCell")(*a, **k)
