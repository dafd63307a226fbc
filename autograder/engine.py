"""Grade submissions of one assignment: draw each student's cases, run the code sandboxed, compare, score.

Everything that decides a verdict runs in the grader's process: each check's ``run`` is called here, with a
:class:`~autograder.sandbox.RemoteNamespace` whose functions are the student's, executed in that student's
own bubblewrap sandbox (:mod:`autograder.sandbox`); gradient checks, compositions and comparisons with the
reference happen here, on the plain values the sandbox sends back. Visible cases are drawn from the public
seed; hidden cases per student from an HMAC of the course secret (:func:`autograder.spec.hidden_rng`), so
two students never share a hidden input and a re-grade draws the same ones. A check's score is its test
cell's points times the share of its cases' points that passed. Every failure while reading, scanning,
running, scoring or writing one submission becomes that submission's error; the others are graded anyway.
"""

from __future__ import annotations

import copy
import inspect
import os
import re
import threading
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .checks import ASSIGNMENTS, CHAPTER_OF_ASSIGNMENT, chapter_checks, get_check
from .compare import NotPlainData, case_verdict, to_plain
from .copydetect import find_copies
from .forbidden import ALWAYS_FORBIDDEN, forbidden_uses, is_forbidden
from .notebook import DEFAULT_SECRET, reference_namespace
from .sandbox import Limits, RemoteNamespace, Sandbox, SandboxError, StudentError, capabilities
from .spec import PUBLIC_SEED, case_rng, hidden_rng
from .template import SubmissionError, Template, extract

__all__ = ["Submission", "CheckResult", "Result", "Plan", "grade", "run_job", "run_remote",
           "course_secret", "secret_configured", "secret_file", "weak_secret", "find_submissions", "clean",
           "canary", "grade_one", "instructor_notebook", "process_pool"]

MIN_SECRET = 32  # characters: `autograder init` writes 64 hex digits (256 bits)


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


def weak_secret(secret: str) -> str | None:
    """Why ``secret`` is guessable (None when it is not): the public default, too short, or too few symbols."""
    if secret == DEFAULT_SECRET:
        return "it is the public default"
    if len(secret) < MIN_SECRET:
        return f"it has {len(secret)} characters, fewer than {MIN_SECRET}"
    if len(set(secret)) < 8:
        return "it uses fewer than 8 distinct characters"
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(text, limit: int = 500) -> str:
    """Text from a submission made safe for a terminal, a file and a database: valid UTF-8 (lone surrogates
    replaced), control characters and newlines escaped, at most ``limit`` characters."""
    text = str(text)
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    text = text.replace("\n", "\\n").replace("\t", " ")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else "?", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Submission:
    student: str
    path: str
    problem: str | None = None      # set when the submission cannot be graded as found (e.g. a duplicate id)


@dataclass
class CheckResult:
    id: str
    score: float
    max_score: float
    lines: list[str] = field(default_factory=list)
    visible_only: bool = False
    hidden_score: float = 0.0       # the part of score and max_score that hidden cases carry (Gradescope shows
    hidden_max: float = 0.0         # them as a separate, hidden test)


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


def find_submissions(paths: list[str], assignment: str, notebook: str = "exercises.ipynb") -> list[Submission]:
    """Notebook files (the student is the file's stem) or nbgrader's ``submitted/<student>/<assignment>/``.

    In nbgrader's layout the released notebook's name is graded (``exercises.ipynb``), as ``nbgrader
    autograde`` does. A path that does not exist is an error. Two submissions with one student id are both
    reported as errors naming both files, so no one is graded with another's work."""
    subs = []
    for p in paths:
        if not os.path.lexists(p):
            raise FileNotFoundError(f"{p}: no such file or folder (expected notebooks or nbgrader's submitted/)")
        if os.path.isdir(p) and not os.path.islink(p):
            direct = os.path.join(p, assignment)
            if os.path.isdir(direct) and not os.path.isdir(os.path.join(p, os.path.basename(p))):
                subs.append(Submission(os.path.basename(os.path.normpath(p)), os.path.join(direct, notebook)))
                continue
            for student in sorted(os.listdir(p)):  # p is submitted/
                d = os.path.join(p, student, assignment)
                if os.path.isdir(d) and not os.path.islink(os.path.join(p, student)):
                    subs.append(Submission(student, os.path.join(d, notebook)))
        else:
            subs.append(Submission(os.path.splitext(os.path.basename(p))[0], p))
    by_id: dict[str, list[Submission]] = {}
    for s in subs:
        by_id.setdefault(s.student, []).append(s)
    out = []
    for s in subs:
        same = by_id[s.student]
        if len(same) > 1:
            s = Submission(s.student, s.path, "two or more submissions for this student id: "
                           + ", ".join(x.path for x in same) + " (none graded; give each file its own name)")
        out.append(s)
    return out


def instructor_notebook(assignment: str, source_dir: str | None = None, *, known: bool = True) -> tuple[str, str]:
    """``(assignment, path)`` of the instructor's notebook: ``ch02`` is read as ``02_rnn``; the notebook is
    ``<source_dir or solutions/>/<assignment>/exercises.ipynb``. With ``known``, the assignment must be the
    course's; a missing notebook is an error that names the path."""
    assignment = ASSIGNMENTS.get(assignment, assignment)
    if known and assignment not in CHAPTER_OF_ASSIGNMENT:
        raise ValueError(f"assignment: expected one of {sorted(CHAPTER_OF_ASSIGNMENT)}, got {assignment!r}")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = os.path.join(source_dir or os.path.join(root, "solutions"), assignment, "exercises.ipynb")
    if not os.path.exists(src):
        raise FileNotFoundError(f"{src}: the instructor's notebook of {assignment} is not there (--source)")
    return assignment, src


@dataclass
class Plan:
    """Everything about an assignment that the grader's process knows and the sandbox never sees."""

    assignment: str
    template: Template
    checks: list
    secret: str
    visible_only: bool
    limits: Limits
    unsafe: bool = False
    torch: bool = False
    always_forbidden: tuple = ()
    source_dir: str | None = None    # how it was built, so a worker process can build the same plan
    custom_checks: bool = False
    _expected: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reference_sources: dict | None = None

    @property
    def reference_sources(self) -> dict:
        """function name -> the reference's source, for the copy detection; read when first needed, so that a
        process that only hands submissions to worker processes never imports the reference (nor torch)."""
        with self._lock:
            if self._reference_sources is None:
                refsrc = {}
                for check in self.checks:
                    for f, fn in reference_namespace(check).ns.items():
                        try:
                            refsrc[f] = inspect.getsource(fn)
                        except (OSError, TypeError):
                            pass
                self._reference_sources = refsrc
            return self._reference_sources

    @classmethod
    def build(cls, assignment: str, *, source_dir: str | None = None, secret: str | None = None,
              visible_only: bool = False, checks=None, limits: Limits = Limits(),
              unsafe: bool = False) -> "Plan":
        assignment, src = instructor_notebook(assignment, source_dir, known=checks is None)
        template = Template.load(src)
        custom = checks is not None
        checks = list(checks) if checks is not None else chapter_checks(assignment)
        checks = [c for c in checks if c.id in template.test_points]
        secret = course_secret() if secret is None else secret
        torch = any(not any(f == "torch" for f in c.forbidden) for c in checks)
        always = set(ALWAYS_FORBIDDEN)
        if checks:
            always |= set.intersection(*[{f for f in c.forbidden if "." not in f} for c in checks])
        return cls(assignment, template, checks, secret, visible_only, limits, unsafe, torch,
                   tuple(sorted(always)), source_dir, custom)

    def cases_for(self, student: str) -> list:
        """``[(check, case, inputs)]`` of one student: visible cases from the public seed, hidden ones from
        the student's HMAC-derived seed."""
        out = []
        for check in self.checks:
            for case in check.cases:
                if self.visible_only and not case.visible:
                    continue
                rng = (case_rng(PUBLIC_SEED, check.id, case.name) if case.visible
                       else hidden_rng(self.secret, student, check.id, case.name))
                out.append((check, case, case.inputs(rng)))
        return out

    def expected(self, check, case, inputs):
        """The reference's outputs on ``inputs`` (visible cases cached: they are the same for everyone)."""
        key = (check.id, case.name) if case.visible else None
        if key is not None:
            with self._lock:
                if key in self._expected:
                    return self._expected[key]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = to_plain(check.run(reference_namespace(check), copy.deepcopy(inputs)))
        if key is not None:
            with self._lock:
                self._expected[key] = value
        return value

    def job(self, cells, cases) -> dict:
        """What one submission's sandbox needs: its cells, and each case's inputs (never expected values).
        Picklable, so that a Dask worker can run it (:func:`run_remote`)."""
        return {"cells": cells, "cases": [(c.id, k.name, k.visible, i) for c, k, i in cases],
                "limits": self.limits, "unsafe": self.unsafe, "torch": self.torch,
                "always_forbidden": self.always_forbidden}


def _case_message(exc: BaseException, check, visible: bool) -> tuple[str, list]:
    """Feedback for a case whose run raised: what the student can act on, and never a hidden input."""
    if isinstance(exc, StudentError):
        if exc.forbidden:
            return "uses an API this exercise forbids: " + ", ".join(exc.forbidden), list(exc.forbidden)
        if exc.kind == "KeyError:name":
            return (f"not defined: {', '.join(check.functions)} (is the function defined, with the name the "
                    "exercise gives, and did its cell run?)"), []
        return f"raised {exc.kind}" + (f": {exc.message}" if visible and exc.message else ""), []
    if isinstance(exc, SandboxError):
        return str(exc), []
    if isinstance(exc, NotPlainData):
        return f"returned something that is not an array or a number ({exc})", []
    if isinstance(exc, AssertionError):
        return str(exc) or "failed", []
    if isinstance(exc, (ValueError, TypeError, IndexError)) and ("unpack" in str(exc) or "values" in str(exc)):
        names = ", ".join(check.outputs) if check.outputs else None
        return (f"returned the wrong number or kind of values ({exc})" +
                (f"; expected ({names}, ...) as the exercise says" if names else "")), []
    return f"its results could not be used ({type(exc).__name__})", []


def hidden_text(msg: str) -> str:
    """Feedback on a hidden case, from a small fixed vocabulary: which kind of failure, never a number, a
    shape, a name or a message that the student's values could have chosen (each would be a channel for the
    inputs the sandbox saw)."""
    m = msg.lower()
    for key, text in (("time limit", "time limit"), ("memory limit", "memory limit"),
                      ("ended", "the submission's process ended"), ("forbid", "uses a forbidden API"),
                      ("not defined", "not defined (is the function defined with the exercise's name?)"),
                      ("shape", "wrong shape"), ("nan", "NaN where the reference has none"),
                      ("infinity", "infinity where the reference has none"), ("outputs", "wrong number of outputs"),
                      ("number or kind", "wrong number or kind of values returned"), ("raised", "raised an exception"),
                      ("changed", "changed its inputs"), ("gradient check", "failed the gradient check"),
                      ("differ", "wrong values"), ("ok", "ok")):
        if key in m:
            return text
    return "failed"


MAX_RESTARTS = 3


def run_job(job: dict) -> dict:
    """Run one submission: start its sandbox, run its cells, and call each check's ``run`` here with the
    student's functions proxied into the sandbox. Returns plain outputs per case, never verdicts.
    (Run in the grader's process, or on a Dask worker, which is a grader process too.)

    When a call ends the sandbox (a time limit, a crash, ``os._exit``, a memory limit), that exercise's
    remaining cases are not run and a fresh sandbox (the cells run again) takes the next exercise, up to
    ``MAX_RESTARTS`` times and within the one deadline of the submission: one bug costs one exercise."""
    t0 = time.monotonic()
    out = {"outputs": {}, "exec_error": None, "skipped": [], "isolation": [], "seconds": 0.0, "ended": None,
           "exec_forbidden": []}
    limits = job["limits"]
    deadline = t0 + limits.wall_s
    state = {"sb": None, "starts": 0}

    def fresh():
        sb = Sandbox(limits, torch=job["torch"], unsafe=job["unsafe"], deadline=deadline)
        state["sb"], state["starts"] = sb, state["starts"] + 1
        sb.start()
        ready = sb.exec_cells(job["cells"], job["always_forbidden"])
        if state["starts"] == 1:
            out["isolation"] = list(sb.notes)
            err = ready["error"]
            if err:
                out["exec_error"] = f"{clean(err['cell'], 100)} raised {clean(err['type'], 60)} when it ran"
            out["skipped"] = ready["skipped"]
            out["exec_forbidden"] = ready.get("forbidden", [])
        return sb

    dead: dict[str, str] = {}
    try:
        # every visible case first: once the sandbox has seen a hidden input, no text of its making comes back
        # (a message shown on a later visible case could carry what it saw)
        for check_id, case_name, visible, inputs in sorted(job["cases"], key=lambda c: not c[2]):
            check = get_check(check_id)
            key = (check_id, case_name)
            if out["ended"]:
                out["outputs"][key] = ("error", out["ended"])
                continue
            if check_id in dead:
                out["outputs"][key] = ("error", f"not run: an earlier case of this exercise ended the sandbox "
                                                f"({dead[check_id]})")
                continue
            sb = state["sb"]
            if sb is None or sb.ended:
                if sb is not None:
                    sb.close()
                if state["starts"] > MAX_RESTARTS or time.monotonic() >= deadline:
                    out["ended"] = (sb.ended if sb is not None else None) or "the sandbox ended"
                    out["outputs"][key] = ("error", out["ended"])
                    continue
                try:
                    sb = fresh()
                except SandboxError as exc:
                    out["ended"] = str(exc)
                    out["outputs"][key] = ("error", str(exc))
                    continue
            ns = RemoteNamespace(sb, check.functions, check.forbidden, reveal=visible)
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    value = to_plain(check.run(ns, copy.deepcopy(inputs)))
                out["outputs"][key] = ("ok", value)
            except SandboxError as exc:
                dead[check_id] = str(exc)
                out["outputs"][key] = ("error", str(exc) if visible else hidden_text(str(exc)))
                if "wall-clock" in str(exc):
                    out["ended"] = str(exc)
            except Exception as exc:  # noqa: BLE001 - whatever the student's values made the check raise
                msg, forb = _case_message(exc, check, visible)
                out["outputs"][key] = ("forbidden" if forb else "error",
                                       forb or (msg if visible else hidden_text(msg)))
    finally:
        if state["sb"] is not None:
            state["sb"].close()
        out["seconds"] = time.monotonic() - t0
    return out


def run_remote(job: dict) -> dict:
    """What a Dask worker runs: the same sandbox; a worker whose machine cannot enforce it refuses the job."""
    caps = capabilities()
    if not caps.complete and not job["unsafe"]:
        raise SandboxError(f"this worker cannot sandbox: {caps.summary()}")
    return run_job(job)


def _score(plan: Plan, res: Result, ex, run: dict, cases) -> None:
    sources = ex.sources
    labelled = [(label, src) for label, src, tolerant in ex.cells if not tolerant]
    try:
        grave = forbidden_uses(labelled, (), (), anywhere=True) + [
            f"imported {h} while its cells ran" for h in run.get("exec_forbidden", ())
            if is_forbidden(h, ALWAYS_FORBIDDEN)]
    except (RecursionError, MemoryError, ValueError, SyntaxError):
        grave = []
    if grave:  # the grader's own packages or the gradebook's drivers: no exercise may use them, anywhere
        for check in plan.checks:
            res.checks.append(CheckResult(check.id, 0.0, plan.template.test_points[check.id], [clean(
                f"0 points: the submission uses what the grader forbids in every cell ({'; '.join(grave[:3])})", 400)]))
        return
    try:
        copies = dict(find_copies(sources, plan.reference_sources)) if sources else {}
    except Exception:  # noqa: BLE001 - a source the detector cannot read is no copy
        copies = {}
    for check in plan.checks:
        mine = [(k, i) for c, k, i in cases if c is check]
        total = sum(k.points for k, _ in mine) or 1.0
        pts = plan.template.test_points[check.id]
        cr = CheckResult(check.id, 0.0, pts, visible_only=plan.visible_only)
        res.checks.append(cr)
        cr.hidden_max = round(pts * sum(k.points for k, _ in mine if not k.visible) / total, 6)
        try:
            uses = forbidden_uses(labelled, check.functions, check.forbidden)
        except (RecursionError, MemoryError, ValueError, SyntaxError):
            uses = ["its source is too deeply nested to scan"]
        outs = [run["outputs"].get((check.id, k.name)) for k, _ in mine]
        hits = sorted({h for o in outs if o and o[0] == "forbidden" for h in o[1]})
        if uses or hits:
            why = uses + [f"used {h} while running" for h in hits]
            cr.lines.append(clean(f"0 points: {check.id} uses an API this exercise forbids ({'; '.join(why)})", 400))
            continue
        earned = hidden_earned = 0.0
        for k, inputs in mine:
            status, value = run["outputs"].get((check.id, k.name), ("error", "not run"))
            if status != "ok":
                ok, msg = False, clean(value, 300) if k.visible else hidden_text(str(value))
            else:
                try:
                    v = case_verdict(check, k, plan.expected(check, k, inputs), value)
                    ok, msg = v.passed, v.message
                except Exception as exc:  # noqa: BLE001
                    ok, msg = False, f"could not be compared ({type(exc).__name__})"
                if not k.visible:
                    msg = "ok" if ok else hidden_text(msg)
            earned += k.points if ok else 0.0
            hidden_earned += k.points if ok and not k.visible else 0.0
            label = k.name if k.visible else f"hidden: {k.name}"
            cr.lines.append(f"{'✓' if ok else '✗'} {check.id} [{label}] {msg}")
        cr.score = round(pts * earned / total, 6)
        cr.hidden_score = round(pts * hidden_earned / total, 6)
        for f in check.functions:
            if f in copies:
                res.flags.append(f"{f}: near copy of the reference implementation (similarity {copies[f]:.2f})")


def _zero(plan: Plan, res: Result, why: str) -> None:
    res.error = clean(why, 300)
    res.checks = [CheckResult(c.id, 0.0, plan.template.test_points[c.id], [f"not graded: {res.error}"])
                  for c in plan.checks]


def grade_one(plan: Plan, sub: Submission, *, runner=run_job) -> Result:
    """Grade one submission; never raises: any failure becomes this submission's error row."""
    res = Result(clean(sub.student, 200), plan.assignment, sub.path)
    try:
        if sub.problem:
            _zero(plan, res, sub.problem)
            return res
        try:
            ex = extract(plan.template, sub.path)
        except SubmissionError as exc:
            _zero(plan, res, str(exc))
            return res
        res.sha256 = ex.sha256
        res.flags += [clean(p, 300) for p in ex.problems]
        cases = plan.cases_for(sub.student)
        run = runner(plan.job(ex.cells, cases))
        res.isolation, res.seconds = run["isolation"], run["seconds"]
        if run["exec_error"]:
            res.flags.append(run["exec_error"])
        if run["skipped"]:
            res.flags.append("magics and shell commands were skipped, as the grader never runs them: "
                             + clean(", ".join(run["skipped"]), 200))
        if run["ended"] and not res.error:
            res.flags.append(clean(run["ended"], 300))
        _score(plan, res, ex, run, cases)
    except BaseException as exc:  # noqa: BLE001 - one submission never stops the others
        if isinstance(exc, KeyboardInterrupt):
            raise
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        _zero(plan, res, f"the grader could not grade this submission ({clean(detail, 200)})")
    res.flags = [clean(f, 400) for f in res.flags]
    for c in res.checks:
        c.lines = [clean(x, 600) for x in c.lines]
    return res


_worker_plan: Plan | None = None


def _worker_init(assignment: str, spec: dict) -> None:
    global _worker_plan
    _worker_plan = Plan.build(assignment, **spec)


def _worker_warm() -> None:
    """A worker's zygote, started before its first submission arrives, while this process imports the
    reference (and torch) for its copy detection and expected outputs."""
    from .sandbox import warm
    zygote = threading.Thread(target=warm, args=(_worker_plan.torch, _worker_plan.limits), name="warm")
    zygote.start()
    _worker_plan.reference_sources  # noqa: B018 - read now, not on the first submission
    zygote.join()


def _worker_grade(sub: Submission) -> Result:
    return grade_one(_worker_plan, sub)


CANARY = "instructor (canary)"


def _worker_canary() -> Result:
    return canary(_worker_plan)


def canary(plan: Plan, pool=None) -> Result:
    """Grade the instructor's own notebook in the same sandbox, with the same secret and limits, before
    anyone else; raises ValueError naming the first check that did not give full marks, and why. A broken
    machine (an install the sandbox cannot see, a limit too tight for the reference) then stops the run
    instead of scoring every student 0. With ``pool`` (from :func:`process_pool`) it runs in one of the
    worker processes, in the zygote that the submissions will use, and this process starts none."""
    if pool is not None:
        from concurrent.futures.process import BrokenProcessPool
        try:
            return pool.submit(_worker_canary).result()
        except BrokenProcessPool as exc:
            raise ValueError(f"the grader's worker processes did not start ({exc})") from None
    res = grade_one(plan, Submission(CANARY, plan.template.path))
    for c in res.checks:
        if c.score < c.max_score - 1e-9:
            why = next((ln for ln in c.lines if not ln.startswith("✓")), res.error or "")
            raise ValueError(f"the instructor's solution {plan.template.path} scored {c.score:g}/{c.max_score:g} "
                             f"on {c.id} in the sandbox, so no student was graded: {why}")
    return res


def _uses_processes(plan: Plan, n: int, workers: int | None) -> bool:
    """Whether ``n`` submissions are graded by worker processes (a large run) rather than threads."""
    pool_size = workers or os.cpu_count() or 1
    return not plan.custom_checks and pool_size > 1 and n >= 4 * pool_size


def process_pool(plan: Plan, n: int, workers: int | None = None):
    """The spawned worker processes that :func:`grade` uses for ``n`` submissions (None when it would use
    threads), started now: each builds its plan and its warm zygote while the caller does other work (the
    canary, opening the gradebook). Pass it to :func:`grade`, which shuts it down."""
    pool_size = workers or os.cpu_count() or 1
    if not _uses_processes(plan, n, workers):
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    spec = dict(source_dir=plan.source_dir, secret=plan.secret, visible_only=plan.visible_only,
                limits=plan.limits, unsafe=plan.unsafe)
    pool = ProcessPoolExecutor(max_workers=pool_size, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init, initargs=(plan.assignment, spec))
    for _ in range(pool_size):
        pool.submit(_worker_warm)
    return pool


def grade(plan: Plan, submissions: list[Submission], *, workers: int | None = None, scheduler: str | None = None,
          on_result=None, pool=None) -> list[Result]:
    """Grade every submission; a broken one gets an error row and never stops the others. ``pool``: from
    :func:`process_pool` (started early; shut down here, unused when the run turned out small); without it a
    large run starts its own."""
    results: list[Result | None] = [None] * len(submissions)

    def finish(n, res):
        results[n] = res
        if on_result:
            try:
                on_result(res)
            except Exception as exc:  # noqa: BLE001 - writing one result must not lose the others
                res.flags.append(clean(f"could not be recorded: {type(exc).__name__}: {exc}", 300))

    pool_size = workers or os.cpu_count() or 1
    client = None

    def runner(job):
        return run_job(job) if client is None else client.submit(run_remote, job, pure=False).result()
    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"--scheduler: expected a reachable Dask scheduler, got {scheduler!r} "
                             f"({type(exc).__name__})") from None
        pool_size = workers or max(1, sum(client.nthreads().values()))
    try:
        if pool is not None and (client is not None or not _uses_processes(plan, len(submissions), workers)):
            pool.shutdown(cancel_futures=True)
            pool = None
        if client is None and pool is None:
            # the grader's share of the work (each check's run, the reference, comparisons) is Python: in
            # threads it would share one interpreter lock, so a large run uses one process per worker
            pool = process_pool(plan, len(submissions), workers)
        if client is None and pool is not None:
            with pool:
                for n, res in enumerate(pool.map(_worker_grade, submissions)):
                    finish(n, res)
        else:
            with ThreadPoolExecutor(max_workers=pool_size) as pool:
                for n, res in enumerate(pool.map(lambda s: grade_one(plan, s, runner=runner), submissions)):
                    finish(n, res)
    finally:
        if client is not None:
            client.close()
    return results
