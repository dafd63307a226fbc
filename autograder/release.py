"""``autograder release ASSIGNMENT... [--out DIR]``: what a student receives, with nothing of the grader in it.

The bundle is one folder::

    DIR/pyproject.toml            the checker, installable with ``pip install DIR`` (numpy; torch if a chapter needs it)
    DIR/rnncheck/                 the checker package: run_check, how each check calls the student's code
    DIR/rnncheck/data/chNN.json   each visible case: inputs, precomputed data, expected outputs
    DIR/<assignment>/exercises.ipynb   nbgrader's release (chapters/), importing rnncheck instead of autograder
    DIR/README.md

Design (the simplest that holds): the student's kernel never runs a reference. For each visible case this
release process draws the inputs (public seed), runs the grader's own check (``check.run``) with the reference
namespace and ships the outputs as the expected values. How a check calls the student's functions lives in
``rnncheck/runs.py``, a copy of the ``run`` functions of ``autograder/checks`` with every reference-like helper
replaced by data computed here: backward checks get their cache (``lstm_cache``, ``gru_cache``, ...) as
arrays, gradient checks compare with centred differences computed here, and callbacks that a correct solution
calls at points fixed in advance are tables of those points (ch01's two-layer loss under
``numerical_gradient``: f at x and x ± h e_i; ch04's ``loss_and_grads`` along the reference's trajectory).
Two callbacks ship as code: ch07's char-RNN ``loss_and_grads`` and ``evaluate``, which the exercise gives the
student as the model to train (the loop's parameters are the student's, so no table can hold them): the
grader's copy has chapter 3's BPTT written out, so ``rnncheck/_ch07.py`` computes the same loss with PyTorch's
autograd instead (checked here to agree to rtol 1e-9), and ships only when chapter 7 is released; and ch10's
scan, which composes with the student's own ``combine`` (never with an exact one, exercise 1's answer).
The comparison (``compare.py``) and the PyTorch harness (``_torch.py``) are copied from the grader. No hidden
case is drawn: the release never reads the course secret.

Before writing a chapter's data, every visible case is run once more through ``rnncheck``'s run with the
reference and must agree with the grader's check (rtol 1e-12), so a drift between the two is an error here,
never a wrong verdict in a student's notebook.
"""

from __future__ import annotations

import base64
import copy
import importlib
import importlib.util
import inspect
import itertools
import json
import os
import shutil

import numpy as np

from .checks import ASSIGNMENTS, CHAPTER_OF_ASSIGNMENT, chapter_checks
from .compare import compare, to_plain
from .namespace import LocalNamespace
from .spec import PUBLIC_SEED, case_rng

__all__ = ["release", "encode", "DEFAULT_OUT"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join("build", "student")
IMPORT_LINE = "from autograder.notebook import run_check"
H_GRADCHECK = 1e-6  # the step of the grader's gradcheck_flags
_counter = itertools.count()


def encode(obj):
    """Arrays, scalars, tuples, lists, dicts, strings and None as a JSON tree (arrays bit-exact, base64)."""
    if isinstance(obj, np.ndarray):
        a = obj  # (np.ascontiguousarray would make a 0-d array 1-d)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"cannot ship an array of dtype {a.dtype}")
        return {"__array__": a.dtype.str, "shape": list(a.shape), "b64": base64.b64encode(a.tobytes(order="C")).decode()}
    if isinstance(obj, np.generic):
        return dict(encode(np.asarray(obj)), scalar=True)
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v) for v in obj]}
    if isinstance(obj, list):
        return [encode(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot ship a {type(obj).__name__}")


# ---------------------------------------------------------------------------- what each case ships besides its inputs
def _numeric(loss, arrays):
    """Centred differences (step H_GRADCHECK) of ``loss(*arrays)`` w.r.t. each array, as the grader's gradcheck."""
    from .checks._helpers import numerical_gradient
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    return [numerical_gradient(lambda: loss(*arrays), x, H_GRADCHECK) for x in arrays]


def _backward_extra(cache_of, loss_of, arrays_of):
    """extra for a backward check: the documented cache, and centred differences in a gradient-check case."""
    def extra(inp, _ns):
        out = {"cache": cache_of(*inp[1:])}
        if inp[0] != "compare":
            out["numeric"] = _numeric(loss_of(inp), arrays_of(inp))
        return out
    return extra


def _extras():
    from .checks import ch03, ch05, ch06, ch07, ch08, ch09

    def sum_of(f, dout):
        return lambda *a: float(np.sum(f(*a) * dout))

    return {
        "ch01_affine_backward": _backward_extra(lambda x, w, b, dout: (x, w, b),
                                                lambda i: sum_of(lambda x, w, b: x @ w + b, i[4]), lambda i: i[1:4]),
        "ch01_tanh_backward": _backward_extra(lambda x, dout: np.tanh(x), lambda i: sum_of(np.tanh, i[2]),
                                              lambda i: i[1:2]),
        "ch03_rnn_step_backward": _backward_extra(
            lambda x, prev_h, Wx, Wh, b, d: (x, prev_h, Wx, Wh, np.tanh(x @ Wx + prev_h @ Wh + b)),
            lambda i: sum_of(lambda x, p, Wx, Wh, b: np.tanh(x @ Wx + p @ Wh + b), i[6]), lambda i: i[1:6]),
        "ch03_rnn_backward": _backward_extra(
            lambda x, h0, Wx, Wh, b, d: (x, h0, Wx, Wh, ch03.rnn_states(x, h0, Wx, Wh, b)),
            lambda i: sum_of(ch03.rnn_states, i[6]), lambda i: i[1:6]),
        "ch03_rnn_backward_truncated": _backward_extra(
            lambda x, h0, Wx, Wh, b, d, k: (x, h0, Wx, Wh, ch03.rnn_states(x, h0, Wx, Wh, b)), None, None),
        "ch05_lstm_step_backward": _backward_extra(
            lambda x, ph, pc, Wx, Wh, b, dh, dc: ch05.lstm_cache(x, ph, pc, Wx, Wh, b)[2],
            lambda i: lambda *a: float(np.sum(ch05.lstm_cache(*a)[0] * i[7]) + np.sum(ch05.lstm_cache(*a)[1] * i[8])),
            lambda i: i[1:7]),
        "ch06_gru_step_backward": _backward_extra(
            lambda x, ph, Wx, Wh, bx, bh, d: ch06.gru_cache(x, ph, Wx, Wh, bx, bh)[1],
            lambda i: sum_of(lambda *a: ch06.gru_cache(*a)[0], i[7]), lambda i: i[1:7]),
        "ch08_additive_attention_backward": _backward_extra(
            lambda q, k, Wq, Wk, b, v, d: ch08.additive_cache(q, k, Wq, Wk, b, v)[2],
            lambda i: sum_of(lambda *a: ch08.additive_cache(*a)[0], i[7]), lambda i: i[1:7]),
        "ch07_train_char_model": lambda inp, _ns: {"budget": ch07.BUDGET, "seq_len": ch07.SEQ_LEN,
                                                   "batch": ch07.BATCH, "target": ch07.TARGET},
        "ch09_layer_norm_backward": _backward_extra(
            lambda x, g, b, eps, d: ch09.layer_norm_cache(x, g, b, eps)[1],
            lambda i: sum_of(lambda x, g, b: ch09.layer_norm_cache(x, g, b, i[4])[0], i[5]), lambda i: i[1:4]),
    }


class _Recording(LocalNamespace):
    """The reference namespace, with the callback a check passes recorded at every point where it is called."""

    def __init__(self, functions, ref, which):
        super().__init__(ref, functions)
        self.points, self.values = [], []
        fn = ref[which]
        if which == "numerical_gradient":
            def wrapped(f, x, h):
                def g():
                    v = f()
                    self.points.append(np.array(x, copy=True))
                    self.values.append(float(v))
                    return v
                out = fn(g, x, h)
                g()  # f at x itself (restored): a solution may read it
                return out
        else:  # train_long_lag(loss_and_grads, params, ...)
            def wrapped(f, params, *rest):
                def g(p):
                    loss, grads = f(p)
                    self.points.append([np.array(a, copy=True) for a in p])
                    self.values.append((float(loss), [np.array(a, copy=True) for a in grads]))
                    return loss, grads
                return fn(g, params, *rest)
        self.ns[which] = wrapped


RECORDED = {"ch01_numerical_gradient": "numerical_gradient", "ch04_train_long_lag": "train_long_lag"}
ALSO = {"ch10_linear_recurrence_scan": ["combine"]}  # names a run takes from the notebook besides check.functions


def _reference(check, names):
    mod = importlib.import_module(check.reference)
    return {f: getattr(mod, f) for f in names}


def _quiet(fn, *args):
    import warnings
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


def _agree_ch07(runs, inputs):
    """rnncheck's autograd char RNN gives the grader's loss, gradients and evaluation (rtol 1e-9)."""
    from .checks import ch07
    mine = importlib.import_module(runs.__name__.rsplit(".", 1)[0] + "._ch07")
    data, params, _ = inputs
    L, B = ch07.SEQ_LEN, ch07.BATCH
    rows = data[np.arange(B)[:, None] * 7 + np.arange(L + 1)[None]]  # (B, L + 1)
    want = ch07.char_rnn_loss_and_grads(list(params), rows[:, :-1], rows[:, 1:])
    got = mine.loss_and_grads(list(params), rows[:, :-1], rows[:, 1:])
    pairs = [(want[0], got[0]), *zip(want[1], got[1]), (ch07.evaluate(params, data), mine.evaluate(params, data, L))]
    v = compare(tuple(np.asarray(w) for w, _ in pairs), tuple(np.asarray(g) for _, g in pairs), rtol=1e-9, atol=1e-12)
    if not v.passed:
        raise RuntimeError(f"rnncheck/_ch07.py disagrees with the grader's char RNN ({v.message})")


def chapter_data(chapter: str, runs) -> dict:
    """The visible cases of a chapter's checks, as shipped: inputs, extra, expected outputs (encoded)."""
    extras = _extras()
    out = {}
    for check in chapter_checks(chapter):
        if check.id not in runs.RUNS:
            raise ValueError(f"{check.id}: rnncheck/runs.py has no run for this check; add one before releasing")
        also = ALSO.get(check.id, [])
        ref = _reference(check, list(check.functions) + also)
        cases = []
        for case in check.cases:
            if not case.visible:
                continue
            inputs = case.inputs(case_rng(PUBLIC_SEED, check.id, case.name))
            if check.id in RECORDED:
                ns = _Recording(check.functions, ref, RECORDED[check.id])
                expected = to_plain(_quiet(check.run, ns, copy.deepcopy(inputs)))
                extra = {"points": ns.points, "values": ns.values}
            else:
                expected = to_plain(_quiet(check.run, LocalNamespace(ref, check.functions), copy.deepcopy(inputs)))
                hook = extras.get(check.id)
                extra = hook(copy.deepcopy(inputs), ref) if hook else {}
            if check.id == "ch07_train_char_model":
                _agree_ch07(runs, inputs)
            # rnncheck's run, with the reference and the data as shipped, must give the grader's outputs
            shipped = json.loads(json.dumps(encode(extra)))
            again = to_plain(_quiet(runs.RUNS[check.id], runs.Namespace(ref, list(check.functions) + also),
                                    copy.deepcopy(inputs), runs.decode(shipped)))
            shipped_expected = json.loads(json.dumps(encode(list(expected))))
            v = compare(tuple(runs.decode(shipped_expected)), again, rtol=1e-12, atol=1e-14)
            if not v.passed:
                raise RuntimeError(f"{check.id} [{case.name}]: rnncheck's run disagrees with the grader's check with "
                                   f"the reference ({v.message}); fix rnncheck/runs.py")
            cases.append({"name": case.name, "points": case.points, "inputs": encode(inputs), "extra": shipped,
                          "expected": shipped_expected,
                          "literal": None if case.expected is None else encode(list(case.expected))})
        out[check.id] = {"functions": list(check.functions), "also": also, "outputs": list(check.outputs),
                         "rtol": check.rtol, "atol": check.atol, "description": check.description, "cases": cases}
    return out


# ---------------------------------------------------------------------------- the package, the notebooks
def _generated_sources() -> dict[str, str]:
    from . import driver
    torch_src = ('"""The PyTorch harness of the course\'s grader (autograder/driver.py), copied by autograder '
                 'release."""\n\nimport numpy as np\n\n\n' + inspect.getsource(driver.torch_module_grads))
    with open(os.path.join(ROOT, "autograder", "compare.py"), encoding="utf-8") as f:
        compare_src = f.read()
    return {"_torch.py": torch_src, "compare.py": compare_src}


def _write_package(out: str, given: bool):
    """Copy rnncheck/ (ch07's model only when chapter 7 is released) and the grader's comparison and harness."""
    pkg = os.path.join(out, "rnncheck")
    if os.path.exists(pkg):
        shutil.rmtree(pkg)
    os.makedirs(os.path.join(pkg, "data"))
    src = os.path.join(ROOT, "rnncheck")
    for name in sorted(os.listdir(src)):
        if name.endswith(".py") and (given or name != "_ch07.py"):
            shutil.copyfile(os.path.join(src, name), os.path.join(pkg, name))
    for name, text in _generated_sources().items():
        with open(os.path.join(pkg, name), "w", encoding="utf-8") as f:
            f.write(text)
    name = f"_rnncheck_release_{os.getpid()}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, os.path.join(pkg, "__init__.py"),
                                                  submodule_search_locations=[pkg])
    mod = importlib.util.module_from_spec(spec)
    import sys
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    runs = importlib.import_module(f"{name}.runs")
    runs.decode = importlib.import_module(f"{name}._util").decode
    return pkg, runs


def student_notebook(assignment: str):
    """nbgrader's release of ``assignment`` (chapters/) with its import cell rewritten to rnncheck."""
    import nbformat
    from nbgrader.utils import compute_checksum

    path = os.path.join(ROOT, "chapters", assignment, "exercises.ipynb")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no student notebook; run `make exercises` (nbgrader's release) first")
    nb = nbformat.read(path, as_version=4)
    rewritten = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if IMPORT_LINE in cell.source:
            cell.source = cell.source.replace(IMPORT_LINE, "from rnncheck import run_check")
            rewritten += 1
            meta = cell.metadata.get("nbgrader")
            if meta and "checksum" in meta:
                meta["checksum"] = compute_checksum(cell)
        if "autograder" in cell.source or "rnnbook" in cell.source:
            raise ValueError(f"{path}: a code cell still uses the grader: {cell.source[:80]!r}")
        cell.outputs, cell.execution_count = [], None
    if rewritten != 1:
        raise ValueError(f"{path}: expected one cell with {IMPORT_LINE!r}, found {rewritten}")
    return nb


def _needs_torch(nb) -> bool:
    return any(c.cell_type == "code" and ("import torch" in c.source or "torch." in c.source) for c in nb.cells)


README = """# The exercises of "Neural networks that remember", for students

    python -m venv .venv && . .venv/bin/activate
    pip install .            # the checker `rnncheck` (numpy{torch})
    pip install jupyterlab   # or any Jupyter front end
    jupyter lab

Open `<chapter>/exercises.ipynb`, write your code where it says `# YOUR CODE HERE`, and run the test cell
below each exercise: a line per visible case, ✓ or ✗ with what differs. The course's grader also runs
hidden cases, and grades the copy you submit.

Chapters in this bundle: {chapters}.
"""


def release(assignments: list[str], out: str = DEFAULT_OUT, zip_path: str | None = None) -> list[str]:
    """Write the student's bundle of ``assignments`` (names or ch05-style ids) into ``out``; return its files."""
    import nbformat

    names = []
    for a in assignments:
        name = ASSIGNMENTS.get(a, a)
        if name not in CHAPTER_OF_ASSIGNMENT:
            raise ValueError(f"assignment: expected one of {sorted(CHAPTER_OF_ASSIGNMENT)} or {sorted(ASSIGNMENTS)}, "
                             f"got {a!r}")
        if name not in names:
            names.append(name)
    if not names:
        raise ValueError("release: name at least one assignment (e.g. 02_rnn or ch02)")
    notebooks = {n: student_notebook(n) for n in names}
    os.makedirs(out, exist_ok=True)
    pkg, runs = _write_package(out, given="07_applications" in names)
    for n in names:
        ch = CHAPTER_OF_ASSIGNMENT[n]
        with open(os.path.join(pkg, "data", f"{ch}.json"), "w", encoding="utf-8") as f:
            json.dump({"chapter": ch, "assignment": n, "checks": chapter_data(ch, runs)}, f, separators=(",", ":"))
        os.makedirs(os.path.join(out, n), exist_ok=True)
        nbformat.write(notebooks[n], os.path.join(out, n, "exercises.ipynb"))
    for d, _, _ in list(os.walk(pkg)):  # the bytecode of the consistency run above is not the student's
        if os.path.basename(d) == "__pycache__":
            shutil.rmtree(d)
    torch = any(_needs_torch(nb) for nb in notebooks.values())
    try:
        from importlib.metadata import version
        ver = version("rnnbook")
    except Exception:  # noqa: BLE001 - not installed: the source tree's version
        ver = "0.1.0"
    deps = ['"numpy>=1.26,<3"'] + (['"torch>=2.2,<3"'] if torch else [])
    with open(os.path.join(out, "pyproject.toml"), "w", encoding="utf-8") as f:
        f.write('[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n\n'
                f'[project]\nname = "rnncheck"\nversion = "{ver}"\n'
                'description = "Visible checks of the exercises of an open course on RNNs, for the student\'s kernel"\n'
                f'requires-python = ">=3.10"\ndependencies = [{", ".join(deps)}]\n\n'
                '[tool.setuptools]\npackages = ["rnncheck"]\n\n[tool.setuptools.package-data]\n'
                'rnncheck = ["data/*.json"]\n')
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(README.format(torch=" and torch" if torch else "", chapters=", ".join(names)))
    files = sorted(os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out) for f in fs
                   if "__pycache__" not in d)
    if zip_path:
        base = zip_path[:-4] if zip_path.endswith(".zip") else zip_path
        os.makedirs(os.path.dirname(os.path.abspath(base)), exist_ok=True)
        shutil.make_archive(base, "zip", root_dir=os.path.dirname(os.path.abspath(out)),
                            base_dir=os.path.basename(os.path.abspath(out)))
    return files
