"""The red-team corpus, graded by the real CLI as root in one shared session (conftest.py): one test per promise
of issue 10, each with an automatic success criterion. README.md lists the attack classes.

A test here fails when an attack succeeds. Scores are read from the Gradescope results files; what "0 points"
means for a check is the attack's ``expect-zero`` line, "keeps full marks" its ``expect-full`` line.
"""

from __future__ import annotations

import csv
import io
import os

import pytest

import redteam_corpus as rc

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="the red-team run grades as root, as CI does")]


def _ids(asg: str) -> list[str]:
    from autograder.checks import chapter_checks
    return [c.id for c in chapter_checks(asg)]


def _stem(student: str) -> str:
    """The results file's stem of a student id, as the grader writes it (the id itself when it is a safe file
    name, else a safe form with a hash of the id, so two ids never share a file)."""
    from autograder.report import results_stem
    return results_stem(student)


def _doc(team, run: str, student: str) -> dict:
    r = team.runs[run]
    if student not in r.results and _stem(student) in r.results:
        return r.results[_stem(student)]
    if student not in r.results:
        pytest.fail(f"run {run!r} (rc {r.rc}) wrote no results file for {student!r}; the run's output ends:\n"
                    f"{r.tail()}")
    return r.results[student]


def _scores(doc) -> dict:
    from autograder.report import by_check
    return by_check(doc)


def _expectations(team, a: rc.Attack, run: str | None = None) -> list[str]:
    """What is wrong with the scores of attack ``a`` in ``run`` (default: its assignment's run)."""
    run = run or a.assignment
    s = _scores(_doc(team, run, a.student))
    asg = team.runs[run].argv[team.runs[run].argv.index("grade") + 1]
    bad = []
    for spec, want_zero in ((a.zero, True), (a.full, False)):
        for cid in (_ids(asg) if spec.strip() == "all" else spec.split()):
            if cid not in s:
                bad.append(f"{cid}: not in the results")
                continue
            got, top, out = s[cid]
            if want_zero and got != 0:
                bad.append(f"{cid}: {got:g} of {top:g} points for work not done; feedback: {out[:300]!r}")
            if not want_zero and got != top:
                bad.append(f"{cid}: {got:g} of {top:g} points, expected full marks; feedback: {out[:300]!r}")
    return bad


def _attack(team, name):
    return team.attacks[name]


def _assert_expectations(team, name, run=None):
    bad = _expectations(team, _attack(team, name), run)
    assert not bad, f"{name}: " + "; ".join(bad)


# --- honest students ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("run", ["02_rnn", "05_lstm", "robust"])
@pytest.mark.parametrize("student", ["honest_solution", "honest_print"])
def test_honest_students_keep_full_marks(redteam, run, student):
    doc = _doc(redteam, run, student)
    s = _scores(doc)
    asg = "05_lstm" if run == "05_lstm" else "02_rnn"
    assert set(s) == set(_ids(asg)), f"{student} in {run}: checks {sorted(s)}"
    for cid, (got, top, out) in s.items():
        assert got == top, f"{student} in {run}: {cid} scored {got:g} of {top:g}: {out[:300]}"


# --- points on what it did not solve ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", rc.snippets_of_class("solutions"))
def test_solutions_and_earlier_work_are_unreadable(redteam, name):
    """source/, --source from /proc/<grader>/cmdline, the checkout's solutions/, another checkout found by walking
    /, an earlier term's submissions: none is readable, so copying one earns nothing."""
    _assert_expectations(redteam, name)


@pytest.mark.parametrize("name", rc.snippets_of_class("grader-code"))
def test_grader_code_is_not_in_the_sandbox(redteam, name):
    """No check module or helper (lstm_cache, numerical_gradient, gradcheck_flags) can be found or replaced from
    the sandbox: verdicts are computed in the grader."""
    _assert_expectations(redteam, name)


@pytest.mark.parametrize("name", rc.snippets_of_class("forbidden"))
def test_forbidden_api_is_absent_whatever_its_spelling(redteam, name):
    _assert_expectations(redteam, name)


def test_padded_copy_of_the_reference_is_flagged(redteam):
    """sample_chars pasted from the reference with a no-op line after each of its lines: flagged as a copy."""
    doc = _doc(redteam, "02_rnn", "copy_padded")
    r = redteam.runs["02_rnn"]
    text = doc.get("output", "") + "\n" + "\n".join(
        ln for ln in r.stdout.decode("utf-8", "replace").splitlines() if "copy_padded" in ln)
    assert "sample_chars" in text and "cop" in text.lower(), f"not flagged; results output: {doc.get('output')!r}"


# --- hidden means hidden -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("asg", rc.ASSIGNMENTS)
def test_no_hidden_input_in_any_output(redteam, asg):
    """hidden_leak puts every float it receives into an exception's class name and message, stdout, file names,
    a forbidden import's name and wrong-shape outputs; no 12-digit string of any hidden input it received may
    appear in the CLI's output, the results files, the gradebook, the CSV or any file left in a shared folder."""
    hidden = redteam.hidden[(asg, "hidden_leak")]
    needles = rc.digit_needles(v for _c, _k, inputs, _e in hidden for v in rc.floats_of(inputs))
    assert len(needles) > 50, "too few hidden values to scan for: the scan would prove nothing"
    found = needles & rc.digit_windows(redteam.haystack)
    assert not found, (f"{len(found)} of {len(needles)} hidden input values of {asg} appear in the outputs, e.g. "
                       f"{sorted(found)[:3]}")
    _assert_expectations(redteam, f"hidden_leak_{asg[:2]}")


def test_secret_in_no_output(redteam):
    """secret_hunt reads environments, /proc, the secret file, module attributes and live strings, and puts any
    candidate into every channel: the course secret appears nowhere."""
    assert redteam.secret not in redteam.haystack
    _assert_expectations(redteam, "secret_hunt")


def test_hidden_inputs_are_drawn_per_student(redteam):
    """lookup_table answers from a table of the hidden cases another student (honest_solution) was sent; with
    inputs drawn per student it matches none of its own."""
    _assert_expectations(redteam, "lookup_table")


def test_guessable_secret_is_refused(redteam):
    r = redteam.runs["weak"]
    assert r.rc != 0 and not r.results, (f"graded with AUTOGRADER_SECRET=course2026 (rc {r.rc}, {len(r.results)} "
                                         f"results): {r.tail(600)}")


# --- another student's result read or changed ----------------------------------------------------------------------

def test_other_students_work_is_unreadable(redteam):
    """spy answers each exercise only if one kind of read worked (results, gradebook, submissions, /proc/*/root);
    neither it nor the daemon may have copied anything it read into a shared folder."""
    _assert_expectations(redteam, "spy")
    leaked = [p for p, _ in redteam.new_files if "-spy-" in p or "-daemon-read-" in p]
    assert not leaked, f"other students' files were read and copied to {leaked}"


def test_shared_drops_reach_nobody(redteam):
    """drop_writer (run 02_rnn) leaves answers and a poison flag in every shared folder; in the next run colluder
    (no code of its own) finds no answers and victim (honest, looks for the flag) keeps full marks."""
    bad = _expectations(redteam, _attack(redteam, "colluder")) + _expectations(redteam, _attack(redteam, "victim"))
    _assert_expectations(redteam, "drop_writer")
    assert not bad, "; ".join(bad)


def test_results_are_not_changed_afterwards(redteam):
    """The first run's results files are byte for byte what it wrote, after every later run and the daemon's
    attempts; each file's score is the gradebook's."""
    assert redteam.results_02_before, "run 02_rnn wrote no results"
    assert redteam.results_02_after == redteam.results_02_before
    r = redteam.runs["02_rnn"]
    rows = {_stem(s): row for (asg, s), row in r.gradebook.items() if asg == "02_rnn"}
    for stem, doc in r.results.items():
        assert stem in rows, f"{stem}: results file but no gradebook row"
        assert rows[stem]["score"] == pytest.approx(doc["score"]), stem


# --- a process or file left after the run -------------------------------------------------------------------------

def test_no_process_survives(redteam):
    """daemon (setsid, os._exit replaced, a double fork) and leftover (sleeps in new sessions): after the runs no
    process of uid 65534 started during the session, and none carrying the session's marker, is alive."""
    assert not redteam.survivors, f"{len(redteam.survivors)} process(es) outlived grading: {redteam.survivors[:5]}"
    for name in ("daemon", "leftover"):
        _assert_expectations(redteam, name)


def test_no_file_left_in_shared_folders(redteam):
    assert not redteam.new_files, (f"{len(redteam.new_files)} file(s) left in {rc.SHARED}: "
                                   f"{[p for p, _ in redteam.new_files][:8]}")


# --- memory of the sandbox or the grader past its limit ------------------------------------------------------------

def test_sandbox_memory_limit_counts_shared_mappings(redteam):
    """mmap_shared touches 2 GiB of MAP_SHARED memory under --memory 512; it scores on rnn_step_forward only if
    all of it was touched."""
    _assert_expectations(redteam, "mmap_shared")


def test_grader_memory_bounded_after_decompression(redteam):
    """npz_bomb sends four ~260 KB answers that inflate to 256 MiB each: the grader's peak RSS in that run stays
    within 384 MiB of the other run's (which has no bomb but more reference work)."""
    a, b = redteam.runs["02_rnn"].peak_rss, redteam.runs["05_lstm"].peak_rss
    assert a and b, "peak RSS not measured"
    assert a <= b + (384 << 20), f"grader peak RSS {a / 2**20:.0f} MiB with the bomb, {b / 2**20:.0f} MiB without"
    _assert_expectations(redteam, "npz_bomb")


def test_inode_limit(redteam):
    """many_files scores on rnn_forward only if 500,000 empty files could be made in its working folder."""
    _assert_expectations(redteam, "many_files")


# --- the run ended or anyone's grade lost ------------------------------------------------------------------------------

def test_malformed_notebooks_harm_nobody(redteam):
    """Six malformed submissions graded before everyone else: the honest students (and the duplicate stems) still
    get their results file and gradebook row."""
    r = redteam.runs["robust"]
    for student in ("honest_solution", "honest_print"):
        assert student in r.results, f"{student}: no results file (rc {r.rc}):\n{r.tail()}"
        assert ("02_rnn", student) in r.gradebook, f"{student}: no gradebook row (rc {r.rc}):\n{r.tail()}"
        assert r.results[student]["score"] == 12.0


@pytest.mark.parametrize("student", rc.MALFORMED)
def test_malformed_notebook_gets_its_own_row(redteam, student):
    """Each malformed submission gets its own results file and gradebook row with the same score; where its
    first solution cell is what is broken (a lone surrogate, 20,000 terms, a source that is a list, forged error
    fields), rnn_step_forward scores 0. (Metadata alone being odd may still be graded on its code.)"""
    r = redteam.runs["robust"]
    assert student in r.results, f"{student}: no results file (rc {r.rc}):\n{r.tail()}"
    row = r.gradebook.get(("02_rnn", student))
    assert row is not None, f"{student}: no gradebook row"
    assert row["score"] == pytest.approx(r.results[student]["score"])
    if student not in ("a_deep_json", "a_nbgrader_str"):
        s = _scores(r.results[student])
        assert s.get("ch02_rnn_step_forward", (None,))[0] == 0, s.get("ch02_rnn_step_forward")


# --- the instructor's screen and spreadsheet ---------------------------------------------------------------------------

def test_terminal_output_is_escaped(redteam):
    """ansi_escape's error text (ESC sequences, a newline starting a forged row) reaches the instructor's terminal
    escaped: no ESC byte in any run's output, no line that starts with the forged row."""
    for name, r in redteam.runs.items():
        for stream in (r.stdout, r.stderr):
            at = stream.find(b"\x1b")
            assert at < 0, f"run {name}: raw ESC in the output: {stream[max(0, at - 80):at + 120]!r}"
            forged = [ln for ln in stream.decode("utf-8", "replace").splitlines() if ln.startswith("FORGED-ROW")]
            assert not forged, f"run {name}: forged line(s) {forged[:2]}"
    _assert_expectations(redteam, "ansi_escape")


def test_csv_export_neutralises_formulas(redteam):
    """Students named =HYPERLINK(...) and @SUM(A1): no exported cell starts with =, +, - or @."""
    assert redteam.csv_rc == 0, redteam.csv_text[-800:]
    rows = list(csv.reader(io.StringIO(redteam.csv_text)))
    assert len(rows) > 5, redteam.csv_text[-800:]
    cells = [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@")]
    assert not cells, f"formula cells in the CSV: {cells}"
    for name in ('=HYPERLINK("evil.example","grade")', "@SUM(A1)"):
        _assert_expectations(redteam, name)


def test_results_files_never_collide(redteam):
    """A student named "honest solution" (blank work) beside honest_solution: each gradebook row has a results
    file of its own with the same score, so neither overwrites the other's."""
    r = redteam.runs["robust"]
    rows = {s: row for (asg, s), row in r.gradebook.items() if asg == "02_rnn"}
    assert "honest solution" in rows and "honest_solution" in rows, sorted(rows)
    stems = [_stem(s) for s in rows]
    clash = sorted({s for s in stems if stems.count(s) > 1})
    assert not clash, f"students whose results files have one name: {clash}"
    for s, row in rows.items():
        assert _doc(redteam, "robust", s)["score"] == pytest.approx(row["score"]), s


def test_duplicate_stems_are_an_error_naming_both(redteam):
    """Two files dup.ipynb (one honest, one blank) in one run: an error names both files; no row called dup holds
    the honest one's grade."""
    r = redteam.runs["robust"]
    out = (r.stdout + r.stderr).decode("utf-8", "replace") + "\n".join(r.results_raw.values())
    for p in redteam.dup_paths:
        assert p in out or os.path.relpath(p, redteam.base) in out, f"no error names {p}"
    row = r.gradebook.get(("02_rnn", "dup"))
    assert row is None or row["score"] == 0, f"dup holds {row['score']} points in the gradebook"
    assert "dup" not in r.results or r.results["dup"]["score"] == 0


def test_symlink_submission_is_not_followed(redteam):
    """submitted/symlinker/02_rnn/exercises.ipynb is a symlink to solutions/02_rnn/exercises.ipynb."""
    _assert_expectations(redteam, "symlinker")


def test_timestamp_txt_does_not_set_the_submission_time(redteam):
    """timestamper puts timestamp.txt (2001-02-03) beside its notebook."""
    row = redteam.runs["02_rnn"].gradebook.get(("02_rnn", "timestamper"))
    assert row is not None, "no gradebook row"
    assert row["timestamp"] is None or row["timestamp"].year != 2001, f"submission time {row['timestamp']}"
    _assert_expectations(redteam, "timestamper")
