"""The ``autograder`` command: ``grade``, ``check`` and ``export`` (see ``autograder --help``)."""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main", "default_db_url"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_db_url(course: str | None = None) -> str:
    """The gradebook of the nbgrader course in ``course`` (default: the working directory), read as nbgrader
    reads it (``CourseDirectory.db_url`` of its ``nbgrader_config.py``; nbgrader's default
    ``sqlite:///<root>/gradebook.db`` without one), never a path beside this package."""
    from .autograded import load_course
    return load_course(course).db_url


def _db_url(url: str) -> str:
    """``--db`` must be a SQLAlchemy URL; a bare path is an error that says so."""
    if "://" not in url:
        raise ValueError(f"--db: expected a database URL such as sqlite:///{os.path.abspath(url)} or "
                         f"postgresql://user@host/gradebook, got the path {url!r}")
    return url


def _limits(a):
    from .sandbox import Limits
    return Limits(wall_s=a.timeout, cpu_s=max(1, int(a.timeout)), memory_mb=a.memory,
                  call_s=max(2.0, min(20.0, a.timeout / 3)))


def _grade(a) -> int:
    from . import engine
    from .report import Progress, table, write_gradescope
    from .sandbox import capabilities

    caps = capabilities()
    if not caps.complete:
        if not a.unsafe:
            raise ValueError(f"{caps.summary()}; refusing to grade (run as root on a machine with bubblewrap "
                             "and cgroups, or pass --unsafe to grade without these protections)")
        print(f"autograder: warning: {caps.summary()}", file=sys.stderr)
    weak = engine.weak_secret(engine.course_secret())
    if weak:
        raise ValueError(f"the course secret is guessable ({weak}): run `autograder init` to write a random one "
                         f"to {engine.secret_file()}, or set AUTOGRADER_SECRET to 64 random hex digits")
    from .autograded import load_course, write_autograded
    from .late import describe
    course = load_course(a.course)
    if not course.configured and (a.db is None or not a.submissions):
        print(f"autograder: note: no nbgrader_config.py in {course.root}: nbgrader's defaults apply there "
              f"(gradebook {course.db_url})", file=sys.stderr)
    _course_paths(a, course)
    plan = engine.Plan.build(a.assignment, source_dir=a.source, limits=_limits(a), unsafe=a.unsafe)
    subs = engine.find_submissions(a.submissions, plan.assignment)
    if not subs:
        raise ValueError(f"no submission of {plan.assignment} found in {', '.join(a.submissions)} (expected notebook "
                         f"files, or nbgrader's submitted/<student>/{plan.assignment}/exercises.ipynb)")
    for d in sorted({os.path.dirname(s.path) for s in subs if os.path.basename(s.path) == "exercises.ipynb"}):
        extra = sorted(f for f in os.listdir(d) if f.endswith(".ipynb") and f != "exercises.ipynb") \
            if os.path.isdir(d) else []
        if extra:
            print(f"autograder: warning: {d}: graded exercises.ipynb (the released notebook); skipped "
                  f"{', '.join(extra)}", file=sys.stderr)
    for s in subs:
        if not os.path.lexists(s.path) and os.path.isdir(os.path.dirname(s.path)):
            print(f"autograder: warning: {s.student}: no exercises.ipynb (the released notebook) in "
                  f"{os.path.dirname(s.path)}: 0 points, with that reason in the gradebook", file=sys.stderr)
    # the instructor's solution first, in the same sandbox: full marks, or nobody is graded; it runs while the
    # gradebook opens (nbgrader's Gradebook starts alembic, seconds), and both must succeed before any grading
    import threading
    canary_error: list[BaseException] = []

    def run_canary():
        try:
            engine.canary(plan, pool)
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the main thread
            canary_error.append(exc)
    # autograded/ notebooks when writing the course's own gradebook (no --db), or when asked
    autograded = not a.no_gradebook and (a.db is None or a.autograded)
    pool = engine.process_pool(plan, len(subs), a.workers) if not a.scheduler else None
    checking = threading.Thread(target=run_canary, name="canary")
    checking.start()
    try:
        writer = _open_gradebook(a, course, plan, subs) if not a.no_gradebook else None
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        checking.join()
    if canary_error:
        if writer is not None:
            writer.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        raise canary_error[0]
    subs = writer.pending if writer is not None else subs
    skipped, theirs = (writer.skipped, writer.theirs) if writer is not None else ([], [])
    progress = Progress(len(subs), force=a.progress)

    late_notes = []

    def done(res):
        stamp = None
        if writer is not None:
            late, penalty, stamp = writer.write(res)
            if late > 0:
                res.flags.append(describe(late, penalty))
                late_notes.append(f"{res.student}: {describe(late, penalty)}")
        if autograded:
            write_autograded(course, plan.template, res, plan.assignment, timestamp=stamp)
        progress(res)

    try:
        results = engine.grade(plan, subs, workers=a.workers, scheduler=a.scheduler, on_result=done, pool=pool)
    finally:
        progress.close()
        if writer is not None:
            writer.close()
        from .sandbox import release_zygotes
        release_zygotes()
    print(table(results))
    if skipped:
        print(f"{len(skipped)} unchanged submission(s) already in the gradebook, not re-graded "
              f"(--force to re-grade): {', '.join(s.student for s in skipped)}")
    if theirs:
        print(f"{len(theirs)} submission(s) hold scores this grader did not write (graded by nbgrader autograde "
              f"since), kept as they are; --force to re-grade them: {', '.join(s.student for s in theirs)}")
    for line in late_notes:
        print(f"late: {line}")
    if autograded and results:
        where = os.path.normpath(os.path.dirname(course.folder("autograded", ".", plan.assignment)))
        print(f"autograded notebooks in {where}")
    for r in results:
        if r.flags and any("near copy" in f for f in r.flags):
            print(f"flagged for the instructor: {r.student}: " + "; ".join(f for f in r.flags if "near copy" in f))
    if a.results:
        write_gradescope(results, a.results, writer.penalties if writer is not None else None)
    if a.verbose:
        for r in results:
            print(f"\n== {r.student}")
            for c in r.checks:
                print("\n".join(c.lines))
    return 0


def _open_gradebook(a, course, plan, subs):
    """The course's gradebook for ``plan``'s assignment, with ``pending`` (the submissions to grade),
    ``skipped`` (graded unchanged already) and ``theirs`` (graded by nbgrader autograde since) set on it."""
    from .gradebook import GradebookWriter
    from .late import plugin
    a.db = _db_url(a.db or course.db_url)
    if a.db.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(a.db[len("sqlite:///"):]) or ".", exist_ok=True)
    late_plugin = plugin(course, a.late_per_day)
    try:
        writer = GradebookWriter(a.db, plan.template, plan.assignment, course_id=course.course_id,
                                 late_plugin=late_plugin, inbound=course.inbound)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy's errors: one line, not a traceback
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise ValueError(f"--db: cannot open the gradebook at {a.db} ({type(exc).__name__}: {first})") from None
    writer.pending, writer.skipped, writer.theirs = list(subs), [], []
    if not a.force:
        from .template import SubmissionError, extract
        keep = []
        for s in subs:
            try:
                sha = extract(plan.template, s.path).sha256
            except SubmissionError:
                sha = None
            state = writer.status(s.student, sha)
            {"unchanged": writer.skipped, "other": writer.theirs}.get(state, keep).append(s)
        writer.pending = keep
    return writer


def _course_paths(a, course) -> None:
    """Without paths, the course's ``submitted/`` folder (as ``nbgrader autograde`` reads it) and its
    ``source/<assignment>`` for the instructor's notebook."""
    from .checks import ASSIGNMENTS
    name = ASSIGNMENTS.get(a.assignment, a.assignment)
    if not a.submissions:
        a.submissions = [os.path.normpath(os.path.dirname(course.folder("submitted", ".", name)))]
    if a.source is None:
        a.source = course.source(name)


def _assignment_of(path: str) -> str:
    from .checks import ASSIGNMENTS
    with open(path, "rb") as f:
        text = f.read(64 << 20).decode("utf-8", "replace")
    for ch, name in ASSIGNMENTS.items():
        if f'"grade_id": "{ch}_' in text or f"/{name}/" in os.path.abspath(path):
            return name
    raise ValueError(f"{path}: cannot tell its assignment; pass --assignment (one of {sorted(ASSIGNMENTS.values())})")


def _check(a) -> int:
    from . import engine
    from .sandbox import capabilities

    assignment = a.assignment or _assignment_of(a.notebook)
    caps = capabilities()
    if not caps.complete:
        print(f"note: {caps.summary()}")
    plan = engine.Plan.build(assignment, source_dir=a.source, visible_only=True, limits=_limits(a),
                             unsafe=True, secret="visible cases only: no secret needed here")
    (res,) = engine.grade(plan, [engine.Submission("you", a.notebook)], workers=1)
    if res.error:
        print(f"error: {res.error}")
        return 1
    for f in res.flags:
        print(f"note: {f}")
    ok = True
    for c in res.checks:
        print("\n".join(c.lines))
        ok &= c.score >= c.max_score - 1e-9
    print(f"{res.score:g} of {res.max_score:g} visible points")
    return 0 if ok else 1


def _export(a) -> int:
    from nbgrader.api import Gradebook

    from .report import write_csv
    from .gradebook import normalise_url
    from .autograded import load_course
    course = load_course(a.course)
    url = _db_url(a.db or course.db_url)
    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
        raise ValueError(f"--db: expected an existing gradebook, got {url} (no such file; grade first)")
    try:
        gb = Gradebook(normalise_url(url), course_id=course.course_id)
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"--db: cannot open the gradebook at {url} ({type(exc).__name__})") from None
    rows, stored = [], {}
    try:
        names = [asg.name for asg in gb.assignments]
        if a.assignment and a.assignment not in names:
            raise ValueError(f"--assignment: expected one of {names} (in {url}), got {a.assignment!r}")
        for asg in gb.assignments:
            if a.assignment and asg.name != a.assignment:
                continue
            for sub in gb.assignment_submissions(asg.name):
                grades = {g.name: g.score for nb in sub.notebooks for g in nb.grades}
                maxes = {g.name: g.max_score for nb in sub.notebooks for g in nb.grades}
                comments = "\n".join(c.comment or "" for nb in sub.notebooks for c in nb.comments if c.comment)
                rows.append({"student": sub.student.id, "assignment": asg.name, "score": sub.score,
                             "max_score": sub.max_score, "grades": grades, "maxes": maxes, "comments": comments,
                             "penalty": sub.late_submission_penalty or 0.0})
            if a.format == "gradescope":
                from .gradebook import stored_results
                stored.update({(asg.name, s): v for s, v in stored_results(gb, asg.name).items()})
    finally:
        gb.close()
    if a.format in ("csv", "canvas"):
        if a.format == "csv":  # one row per student and assignment, a column per check
            checks = sorted({k for r in rows for k in r["grades"]})
            flat = [{"student": r["student"], "assignment": r["assignment"],
                     **{k: r["grades"].get(k, "") for k in checks}, "score": r["score"],
                     "max_score": r["max_score"]} for r in rows]
        else:  # Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, one column an assignment
            asgs = sorted({r["assignment"] for r in rows})
            maxima = {x: max((r["max_score"] for r in rows if r["assignment"] == x), default=0) for x in asgs}
            people = sorted({r["student"] for r in rows})
            base = {"Student": "", "ID": "", "SIS User ID": "", "SIS Login ID": "", "Section": ""}
            flat = [dict(base, Student="Points Possible", **{x: maxima[x] for x in asgs})]
            for who in people:
                flat.append(dict(base, Student=who, **{"SIS Login ID": who},
                                 **{x: next((r["score"] for r in rows if r["student"] == who and r["assignment"] == x),
                                            "") for x in asgs}))
        if a.output:
            with open(a.output, "w", newline="") as f:
                write_csv(flat, f)
        else:
            write_csv(flat, sys.stdout)
    else:
        from .report import results_stem, write_json
        out = a.output or "gradescope"
        for r in rows:
            folder = out if a.assignment else os.path.join(out, r["assignment"])
            os.makedirs(folder, exist_ok=True)
            write_json(os.path.join(folder, f"{results_stem(r['student'])}.json"),
                       _gradescope_doc(r, stored.get((r["assignment"], r["student"]))))
        print(f"wrote {len(rows)} results.json file(s) to {out}")
    return 0


def _gradescope_doc(row: dict, stored: tuple[dict, dict] | None) -> dict:
    """The results.json ``grade --results`` wrote (stored in the gradebook), with any cell whose score was
    changed in the gradebook since (a manual grade in formgrader, ``nbgrader autograde``) shown as it is now."""
    doc, wrote = stored or ({"score": 0.0, "tests": []}, {})
    changed = {k for k, v in row["grades"].items() if k not in wrote or abs((v or 0.0) - wrote[k]) > 1e-9}
    base = {t["name"].split(" ", 1)[0] for t in doc["tests"]}
    tests = [t for t in doc["tests"] if t["name"].split(" ", 1)[0] not in changed]
    tests += [{"name": k, "score": row["grades"][k] or 0.0, "max_score": row["maxes"].get(k),
               "output": "score as set in the gradebook" + (" since the autograder's" if k in base else ""),
               "visibility": "visible"} for k in sorted(changed)]
    score = round(max(0.0, (row["score"] or 0.0) - row["penalty"]), 6)
    if not changed and abs(score - doc["score"]) <= 1e-9:
        return doc
    out = dict(doc, tests=tests, score=score)
    if row["comments"] and changed:
        out["output"] = "\n".join(x for x in (doc.get("output"), row["comments"]) if x)
    return out


def _release(a) -> int:
    """The student's bundle (autograder.release): notebooks and the rnncheck checker, no grader inside."""
    from .release import release
    files = release(a.assignments, a.out, zip_path=a.zip)
    print(f"wrote the student's bundle to {a.out} ({len(files)} files; pip install {a.out})"
          + (f" and {a.zip}" if a.zip else ""))
    return 0


def _similarity(a) -> int:
    """Pairs of students whose solution functions share most of their winnowed fingerprints."""
    import time

    from . import engine
    from .similarity import similar_pairs
    from .template import Template

    from .autograded import load_course
    _course_paths(a, load_course(a.course))
    assignment, plan_src = engine.instructor_notebook(a.assignment, a.source)
    t0 = time.monotonic()
    subs = engine.find_submissions(a.submissions, assignment)
    if not subs:
        raise ValueError(f"no submission of {assignment} found in {', '.join(a.submissions)}")
    pairs, problems = similar_pairs(Template.load(plan_src), subs, threshold=a.threshold)
    for p in pairs:
        fns = ", ".join(f"{f} {s:.2f}" for f, s in p.functions)
        print(engine.clean(f"{p.a}  {p.b}  {fns}", 300))
    for msg in problems:
        print(engine.clean(f"not compared: {msg}", 300), file=sys.stderr)
    print(f"{len(pairs)} pair(s) at or above {a.threshold:g} among {len(subs)} submission(s) "
          f"({time.monotonic() - t0:.1f} s)")
    return 0


def _init(a) -> int:
    """Write a random 256-bit course secret, mode 600, refusing to overwrite one."""
    import secrets

    from . import engine
    path = os.path.abspath(a.secret_file or engine.secret_file())
    if os.path.exists(path) and not a.force:
        raise ValueError(f"{path} exists; keep it (hidden cases of earlier grades depend on it) or pass --force")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    print(f"wrote a random course secret to {path} (mode 600); keep it out of version control")
    return 0


def parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version
    try:
        ver = version("rnnbook")
    except PackageNotFoundError:
        ver = "unknown"
    p = argparse.ArgumentParser(
        prog="autograder", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="The course secret (hidden cases are drawn from it per student) is AUTOGRADER_SECRET, else the "
               "first line of\nAUTOGRADER_SECRET_FILE or ./.autograder_secret (mode 600; `autograder init` writes "
               "one).\n\nexamples:\n  autograder init\n  autograder grade 02_rnn submitted/ --results "
               "build/results\n  autograder check chapters/05_lstm/exercises.ipynb\n  autograder export --format "
               "csv --output grades.csv")
    p.add_argument("--version", action="version", version=f"autograder {ver}")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(q):
        q.add_argument("--source", help="folder of the instructor's notebooks (default: solutions/)")
        q.add_argument("--timeout", type=float, default=60.0, help="wall-clock seconds per submission (default 60)")
        q.add_argument("--memory", type=int, default=1024, help="MiB of memory per submission (default 1024)")

    g = sub.add_parser("grade", help="grade submissions into the gradebook")
    g.add_argument("assignment", help="e.g. 02_rnn or ch02")
    g.add_argument("submissions", nargs="*",
                   help="notebook files, or nbgrader's submitted/ folder (default: the course's submitted/)")
    g.add_argument("--course", help="the nbgrader course folder whose nbgrader_config.py is read "
                                    "(default: the working directory, as nbgrader)")
    g.add_argument("--db", help="gradebook SQLAlchemy URL (default: the course's CourseDirectory.db_url)")
    g.add_argument("--autograded", action="store_true",
                   help="with --db: also write the course's autograded/ notebooks (always written when the "
                        "gradebook is the course's)")
    g.add_argument("--late-per-day", type=float, metavar="FRACTION",
                   help="take FRACTION of the score per started day late (default: the course's nbgrader "
                        "LateSubmissionPlugin: by default late is recorded and the score unchanged)")
    g.add_argument("--no-gradebook", action="store_true", help="do not write the gradebook")
    g.add_argument("--results", help="write DIR/<student>.json in Gradescope's format")
    g.add_argument("--workers", type=int, default=None, help="parallel sandboxes (default: one per core)")
    g.add_argument("--scheduler", help="a Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    g.add_argument("--force", action="store_true",
                   help="re-grade submissions already graded unchanged, or graded by nbgrader autograde")
    g.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    g.add_argument("-v", "--verbose", action="store_true", help="print every check's feedback")
    g.add_argument("--unsafe", action="store_true",
                   help="grade even where the sandbox cannot be fully enforced (no root, bwrap or cgroups)")
    common(g)
    m = sub.add_parser("similarity", help="pairs of students whose solutions are near copies of each other")
    m.add_argument("assignment", help="e.g. 02_rnn or ch02")
    m.add_argument("submissions", nargs="*", help="notebook files, or nbgrader's submitted/ folder (default: the "
                   "course's submitted/)")
    m.add_argument("--course", help="the nbgrader course folder whose nbgrader_config.py is read (default: here)")
    m.add_argument("--threshold", type=float, default=0.9, help="containment to report (default 0.9)")
    m.add_argument("--source", help="folder of the instructor's notebooks (default: the course's source/, "
                   "else solutions/)")
    i = sub.add_parser("init", help="write a random course secret (mode 600) for hidden cases")
    i.add_argument("--secret-file", help="where (default: AUTOGRADER_SECRET_FILE or ./.autograder_secret)")
    i.add_argument("--force", action="store_true", help="overwrite an existing secret file")
    c = sub.add_parser("check", help="run a notebook's visible checks, sandboxed")
    c.add_argument("notebook")
    c.add_argument("--assignment")
    common(c)
    e = sub.add_parser("export", help="export the gradebook")
    e.add_argument("--format", choices=("csv", "canvas", "gradescope"), required=True,
                   help="csv: a column per check; canvas: Canvas's gradebook import; gradescope: results.json")
    e.add_argument("--db", help="gradebook SQLAlchemy URL (default: the course's CourseDirectory.db_url)")
    e.add_argument("--assignment")
    e.add_argument("--output", help="CSV file (default stdout), or the folder for gradescope's results.json files "
                   "(<student>.json with --assignment, as grade --results writes them; else <assignment>/<student>.json)")
    e.add_argument("--course", help="the nbgrader course folder whose nbgrader_config.py is read (default: here)")
    r = sub.add_parser("release", help="write the student's bundle: notebooks and the checker, no solutions")
    r.add_argument("assignments", nargs="+", help="e.g. 02_rnn 05_lstm (or ch02 ch05)")
    r.add_argument("--out", default=os.path.join("build", "student"), help="folder (default build/student)")
    r.add_argument("--zip", help="also write the bundle as this .zip file")
    return p


def main(argv=None) -> int:
    a = parser().parse_args(argv)
    try:
        return {"grade": _grade, "check": _check, "export": _export, "init": _init,
                "release": _release, "similarity": _similarity}[a.cmd](a)
    except (ValueError, FileNotFoundError) as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 2
