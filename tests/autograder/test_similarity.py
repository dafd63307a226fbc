"""``autograder similarity`` finds the pair that copied (renamed and padded), and no honest pair."""

from __future__ import annotations

import subprocess
import sys
import time

from grader_corpus import SOLUTION, build_notebook
from autograder.engine import find_submissions
from autograder.similarity import similar_pairs
from autograder.template import Template

BOB = '''import numpy as np
def sample_chars(h0, c0, Wx, Wh, b, Wy, by, temperature, u):
    N, T = u.shape
    chars = np.zeros((N, T), dtype=np.int64)
    h, c = h0.copy(), c0.copy()
    for t in range(T):
        h = np.tanh(Wx[c] + h @ Wh + b)
        p = softmax_temperature(h @ Wy + by, temperature)
        for n in range(N):
            c[n] = min(int(np.searchsorted(np.cumsum(p[n]), u[n, t], side="right")), p.shape[1] - 1)
        chars[:, t] = c
    return chars
'''
# carol: bob's function, every name changed, a no-op line after each statement, comments added
CAROL = '''import numpy as np
def sample_chars(state0, char0, A, B, bias, Out, bout, tau, noise):
    rows, steps = noise.shape
    pass
    result = np.zeros((rows, steps), dtype=np.int64)  # my buffer
    pass
    s, k = state0.copy(), char0.copy()
    for step in range(steps):
        s = np.tanh(A[k] + s @ B + bias)
        pass
        probs = softmax_temperature(s @ Out + bout, tau)
        for r in range(rows):
            k[r] = min(int(np.searchsorted(np.cumsum(probs[r]), noise[r, step], side="right")), probs.shape[1] - 1)
            pass
        result[:, step] = k
    return result
'''
DAVE = '''import numpy as np
def sample_chars(h0, c0, Wx, Wh, b, Wy, by, temperature, u):
    out = []
    h, c = h0, c0
    for t in range(u.shape[1]):
        h = np.tanh(np.eye(Wx.shape[0])[c] @ Wx + h @ Wh + b)
        cdf = np.cumsum(softmax_temperature(h @ Wy + by, temperature), axis=1)
        c = np.minimum((cdf <= u[:, t:t + 1]).sum(axis=1), cdf.shape[1] - 1)
        out.append(c)
    return np.stack(out, axis=1)
'''


def test_the_copied_pair_is_found_and_no_other(tmp_path):
    for who, src in (("alice", None), ("bob", BOB), ("carol", CAROL), ("dave", DAVE), ("erin", None)):
        d = tmp_path / "submitted" / who / "02_rnn"
        d.mkdir(parents=True)
        build_notebook({} if src is None else {"ch02-ex4-solution": src}, str(d / "exercises.ipynb"))
    subs = find_submissions([str(tmp_path / "submitted")], "02_rnn")
    t0 = time.monotonic()
    pairs, problems = similar_pairs(Template.load(SOLUTION), subs)
    assert time.monotonic() - t0 < 10 and problems == []
    found = {(p.a, p.b): dict(p.functions) for p in pairs}
    assert ("bob", "carol") in found and "sample_chars" in found[("bob", "carol")]
    assert ("bob", "dave") not in found and ("carol", "dave") not in found
    out = subprocess.run([sys.executable, "-m", "autograder", "similarity", "02_rnn", str(tmp_path / "submitted")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "bob  carol  sample_chars" in out.stdout, out.stdout + out.stderr


def _with_block(block: str) -> str:
    """The instructor's sample_chars (what most of the class hands in) with ``block`` before its return."""
    import nbformat
    src = next(c.source for c in nbformat.read(SOLUTION, as_version=4).cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == "ch02-ex4-solution")
    body = "".join(ln for ln in src.splitlines(keepends=True) if "### BEGIN SOLUTION" not in ln
                   and "### END SOLUTION" not in ln)
    return "import numpy as np\n" + body.replace("    return chars", block + "    return chars")


# what frank wrote around the common solution, and gina copied (renamed): most of the function is boilerplate
FRANK = ("    if chars.min() < 0 or chars.max() >= V:\n        raise ValueError(f'bad sample {chars.min()}')\n"
         "    counts = np.bincount(chars.ravel(), minlength=V)\n    assert counts.sum() == N * T, counts\n")
GINA = ("    if chars.min() < 0 or chars.max() >= V:\n        raise ValueError(f'out of range {chars.min()}')\n"
        "    tally = np.bincount(chars.ravel(), minlength=V)\n    assert tally.sum() == N * T, tally\n")


def test_a_copy_is_judged_on_what_is_not_boilerplate(tmp_path):
    """Boilerplate (the code most of the class shares) counts on neither side: frank's and gina's shared
    block is found though most of their function is the common solution, and two students who each add one
    short statement that happens to match are not a pair (fewer than min_shared fingerprints)."""
    srcs = {"frank": _with_block(FRANK), "gina": _with_block(GINA),
            "hal": _with_block("    assert chars.shape == u.shape\n"),
            "ivy": _with_block("    assert chars.shape == u.shape\n"),
            **{f"s{k}": None for k in range(6)}}
    for who, src in srcs.items():
        d = tmp_path / "submitted" / who / "02_rnn"
        d.mkdir(parents=True)
        build_notebook({} if src is None else {"ch02-ex4-solution": src}, str(d / "exercises.ipynb"))
    pairs, problems = similar_pairs(Template.load(SOLUTION), find_submissions([str(tmp_path / "submitted")], "02_rnn"))
    assert problems == [] and [(p.a, p.b) for p in pairs] == [("frank", "gina")], pairs
