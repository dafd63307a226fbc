"""Grade submissions of one assignment: plan the cases, run each submission sandboxed, compare, score.

The grader's process draws every case's inputs (visible ones from the public seed, hidden ones from the
course secret), computes the reference's outputs once per case, and sends each sandboxed submission only
the inputs. Outputs come back as plain arrays and are compared here with :func:`autograder.compare.compare`.
Work runs on a pool of fork-servers (one per core, driven by threads) or, with ``scheduler``, on a Dask
cluster (see :func:`run_remote`). A check's score is its test cell's points times the share of its
cases' points that passed; a forbidden API or a copy of the reference is reported per check.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import os
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .checks import chapter_checks, ASSIGNMENTS, CHAPTER_OF_ASSIGNMENT
from .compare import NotPlainData, compare, to_plain
from .copydetect import find_copies
from .forbidden import forbidden_uses
from .notebook import DEFAULT_SECRET, reference_namespace
from .sandbox import ForkServer, Limits, SandboxRun
from .spec import PUBLIC_SEED, case_rng
from .template import SubmissionError, Template, extract

__all__ = ["Submission", "CheckResult", "Result", "Plan", "grade", "run_remote", "close_servers", "course_secret", "secret_configured", "secret_file",
           "find_submissions"]


SECRET_FILE = ".autograder_secret"  # in the course's working directory; keep it out of version control, mode 600


def secret_file() -> str:
    """Where the instructor's secret file is looked for: ``AUTOGRADER_SECRET_FILE``, else ``./.autograder_secret``."""
    return os.path.abspath(os.environ.get("AUTOGRADER_SECRET_FILE") or SECRET_FILE)


def course_secret() -> str:
    """The course secret that hidden cases are drawn from, from the instructor's configuration:
    ``AUTOGRADER_SECRET`` in the environment, else the first line of :func:`secret_file`, else the notebooks'
    public default (then :func:`secret_configured` is False, and ``autograder grade`` warns: with the public
    default a student can compute the hidden cases' inputs in advance)."""
    if os.environ.get("AUTOGRADER_SECRET"):
        return os.environ["AUTOGRADER_SECRET"]
    path = secret_file()
    if os.path.exists(path):
        with open(path) as f:
            secret = f.readline().strip()
        if not secret:
            raise ValueError(f"{path}: expected the course secret on its first line, got an empty line")
        return secret
    return DEFAULT_SECRET


def secret_configured() -> bool:
    """Whether the instructor set a secret (environment or secret file) rather than the public default."""
    return course_secret() != DEFAULT_SECRET


@dataclass(frozen=True)
class Submission:
    student: str
    path: str


@dataclass
class CheckResult:
    id: str
    score: float
    max_score: float
    lines: list[str] = field(default_factory=list)
    visible_only: bool = False


@dataclass
class Result:
    student: str
    assignment: str
    path: str
    sha256: str = ""
    error: str | None = None
    checks: list[CheckResult] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    isolation: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return float(sum(c.score for c in self.checks))

    @property
    def max_score(self) -> float:
        return float(sum(c.max_score for c in self.checks))


def find_submissions(paths: list[str], assignment: str) -> list[Submission]:
    """Notebook files (the student is the file's stem) or nbgrader's ``submitted/<student>/<assignment>/``."""
    subs = []
    for p in paths:
        if os.path.isdir(p):
            direct = os.path.join(p, assignment)
            if os.path.isdir(direct) and not os.path.isdir(os.path.join(p, os.path.basename(p))):
                # p is submitted/<student>/
                subs += _notebooks(os.path.basename(os.path.normpath(p)), direct)
                continue
            for student in sorted(os.listdir(p)):  # p is submitted/
                d = os.path.join(p, student, assignment)
                if os.path.isdir(d):
                    subs += _notebooks(student, d)
        else:
            subs.append(Submission(os.path.splitext(os.path.basename(p))[0], p))
    return subs


def _notebooks(student, d):
    nbs = sorted(f for f in os.listdir(d) if f.endswith(".ipynb"))
    if not nbs:
        return [Submission(student, os.path.join(d, "exercises.ipynb"))]
    return [Submission(student, os.path.join(d, nbs[0]))]


def _hidden_paths(extra=()) -> list[str]:
    """What the sandbox hides: the reference, the solutions, the build, tests, the instructor's files."""
    out = []
    for mod in ("rnnbook", "autograder.reference", "autograder.authoring", "nbgrader"):
        try:
            spec = importlib.util.find_spec(mod)
        except (ImportError, ValueError):
            spec = None
        if spec and spec.submodule_search_locations:
            out += list(spec.submodule_search_locations)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for d in ("solutions", "build", "tests", "bench", ".git", "nbgrader_config.py", "results"):
        out.append(os.path.join(root, d))
    out += ["/root", os.path.expanduser("~")]
    keep = (os.path.abspath(sys.prefix), os.path.dirname(os.path.abspath(__file__)), "/tmp")
    paths = {os.path.abspath(p) for p in list(out) + list(extra) if p}
    # never hide a folder that holds the interpreter or the grader's package (lazy imports need them)
    return sorted(p for p in paths if not any(k == p or k.startswith(p.rstrip("/") + "/") for k in keep))


@dataclass
class Plan:
    """Everything about an assignment that the grader's process knows and the sandbox never sees."""

    assignment: str
    template: Template
    checks: list
    cases: list                      # (check, case, inputs)
    expected: dict                   # (check id, case name) -> reference outputs (plain arrays)
    reference_sources: dict
    hide: list
    limits: Limits

    @classmethod
    def build(cls, assignment: str, *, source_dir: str | None = None, secret: str | None = None,
              visible_only: bool = False, checks=None, limits: Limits = Limits(), hide=()) -> "Plan":
        if assignment in ASSIGNMENTS:
            assignment = ASSIGNMENTS[assignment]
        if assignment not in CHAPTER_OF_ASSIGNMENT and checks is None:
            raise ValueError(f"assignment: expected one of {sorted(CHAPTER_OF_ASSIGNMENT)}, got {assignment!r}")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        src = os.path.join(source_dir or os.path.join(root, "solutions"), assignment, "exercises.ipynb")
        template = Template.load(src)
        checks = list(checks) if checks is not None else chapter_checks(assignment)
        checks = [c for c in checks if c.id in template.test_points]
        secret = course_secret() if secret is None else secret
        cases, expected, refsrc = [], {}, {}
        for check in checks:
            ref = reference_namespace(check)
            for f, fn in ref.items():
                try:
                    refsrc[f] = inspect.getsource(fn)
                except (OSError, TypeError):
                    pass
            for case in check.cases:
                if visible_only and not case.visible:
                    continue
                inputs = case.inputs(case_rng(PUBLIC_SEED if case.visible else secret, check.id, case.name))
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    expected[(check.id, case.name)] = to_plain(check.run(ref, copy.deepcopy(inputs)))
                cases.append((check, case, inputs))
        return cls(assignment, template, checks, cases, expected, refsrc, _hidden_paths(hide), limits)

    def job(self, sources: list[str]) -> dict:
        """The part of the work that leaves the grader: sources and inputs only (never expected values)."""
        return {"setup": self.template.setup, "sources": sources,
                "plan": [(c.id, k.name, inputs) for c, k, inputs in self.cases],
                "limits": self.limits, "hide": self.hide}


_local = threading.local()
_servers: list[ForkServer] = []
_servers_lock = threading.Lock()


def _server() -> ForkServer:
    fs = getattr(_local, "fs", None)
    if fs is None:
        fs = _local.fs = ForkServer().start()
        with _servers_lock:
            _servers.append(fs)
    return fs


def run_remote(job: dict) -> SandboxRun:
    """Run one submission's job in a sandbox of this process's fork-server (also what Dask workers call)."""
    return _server().run(job["setup"], job["sources"], job["plan"], limits=job["limits"], hide=job["hide"])


def close_servers() -> None:
    with _servers_lock:
        for fs in _servers:
            fs.close()
        _servers.clear()
    _local.__dict__.clear()


def _score(plan: Plan, res: Result, sources: list[str], run: SandboxRun) -> None:
    by_key = {(o.check, o.case): o for o in run.outputs}
    copies = dict(find_copies(sources, plan.reference_sources)) if sources else {}
    for check in plan.checks:
        cases = [(k, i) for c, k, i in plan.cases if c is check]
        total = sum(k.points for k, _ in cases) or 1.0
        pts = plan.template.test_points[check.id]
        cr = CheckResult(check.id, 0.0, pts)
        res.checks.append(cr)
        uses = forbidden_uses(sources, check.functions, check.forbidden)
        hits = {by_key[(check.id, k.name)].forbidden for k, _ in cases if (check.id, k.name) in by_key} - {None}
        if uses or hits:
            why = uses + [f"imports {h} while running" for h in sorted(hits)]
            cr.lines.append(f"0 points: uses an API this exercise forbids ({'; '.join(why)})")
            continue
        earned = 0.0
        for k, _ in cases:
            o = by_key.get((check.id, k.name))
            if o is None or o.error is not None:
                ok, msg = False, (o.error if o else "not run")
            else:
                try:
                    got = to_plain(o.value)
                except NotPlainData as exc:
                    ok, msg = False, str(exc)
                else:
                    v = compare(plan.expected[(check.id, k.name)], got, rtol=check.rtol, atol=check.atol,
                                reveal=k.visible)
                    ok, msg = v.passed, v.message
                    if ok and k.expected is not None:
                        v = compare(to_plain(k.expected), got, rtol=1e-6, atol=1e-8, reveal=True)
                        ok, msg = v.passed, ("ok" if v.passed else "against the numbers in the notebook: " + v.message)
            earned += k.points if ok else 0.0
            cr.lines.append(f"{'✓' if ok else '✗'} {check.id} [{k.name}] {msg}")
        cr.score = round(pts * earned / total, 6)
        for f in check.functions:
            if f in copies:
                res.flags.append(f"{f}: near copy of the reference implementation (similarity {copies[f]:.2f})")


def grade(plan: Plan, submissions: list[Submission], *, workers: int | None = None, scheduler: str | None = None,
          on_result=None) -> list[Result]:
    """Grade every submission; a broken one gets an error row and never stops the others."""
    results: list[Result | None] = [None] * len(submissions)
    jobs = []
    for n, sub in enumerate(submissions):
        res = Result(sub.student, plan.assignment, sub.path)
        try:
            ex = extract(plan.template, sub.path)
        except SubmissionError as exc:
            res.error = str(exc)
            res.checks = [CheckResult(c.id, 0.0, plan.template.test_points[c.id], [f"not graded: {exc}"])
                          for c in plan.checks]
            results[n] = res
            if on_result:
                on_result(res)
            continue
        res.sha256 = ex.sha256
        res.flags += ex.problems
        jobs.append((n, res, ex.sources))

    def finish(n, res, sources, run):
        if isinstance(run, BaseException):
            run = SandboxRun(exec_error=f"the grader could not run this submission: {run}")
        res.isolation, res.seconds = run.isolation, run.seconds
        if run.exec_error:
            res.flags.append(run.exec_error)
        _score(plan, res, sources, run)
        results[n] = res
        if on_result:
            on_result(res)

    if scheduler:
        from distributed import Client, as_completed
        with Client(scheduler) as client:
            futs = {client.submit(run_remote, plan.job(src), pure=False): (n, res, src) for n, res, src in jobs}
            for fut in as_completed(futs):
                try:
                    run = fut.result()
                except Exception as exc:
                    run = exc
                finish(*futs[fut], run)
    else:
        workers = workers or os.cpu_count() or 1

        def one(item):
            n, res, src = item
            try:
                run = run_remote(plan.job(src))
            except Exception as exc:
                run = exc
            return item, run

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for (n, res, src), run in pool.map(one, jobs):
                finish(n, res, src, run)
    return results
