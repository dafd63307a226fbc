"""One red-team grading session, shared by every test of ``test_redteam.py`` (see README.md).

As root (as CI runs), outside /tmp (the sandbox gets a fresh /tmp, which would hide everything there by accident):

- ``<base>/course``: an nbgrader course, ``source/<assignment>/exercises.ipynb`` copied from ``solutions/``,
  ``submitted/<student>/<assignment>/exercises.ipynb``, and ``.autograder_secret`` (mode 600, the same random
  256-bit secret that ``AUTOGRADER_SECRET`` holds);
- ``<base>/clone/solutions``: another checkout's solutions; ``<base>/earlier``: an earlier term's submissions;
- ``<base>/grader``: the gradebooks (``db/``) and results (``results/<run>/``).

Then, with the real CLI (``autograder grade ... -v --timeout 20 --memory 512``, the course as working folder):
run ``02_rnn`` (attacks on that assignment, two honest students), run ``05_lstm`` (after it, so it sees whatever
the first run left), run ``robust`` (02_rnn again, malformed notebooks and duplicate stems, in their own
gradebook: today one of them ends the whole run, which would hide every other result), run ``weak`` (a guessable
secret), then ``autograder export --format csv``, then the census (processes, files in the shared folders).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import nbformat
import pytest

import redteam_corpus as rc

TIMEOUT = "20"
MEMORY = "512"


def _cli() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "autograder")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "autograder"]


@dataclass
class CliRun:
    name: str
    argv: list
    rc: int = -1
    stdout: bytes = b""
    stderr: bytes = b""
    peak_rss: int = 0                    # bytes: the grader process's VmHWM, polled while it ran
    results_dir: str = ""
    db: str = ""
    results: dict = field(default_factory=dict)      # student -> Gradescope document
    results_raw: dict = field(default_factory=dict)  # student -> file text
    gradebook: dict = field(default_factory=dict)    # student -> {"score", "timestamp", "grades"}
    seconds: float = 0.0

    def tail(self, n: int = 3000) -> str:
        return (self.stdout + b"\n--- stderr ---\n" + self.stderr).decode("utf-8", "replace")[-n:]


@dataclass
class RedTeam:
    base: str
    course: str
    grader: str
    marker: str
    sleep: str
    secret: str
    attacks: dict                         # name -> rc.Attack (snippets and generated)
    runs: dict = field(default_factory=dict)
    hidden: dict = field(default_factory=dict)       # student -> hidden cases it received (or an error string)
    csv_text: str = ""
    csv_rc: int = -1
    results_02_before: dict = field(default_factory=dict)
    results_02_after: dict = field(default_factory=dict)
    survivors: list = field(default_factory=list)    # (pid, uid, cmdline, comm)
    new_files: list = field(default_factory=list)    # (path, uid)
    haystack: str = ""                               # every output of every run, for the leak scans
    dup_paths: tuple = ()


def _run(name, argv, cwd, env, results_dir="", db="") -> CliRun:
    r = CliRun(name, argv, results_dir=results_dir, db=db)
    t0 = time.monotonic()
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            try:
                with open(f"/proc/{p.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            r.peak_rss = max(r.peak_rss, int(line.split()[1]) * 1024)
            except (OSError, ValueError):
                pass
            stop.wait(0.05)
    th = threading.Thread(target=poll, daemon=True)
    th.start()
    try:
        r.stdout, r.stderr = p.communicate(timeout=400)
    except subprocess.TimeoutExpired:
        p.kill()
        r.stdout, r.stderr = p.communicate()
    stop.set()
    th.join()
    r.rc, r.seconds = p.returncode, time.monotonic() - t0
    if results_dir and os.path.isdir(results_dir):
        for f in sorted(os.listdir(results_dir)):
            if f.endswith(".json"):
                with open(os.path.join(results_dir, f), encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
                r.results_raw[f[:-5]] = text
                try:
                    r.results[f[:-5]] = json.loads(text)
                except ValueError:
                    pass
    if db and os.path.exists(db):
        r.gradebook = _gradebook(db)
    return r


def _gradebook(db: str) -> dict:
    from nbgrader.api import Gradebook
    out = {}
    gb = Gradebook(f"sqlite:///{db}", course_id="rnnbook")
    try:
        for asg in gb.assignments:
            for sub in gb.assignment_submissions(asg.name):
                grades = {g.name: g.score for nb in sub.notebooks for g in nb.grades}
                out[(asg.name, sub.student.id)] = {"score": sub.score, "timestamp": sub.timestamp, "grades": grades}
    finally:
        gb.close()
    return out


def _procs() -> dict:
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
            uid = os.stat(f"/proc/{pid}").st_uid
        except OSError:
            continue
        out[int(pid)] = (uid, cmd, comm)
    return out


def _cgroup_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            return f.read().strip().replace("\n", " ")[:300]
    except OSError:
        return ""


def _entries() -> dict:
    out = {}
    for d in rc.SHARED:
        try:
            for e in os.scandir(d):
                try:
                    out[e.path] = e.stat(follow_symlinks=False).st_uid
                except OSError:
                    pass
        except OSError:
            pass
    return out


def _write_course(base: str, secret: str, subst: dict, attacks: dict, hidden_for_lookup) -> None:
    course = os.path.join(base, "course")
    for asg in rc.ASSIGNMENTS:
        for where in (f"course/source/{asg}", f"clone/solutions/{asg}"):
            os.makedirs(os.path.join(base, where), exist_ok=True)
            shutil.copy(rc.solution(asg), os.path.join(base, where, "exercises.ipynb"))
    os.makedirs(os.path.join(base, "earlier/submitted/lastyear/05_lstm"))
    shutil.copy(rc.solution("05_lstm"), os.path.join(base, "earlier/submitted/lastyear/05_lstm/exercises.ipynb"))
    fd = os.open(os.path.join(course, ".autograder_secret"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")

    def sub(student, asg):
        return os.path.join(course, "submitted", student, asg, "exercises.ipynb")

    for name in rc.snippet_names():
        a = rc.parse(os.path.join(rc.ATTACKS, name + ".py"), subst)
        attacks[name] = a
        rc.build_notebook(a.assignment, a.cells, sub(a.student, a.assignment), blank_others=a.blank_others)
    for asg in rc.ASSIGNMENTS:
        rc.build_notebook(asg, {}, sub("honest_solution", asg))
    attacks["honest_solution"] = rc.Attack("honest_solution", "both", "honest", full="all")

    # copy detection: the reference's sample_chars, every line followed by a no-op line
    from autograder.checks import chapter_checks
    import importlib
    ref = importlib.import_module(next(c for c in chapter_checks("02_rnn") if c.id == "ch02_sample_chars").reference)
    rc.build_notebook("02_rnn", {"ch02-ex4-solution": "import numpy as np\n\n\n" + rc.padded_copy(ref.sample_chars)},
                      sub("copy_padded", "02_rnn"))
    attacks["copy_padded"] = rc.Attack("copy_padded", "02_rnn", "copy", full="all")

    # a lookup table of another student's hidden cases (they are drawn per student, so it must score 0)
    attacks["lookup_table"] = rc.Attack("lookup_table", "05_lstm", "hidden", zero="all")
    rc.build_notebook("05_lstm", _lookup_cells(hidden_for_lookup), sub("lookup_table", "05_lstm"), blank_others=True)

    # the instructor's files: formula names, a symlink into solutions/, a forged timestamp.txt
    for name in ('=HYPERLINK("evil.example","grade")', "@SUM(A1)"):
        rc.build_notebook("02_rnn", {}, sub(name, "02_rnn"))
        attacks[name] = rc.Attack(name, "02_rnn", "instructor", full="all")
    os.makedirs(os.path.dirname(sub("symlinker", "02_rnn")))
    os.symlink(rc.solution("02_rnn"), sub("symlinker", "02_rnn"))
    attacks["symlinker"] = rc.Attack("symlinker", "02_rnn", "instructor", zero="all")
    rc.build_notebook("02_rnn", {}, sub("timestamper", "02_rnn"))
    with open(os.path.join(os.path.dirname(sub("timestamper", "02_rnn")), "timestamp.txt"), "w") as f:
        f.write("2001-02-03 04:05:06.000000 UTC")
    attacks["timestamper"] = rc.Attack("timestamper", "02_rnn", "instructor", full="all")


def _lookup_cells(hidden) -> dict:
    """Solution cells answering from a table keyed by the bytes of the first array the function receives."""
    import numpy as np
    table = {}
    for check, case, inputs, expected in hidden:
        if check.id == "ch05_lstm_step_forward":
            key, ans = inputs[0], (*expected, None)
        elif check.id == "ch05_lstm_forward":
            key, ans = inputs[0], (expected[0], None)
        elif check.id == "ch05_lstm_step_backward" and inputs[0] == "compare":
            key, ans = inputs[7], tuple(expected)
        else:
            continue
        h = hashlib.sha256(np.ascontiguousarray(key).tobytes()).hexdigest()
        table[h] = [np.asarray(a).tolist() if a is not None else None for a in ans]
    src = ("import hashlib\n\nTABLE = " + repr(table) + "\n\n\n"
           "def _answer(key):\n"
           "    rows = TABLE.get(hashlib.sha256(np.ascontiguousarray(key).tobytes()).hexdigest())\n"
           "    if rows is None:\n"
           "        raise KeyError('not in my table')\n"
           "    return tuple(None if r is None else np.array(r) for r in rows)\n\n\n"
           "def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):\n    return _answer(x)\n\n\n"
           "def lstm_step_backward(dnext_h, dnext_c, cache):\n    return _answer(dnext_h)\n\n\n"
           "def lstm_forward(x, h0, Wx, Wh, b):\n    return _answer(x)\n\n\n"
           "def LSTMCell(*a, **k):\n    raise NotImplementedError('not in my table')\n")
    return {"ch05-ex1-solution": src}


def _write_malformed(course: str, subst: dict) -> list[str]:
    """Run ``robust``'s course: malformed notebooks (named to be graded first), two honest students."""
    d = os.path.join(course, "submitted")

    def path(student):
        p = os.path.join(d, student, "02_rnn", "exercises.ipynb")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    sol = nbformat.read(rc.solution("02_rnn"), as_version=4)
    base = json.loads(nbformat.writes(sol))

    def cell_index(gid):
        return next(k for k, c in enumerate(base["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)

    k1 = cell_index("ch02-ex1-solution")
    # deeply nested JSON in a cell's metadata
    doc = json.dumps(base).replace('"nbgrader": {', '"deep": ' + "[" * 100_000 + "]" * 100_000 + ', "nbgrader": {', 1)
    with open(path("a_deep_json"), "w") as f:
        f.write(doc)
    # metadata.nbgrader as a string
    nb = json.loads(json.dumps(base))
    nb["cells"][k1]["metadata"]["nbgrader"] = "solution"
    with open(path("a_nbgrader_str"), "w") as f:
        json.dump(nb, f)
    # an exception message with a lone surrogate, at exec time (table, gradebook comment) and at call time (feedback)
    rc.build_notebook("02_rnn", {"ch02-ex1-solution": "def rnn_step_forward(*a):\n"
                                 "    raise ValueError('lone ' + chr(0xD800) + ' surrogate')\n\n"
                                 "raise ValueError('lone ' + chr(0xDFFF) + ' surrogate')\n"}, path("a_surrogate"))
    # a 20,000-term expression
    rc.build_notebook("02_rnn", {"ch02-ex1-solution": "x = " + " + ".join(["1"] * 20_000) + "\n"},
                      path("a_huge_expr"))
    # a solution cell whose source is not a string
    nb = json.loads(json.dumps(base))
    nb["cells"][k1]["source"] = [1, 2, {"a": 3}]
    with open(path("a_source_list"), "w") as f:
        json.dump(nb, f)
    # error fields of the wrong type, forged through the sandbox's own sender (a module-level send(sock, header,
    # payload) or a class's send(self, header, payload), whichever the sandbox has)
    rc.build_notebook("02_rnn", {"ch02-ex1-solution": (
        "import sys\n"
        "def _forge(header):\n"
        "    header = dict(header)\n"
        "    if header.get('op') in ('ready', 'raise', 'return'):\n"
        "        header['error'] = {'forged': [1, 2]} if header.get('op') == 'ready' else ['not', 'a', 'string']\n"
        "        header['type'], header['message'] = {'a': 1}, ['x', 2]\n"
        "        header['isolation'], header['forbidden'] = 12345, [{'b': 2}]\n"
        "    return header\n"
        "for _name, _mod in list(sys.modules.items()):\n"
        "    if not _name.endswith('wire'):\n"
        "        continue\n"
        "    if callable(getattr(_mod, 'send', None)):\n"
        "        _real = _mod.send\n"
        "        _mod.send = lambda sock, header, payload=b'', _real=_real: _real(sock, _forge(header), payload)\n"
        "    for _cls in list(vars(_mod).values()):\n"
        "        if isinstance(_cls, type) and callable(getattr(_cls, 'send', None)):\n"
        "            _m = _cls.send\n"
        "            _cls.send = lambda self, header, payload=b'', _m=_m: _m(self, _forge(header), payload)\n"
        "raise RuntimeError('so that the ready message carries an error')\n")}, path("a_forged_error"))
    rc.build_notebook("02_rnn", {}, path("honest solution"), blank_others=True)  # no work; one character off
    for name in ("honest_solution", "honest_print"):
        cells = {} if name == "honest_solution" else rc.parse(os.path.join(rc.ATTACKS, "honest_print_02.py"),
                                                              subst).cells
        rc.build_notebook("02_rnn", cells, path(name))
    # two files with the same stem, passed as files: one honest, one blank
    dups = [os.path.join(os.path.dirname(course), "dups", k, "dup.ipynb") for k in ("one", "two")]
    rc.build_notebook("02_rnn", {}, dups[0])
    rc.build_notebook("02_rnn", {}, dups[1], blank_others=True)
    return dups


@pytest.fixture(scope="session")
def redteam():
    if os.geteuid() != 0:
        pytest.skip("the red-team run grades as root, as CI does")
    parent = "/srv" if os.path.isdir("/srv") and os.access("/srv", os.W_OK) else "/var/lib"
    base = os.path.realpath(__import__("tempfile").mkdtemp(prefix="rnnbook-redteam-", dir=parent))
    os.chmod(base, 0o755)
    marker = "rt" + secrets.token_hex(5)
    sleep = str(700_000 + secrets.randbelow(99_999))
    secret = secrets.token_hex(32)
    course, grader = os.path.join(base, "course"), os.path.join(base, "grader")
    subst = {"REPO": rc.ROOT, "COURSE": course, "GRADER": grader, "EARLIER": os.path.join(base, "earlier"),
             "MARKER": marker, "SLEEP": sleep}
    team = RedTeam(base, course, grader, marker, sleep, secret, {})
    procs_before, files_before = _procs(), _entries()
    try:
        lookup = rc.hidden_cases("05_lstm", "honest_solution", os.path.join(rc.ROOT, "solutions"), secret)
        _write_course(base, secret, subst, team.attacks, lookup)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
        env["AUTOGRADER_SECRET"] = secret
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "/usr/bin:/bin")  # nbgrader's alembic
        common = ["-v", "--timeout", TIMEOUT, "--memory", MEMORY, "--source", os.path.join(course, "source")]
        db = os.path.join(grader, "db", "gradebook.db")
        for asg in rc.ASSIGNMENTS:
            res = os.path.join(grader, "results", asg)
            team.runs[asg] = _run(asg, _cli() + ["grade", asg, os.path.join(course, "submitted"),
                                                 "--db", f"sqlite:///{db}", "--results", res] + common,
                                  course, env, res, db)
            if asg == "02_rnn":
                team.results_02_before = _hashes(res)

        robust = os.path.join(base, "robust-course")
        os.makedirs(robust)
        team.dup_paths = tuple(_write_malformed(robust, subst))
        rdb = os.path.join(grader, "db-robust", "gradebook.db")
        rres = os.path.join(grader, "results", "robust")
        team.runs["robust"] = _run("robust", _cli() + ["grade", "02_rnn", os.path.join(robust, "submitted"),
                                                       *team.dup_paths, "--db", f"sqlite:///{rdb}",
                                                       "--results", rres] + common, course, env, rres, rdb)

        weak = os.path.join(base, "weak")
        os.makedirs(weak)
        wres = os.path.join(grader, "results", "weak")
        wenv = dict(env, AUTOGRADER_SECRET="course2026")
        team.runs["weak"] = _run("weak", _cli() + ["grade", "02_rnn",
                                                   os.path.join(course, "submitted", "honest_solution"),
                                                   "--no-gradebook", "--results", wres] + common, weak, wenv, wres)

        p = subprocess.run(_cli() + ["export", "--format", "csv", "--db", f"sqlite:///{db}", "--assignment", "02_rnn"],
                           cwd=course, env=env, capture_output=True, timeout=120)
        team.csv_rc, team.csv_text = p.returncode, p.stdout.decode("utf-8", "replace") + p.stderr.decode(
            "utf-8", "replace")

        for student in ("hidden_leak", "lookup_table"):
            asgs = ("02_rnn", "05_lstm") if student == "hidden_leak" else ("05_lstm",)
            for asg in asgs:
                team.hidden[(asg, student)] = rc.hidden_cases(asg, student, os.path.join(course, "source"),
                                                              secret)

        team.results_02_after = _hashes(os.path.join(grader, "results", "02_rnn"))
        # census: whatever the run started or wrote, and is still there (after two seconds' grace, for a kill
        # that is on its way)
        suspects = {pid: v for pid, v in _procs().items()
                    if marker in v[1] or marker in v[2] or sleep in v[1] or (v[0] == 65534 and pid not in procs_before)}
        time.sleep(2)
        now = _procs()
        for pid, (uid, cmd, comm) in suspects.items():
            if now.get(pid) == (uid, cmd, comm):
                team.survivors.append((pid, uid, cmd[:300], comm, _cgroup_of(pid)))
        for path, uid in _entries().items():
            if path not in files_before and (uid == 65534 or marker in os.path.basename(path)):
                team.new_files.append((path, uid))
        team.haystack = _haystack(team)
        yield team
    finally:
        _cleanup(base, marker, sleep, keep=bool(os.environ.get("REDTEAM_KEEP")))


def _hashes(d: str) -> dict:
    out = {}
    if os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            with open(os.path.join(d, f), "rb") as fh:
                out[f] = hashlib.sha256(fh.read()).hexdigest()
    return out


def _haystack(team: RedTeam) -> str:
    """Everything a person or a program downstream reads: the CLI's output, results, gradebooks, the CSV, and the
    names and contents of the files the census found."""
    parts = []
    for r in team.runs.values():
        parts += [r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")]
        parts += list(r.results_raw.values())
    for root, _dirs, files in os.walk(team.grader):
        for f in files:
            p = os.path.join(root, f)
            if p.endswith(".json"):
                continue  # read above
            with open(p, "rb") as fh:
                parts.append(fh.read(64 << 20).decode("latin-1"))
    parts.append(team.csv_text)
    for path, _uid in team.new_files:
        parts.append(path)
        try:
            if os.path.isfile(path):
                with open(path, "rb") as fh:
                    parts.append(fh.read(1 << 20).decode("utf-8", "replace"))
        except OSError:
            pass
    return "\n".join(parts)


def _cleanup(base: str, marker: str, sleep: str, keep: bool = False) -> None:
    """End the processes this session's attacks left (found by their marker, one by one) and remove their files
    (and the session's folder, unless ``keep``: set REDTEAM_KEEP=1 to look at a run afterwards)."""
    for pid, (_uid, cmd, comm) in _procs().items():
        if marker in cmd or marker in comm or f"sleep {sleep}" in cmd:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    for d in rc.SHARED:
        try:
            for e in os.scandir(d):
                if marker in e.name:
                    try:
                        shutil.rmtree(e.path) if e.is_dir(follow_symlinks=False) else os.unlink(e.path)
                    except OSError:
                        pass
        except OSError:
            pass
    if not keep:
        shutil.rmtree(base, ignore_errors=True)
