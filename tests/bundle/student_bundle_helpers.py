"""Helpers of tests/bundle: what must not be in the student's bundle, and a student's environment built from it.

The environment is a fresh ``python -m venv`` outside the repository; numpy, torch and ipykernel (the kernel
itself) reach it through a folder of links to exactly those distributions and what they require, named in a
``.pth`` file, and the checker is installed with pip from the bundle. Nothing else of the repository's venv
is visible there: :func:`assert_isolated` proves that autograder, rnnbook and nbgrader cannot be imported.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from importlib import metadata

import nbformat
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIN_LINE = 16  # shorter lines ("return out, cache") say nothing about an answer
GRADER = ("autograder", "rnnbook", "nbgrader")


def _sources(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    return nb, [c.source for c in nb.cells]


def released_lines(assignment: str) -> set[str]:
    """Stripped lines of nbgrader's release of an assignment (chapters/): the student has them anyway."""
    _, srcs = _sources(os.path.join(ROOT, "chapters", assignment, "exercises.ipynb"))
    return {ln.strip() for s in srcs for ln in s.splitlines()}


def solution_bodies() -> list[tuple[str, str, str]]:
    """(assignment, grade_id, body) of every ``### BEGIN SOLUTION`` … ``### END SOLUTION`` of solutions/."""
    out = []
    for a in sorted(os.listdir(os.path.join(ROOT, "solutions"))):
        path = os.path.join(ROOT, "solutions", a, "exercises.ipynb")
        if not os.path.exists(path):
            continue
        nb, _ = _sources(path)
        for c in nb.cells:
            for m in re.finditer(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", c.source, re.S):
                out.append((a, c.metadata.get("nbgrader", {}).get("grade_id", "?"), m.group(1)))
    return out


def reference_sources() -> list[tuple[str, str]]:
    """(name, source) of every function of autograder/reference and of rnnbook's functions that checks name."""
    from autograder.checks import all_checks
    seen, out = set(), []
    checks = all_checks().values()
    mods = sorted({c.reference for c in checks})
    objs = []
    for m in mods:
        mod = importlib.import_module(m)
        objs += [(f"{m}.{n}", o) for n, o in vars(mod).items() if inspect.isfunction(o) or inspect.isclass(o)]
    numpy_pkg = importlib.import_module("rnnbook.numpy")
    for c in checks:
        objs += [(f"rnnbook.numpy.{f}", getattr(numpy_pkg, f)) for f in c.functions if hasattr(numpy_pkg, f)]
    for name, o in objs:
        if not (getattr(o, "__module__", "") or "").startswith(("rnnbook", "autograder.reference")) or id(o) in seen:
            continue
        seen.add(id(o))
        out.append((name, inspect.getsource(o)))
    return out


UNPACKING = re.compile(r"^[\w, ]+ = [\w.]+$")  # "Wx, Wh, b = params", "N, T = x.shape": computes nothing


def telling_lines(source: str, known: set[str]) -> list[str]:
    """Lines of code long enough to give an answer away, that the released notebooks do not already show
    (comments and plain unpacking of arguments left out)."""
    return [ln.strip() for ln in source.splitlines()
            if len(ln.strip()) >= MIN_LINE and ln.strip() not in known and not ln.strip().startswith("#")
            and not UNPACKING.match(ln.strip())]


def bundle_texts(bundle: str) -> dict[str, str]:
    """Every file of the bundle as text (a notebook: its cells' sources, one after another)."""
    out = {}
    for d, _, files in os.walk(bundle):
        for f in files:
            path = os.path.join(d, f)
            if f.endswith(".ipynb"):
                out[path] = "\n".join(_sources(path)[1])
            else:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    out[path] = fh.read()
    return out


def shipped_arrays(bundle: str) -> dict[str, str]:
    """sha256 of every float array (4 elements or more) in the bundle's data -> where it is."""
    def walk(x, where, acc):
        if isinstance(x, dict) and "__array__" in x:
            import base64
            a = np.frombuffer(base64.b64decode(x["b64"]), dtype=np.dtype(x["__array__"]))
            if a.dtype.kind == "f" and a.size >= 4:
                acc[hashlib.sha256(a.astype(np.float64).tobytes()).hexdigest()] = where
        elif isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{where}/{k}", acc)
        elif isinstance(x, list):
            for k, v in enumerate(x):
                walk(v, f"{where}[{k}]", acc)
    acc = {}
    data = os.path.join(bundle, "rnncheck", "data")
    for f in sorted(os.listdir(data)):
        with open(os.path.join(data, f)) as fh:
            walk(json.load(fh), f, acc)
    return acc


def arrays_of(x):
    if isinstance(x, np.ndarray):
        yield x
    elif isinstance(x, (tuple, list)):
        for v in x:
            yield from arrays_of(v)


# ---------------------------------------------------------------------------------------- the student's venv
def _closure(roots) -> list[metadata.Distribution]:
    from packaging.requirements import Requirement
    todo, seen, out = list(roots), set(), []
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:  # a requirement this platform does without (torch's CUDA libraries)
            continue
        out.append(dist)
        for r in dist.requires or []:
            req = Requirement(r)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return out


def link_farm(dest: str, roots=("numpy", "torch", "ipykernel", "setuptools", "pytest", "nbval")) -> list[str]:
    """A folder of links to the top-level files of ``roots`` and their requirements (this venv's copies)."""
    os.makedirs(dest, exist_ok=True)
    names = []
    for dist in _closure(roots):
        if re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower() in GRADER:
            raise AssertionError(f"{dist.metadata['Name']} is required by the student's packages")
        base = str(dist.locate_file(""))
        for f in dist.files or []:
            top = f.parts[0]
            if top in ("..", "__pycache__") or top.endswith(".pth") or top.startswith("__editable__"):
                continue
            if top.split(".")[0] in GRADER:
                continue
            link = os.path.join(dest, top)
            if not os.path.lexists(link) and os.path.exists(os.path.join(base, top)):
                os.symlink(os.path.join(base, top), link)
                names.append(top)
    return names


def link_data_files(venv: str, roots) -> list[str]:
    """What pip puts beside the packages of ``roots`` (and their requirements) under the prefix, ``etc/`` and
    ``share/`` (Jupyter's server-extension switches and lab assets), linked into ``venv`` at the same place, as a
    ``pip install`` there would have put them; scripts (``bin/``) are not: their shebangs name this venv."""
    made = []
    for dist in _closure(roots):
        for f in dist.files or []:
            if f.parts[0] != "..":
                continue
            src = os.path.normpath(str(dist.locate_file(f)))
            rel = os.path.relpath(src, sys.prefix)
            if rel.startswith("..") or rel.split(os.sep)[0] not in ("etc", "share") or not os.path.exists(src):
                continue
            dest = os.path.join(venv, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if not os.path.lexists(dest):
                os.symlink(src, dest)
                made.append(rel)
    return made


def student_python(venv: str) -> str:
    return os.path.join(venv, "bin", "python")


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER", "CONDA"))}
    env.update(extra)
    return env


def make_student_venv(venv: str, bundle: str, roots: tuple[str, ...] | None = None) -> str:
    """``python -m venv`` + the link farm (of ``roots``, default :func:`link_farm`'s) + ``pip install <bundle>``
    (offline). Returns the venv's python."""
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, env=clean_env())
    py = student_python(venv)
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], check=True,
                          capture_output=True, text=True, env=clean_env()).stdout.strip()
    farm = os.path.join(venv, "student-packages")
    link_farm(farm, *([roots] if roots else []))
    if roots:
        link_data_files(venv, roots)
    with open(os.path.join(site, "student_packages.pth"), "w") as f:
        f.write(farm + "\n")
    # the venv's own setuptools 65 would need `wheel`; the farm's (the repository's) builds on its own
    subprocess.run([py, "-m", "pip", "uninstall", "-q", "-y", "setuptools"], check=True, env=clean_env(),
                   capture_output=True)
    r = subprocess.run([py, "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation",
                        "--disable-pip-version-check", bundle], env=clean_env(), capture_output=True, text=True,
                       cwd=venv)
    assert r.returncode == 0, r.stdout + r.stderr
    return py


def assert_isolated(py: str, cwd: str) -> None:
    """The student's python imports rnncheck, numpy and torch, and none of the grader's packages."""
    code = ("import importlib.util as u, rnncheck, numpy, torch; "
            f"print([m for m in {GRADER!r} if u.find_spec(m) is not None]); print(rnncheck.__file__)")
    r = subprocess.run([py, "-c", code], cwd=cwd, env=clean_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    found, where = r.stdout.splitlines()[:2]
    assert found == "[]", f"the student's environment can import {found}"
    assert not where.startswith(ROOT), where


def kernelspec(jupyter_dir: str, py: str, name: str = "student") -> str:
    d = os.path.join(jupyter_dir, "kernels", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "kernel.json"), "w") as f:
        json.dump({"argv": [py, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": name,
                   "language": "python"}, f)
    return name


ISOLATION_CELL = ("import importlib.util\n"
                  f"print('grader importable:', [m for m in {GRADER!r} if importlib.util.find_spec(m)])")


def filled(bundle_nb: str, assignment: str, wrong: dict | None = None) -> nbformat.NotebookNode:
    """The bundle's notebook with the instructor's solution cells (by grade_id) in place of the stubs, and a
    last cell that reports which grader packages the kernel can import. ``wrong`` maps a grade_id to a
    source used instead of the solution, or to a function of the solution's source that returns it."""
    sol, _ = _sources(os.path.join(ROOT, "solutions", assignment, "exercises.ipynb"))
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in sol.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(bundle_nb, as_version=4)
    n = 0
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if c.metadata.get("nbgrader", {}).get("solution") and gid in answers:
            w = (wrong or {}).get(gid, answers[gid])
            c.source = w(answers[gid]) if callable(w) else w
            n += 1
    assert n == len(answers), f"{assignment}: filled {n} of {len(answers)} solution cells"
    nb.cells.append(nbformat.v4.new_code_cell(ISOLATION_CELL))
    return nb


def execute(paths: list[str], kernel: str, jupyter_dir: str, timeout: int = 600) -> None:
    """``jupyter nbconvert --execute --inplace`` in the student's kernel, errors kept in the outputs."""
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    r = subprocess.run([jupyter, "nbconvert", "--to", "notebook", "--execute", "--inplace",
                        f"--ExecutePreprocessor.kernel_name={kernel}", "--ExecutePreprocessor.allow_errors=True",
                        f"--ExecutePreprocessor.timeout={timeout}", *paths],
                       env=clean_env(JUPYTER_PATH=jupyter_dir, PATH=os.environ.get("PATH", "")),
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]


def outputs(nb_path: str) -> tuple[list[str], list[str]]:
    """(stdout lines, error names) of an executed notebook."""
    nb = nbformat.read(nb_path, as_version=4)
    lines, errors = [], []
    for c in nb.cells:
        for o in c.get("outputs", []):
            if o.output_type == "stream":
                lines += o.text.splitlines()
            elif o.output_type == "error":
                errors.append(f"{o.ename}: {o.evalue}")
    return lines, errors
