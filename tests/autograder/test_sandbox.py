"""The sandbox's promises, one test each (the README's threat model names them). Run as root, as CI does."""

from __future__ import annotations

import errno
import glob
import os
import subprocess
import time

import numpy as np
import pytest

from autograder import sandbox, wire
from autograder.sandbox import Limits, Sandbox, SandboxError, StudentError, capabilities

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_full = pytest.mark.skipif(not capabilities().complete, reason=capabilities().summary())


def _run(src: str, fn: str = "f", args=(), limits=Limits(wall_s=20, memory_mb=400), **kw):
    with Sandbox(limits) as sb:
        ready = sb.exec_cells([("cell 1", src, False)])
        try:
            return ready, sb.call(fn, args, **kw)
        except StudentError as exc:
            return ready, exc


def _ours_running(marker="autograder-marker") -> list[str]:
    """Processes of this test still alive (their command line holds the marker; other sandboxes of the
    machine are not this test's)."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout.splitlines()
    return [line for line in out if marker in line and "ps -eo" not in line]


@needs_full
def test_allow_list_root_sees_no_course_file():
    ready, (listing, found) = _run(
        "import os\n"
        "def f(root):\n"
        "    hits = [p for p in (root + '/solutions', root + '/autograder/reference', root + '/README.md',\n"
        "            '/etc/passwd', '/var/tmp', '/run/lock', '/root/.bashrc') if os.path.exists(p)]\n"
        "    hits += [root + '/' + p for p in (os.listdir(root) if os.path.isdir(root) else ()) if p != '.venv']\n"
        "    return sorted(os.listdir('/')), hits\n", args=(ROOT,))
    assert found == []        # not the course (only its .venv, the interpreter), not /etc, no shared folder
    assert "home" not in listing and "var" not in listing and "run" not in listing


@needs_full
def test_grader_code_is_not_importable_and_not_loaded():
    _, mods = _run("import sys\n"
                   "def f():\n"
                   "    out = [m for m in sys.modules if m.startswith(('autograder', 'rnnbook', 'nbgrader'))]\n"
                   "    for m in ('autograder', 'rnnbook', 'nbgrader', 'autograder.checks'):\n"
                   "        try:\n"
                   "            __import__(m); out.append('imported ' + m)\n"
                   "        except ImportError:\n"
                   "            pass\n"
                   "    return out\n")
    # either nothing was found, or the attempts were refused and reported as forbidden uses
    assert mods == [] or (isinstance(mods, StudentError) and set(mods.forbidden) <= {"autograder", "rnnbook",
                                                                                        "nbgrader",
                                                                                        "autograder.checks"})


@needs_full
def test_runs_as_nobody_without_network_or_other_processes():
    _, (uid, pids, ifaces) = _run("import os, socket\n"
                                  "def f():\n"
                                  "    return os.getuid(), len([p for p in os.listdir('/proc') if p.isdigit()]),"
                                  " sorted(n for _, n in socket.if_nameindex())\n")
    assert uid == 65534 and pids <= 3 and ifaces in ([], ["lo"])


@needs_full
def test_seccomp_denies_ptrace_mount_and_namespaces():
    _, res = _run("import ctypes, os\n"
                  "libc = ctypes.CDLL(None, use_errno=True)\n"
                  "def f():\n"
                  "    out = []\n"
                  "    for call in (lambda: libc.ptrace(0, 0, 0, 0), lambda: libc.unshare(0x10000000),\n"
                  "                 lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)):\n"
                  "        out.append(int(call() == -1))\n"
                  "    return out\n")
    assert list(res) == [1, 1, 1]


@needs_full
def test_memory_limit_counts_shared_mappings():
    src = ("import mmap\n"
           "def f():\n"
           "    m = mmap.mmap(-1, 2 << 30, flags=mmap.MAP_SHARED)\n"
           "    for i in range(0, 2 << 30, 4096):\n"
           "        m[i] = 1\n"
           "    return 1\n")
    with pytest.raises(SandboxError, match="memory limit|ended"):
        _run(src, limits=Limits(wall_s=30, memory_mb=256))


@needs_full
def test_working_folder_has_an_inode_limit_and_a_size_limit():
    _, (files, big) = _run("import os\n"
                           "def f():\n"
                           "    n = 0\n"
                           "    try:\n"
                           "        for n in range(500000):\n"
                           "            open(f'/tmp/f{n}', 'w').close()\n"
                           "    except OSError:\n"
                           "        pass\n"
                           "    try:\n"
                           "        with open('/tmp/big', 'wb') as fh:\n"
                           "            fh.write(b'x' * (64 << 20))\n"
                           "        big = 1\n"
                           "    except OSError:\n"
                           "        big = 0\n"
                           "    return n, big\n")
    assert files < Limits().inodes and big == 0


@needs_full
def test_wall_clock_deadline_covers_the_whole_submission():
    t0 = time.monotonic()
    with pytest.raises(SandboxError, match="time limit"):
        _run("import time\ndef f():\n    time.sleep(60)\n", limits=Limits(wall_s=3))
    assert time.monotonic() - t0 < 15


def test_a_slow_sender_cannot_hold_a_reader_past_the_deadline():
    r, w = os.pipe()
    ch = wire.Channel(r, w, deadline=time.monotonic() + 1.0)
    os.write(w, b"\x05\x00\x00\x00")  # 4 of the 12 header bytes, then nothing: one byte at a time is as bad
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        ch.recv()
    assert time.monotonic() - t0 < 2.0
    os.close(r)
    os.close(w)


def test_payloads_are_bounded_before_they_are_held():
    spec, payload = wire.encode((np.zeros(4),))
    bad = {"t": "tuple", "items": [{"t": "arr", "dtype": "float64", "shape": [1 << 40], "off": 0, "n": 32}]}
    with pytest.raises(wire.WireError):
        wire.decode(bad, payload)
    deep = {"t": "tuple", "items": []}
    for _ in range(100):
        deep = {"t": "tuple", "items": [deep]}
    with pytest.raises(wire.WireError):
        wire.decode(deep, b"")
    assert np.array_equal(wire.decode(spec, payload)[0], np.zeros(4))


@needs_full
def test_nothing_survives_the_submission():
    before = set(glob.glob("/tmp/autograder-stage-*"))
    src = ("import os, time, signal\n"
           "def f():\n"
           "    if os.fork() == 0:\n"
           "        os.setsid()\n"
           "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
           "        if os.fork() == 0:\n"
           "            os.execv('/bin/sleep', ['autograder-marker', '300'])\n"
           "        os._exit(0)\n"
           "    time.sleep(0.5)\n"
           "    return 1\n")
    with Sandbox(Limits(wall_s=20)) as sb:
        sb.exec_cells([("cell 1", src, False)])
        assert sb.call("f", ()) == 1
        assert _ours_running()          # the daemon is alive while the submission runs
    assert _ours_running() == []        # and gone with it
    # what stays is the warm zygote's own sandbox (autograder/zygote.py), and it goes when released
    zygote_stages = {z.sb.stage for z in sandbox._zygotes.values()}
    assert set(glob.glob("/tmp/autograder-stage-*")) <= before | zygote_stages
    sandbox.release_zygotes()
    assert set(glob.glob("/tmp/autograder-stage-*")) <= before


@needs_full
@pytest.mark.skipif(not sandbox.ZYGOTE, reason="AUTOGRADER_ZYGOTE=0: a fresh sandbox per submission")
def test_submissions_forked_by_one_zygote_share_nothing():
    """Two submissions forked by the same warm zygote: what the first leaves (files in its working folder, in
    /tmp and /dev/shm, a daemon) the second never sees; each sees only its own
    processes (its own /proc, PID 1 of its own PID namespace), has no capability, cannot signal anything
    outside its namespace, and cannot open a pidfd."""
    first = ("import os, subprocess\n"
             "def f():\n"
             "    open('left.txt', 'w').write('x')\n"
             "    for p in ('/tmp/left.txt', '/dev/shm/left.txt'):\n"
             "        try:\n"
             "            open(p, 'w').write('x')\n"
             "        except OSError:\n"
             "            pass\n"
             "    subprocess.Popen(['autograder-marker3', '300'], executable='/bin/sleep', start_new_session=True)\n"
             "    return os.getpid()\n")
    second = ("import os, signal\n"
              "def f():\n"
              "    seen = [p for p in ('left.txt', '/tmp/left.txt', '/dev/shm/left.txt') if os.path.exists(p)]\n"
              "    procs = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
              "    hit = []\n"
              "    for pid in range(2, 200):\n"
              "        try:\n"
              "            os.kill(pid, 0)\n"
              "            hit.append(pid)\n"
              "        except OSError:\n"
              "            pass\n"
              "    cap = open('/proc/self/status').read().split('CapEff:')[1].split()[0]\n"
              "    try:\n"
              "        os.pidfd_open(1)\n"
              "        pidfd = 'opened'\n"
              "    except OSError as exc:\n"
              "        pidfd = exc.errno\n"
              "    return seen, procs, hit, cap, os.getpid(), pidfd\n")
    hosts = []
    for src in (first, second):
        with Sandbox(Limits(wall_s=20)) as sb:
            sb.exec_cells([("cell 1", src, False)])
            hosts.append(next(iter(sandbox._zygotes.values())).host)
            out = sb.call("f", ())
    assert hosts[0] == hosts[1], "both submissions came from one zygote"
    seen, procs, hit, cap, pid, pidfd = out
    assert seen == [] and procs == [1] and hit == [] and int(cap, 16) == 0 and pid == 1, out
    assert pidfd == errno.EPERM, out   # the child's own filter refuses pidfds
    assert _ours_running("autograder-marker3") == []


@needs_full
def test_sandboxes_die_with_the_grader(tmp_path):
    (tmp_path / "student.py").write_text(
        "import os, subprocess, time\ndef f():\n"
        "    subprocess.Popen(['autograder-marker2', '300'], executable='/bin/sleep', start_new_session=True)\n"
        "    time.sleep(300)\n")
    script = tmp_path / "grader.py"
    script.write_text("import sys; sys.path.insert(0, %r)\n"
                      "from autograder.sandbox import Sandbox, Limits\n"
                      "sb = Sandbox(Limits(wall_s=120)).start()\n"
                      "sb.exec_cells([('c', open(%r).read(), False)])\n"
                      "print('ready', flush=True)\n"
                      "sb.call('f', ())\n" % (ROOT, str(tmp_path / "student.py")))
    proc = subprocess.Popen([os.sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 10
    while not _ours_running("autograder-marker2") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ours_running("autograder-marker2")
    proc.kill()
    proc.wait(10)
    deadline = time.monotonic() + 10
    while _ours_running("autograder-marker2") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _ours_running("autograder-marker2") == []


@needs_full
def test_forbidden_api_is_absent_whatever_the_spelling():
    src = ("import torch\n"
           "def f():\n"
           "    cls = getattr(torch.nn, 'LSTM' + 'Cell')\n"
           "    return cls(2, 3)\n")
    with Sandbox(Limits(wall_s=60), torch=True) as sb:
        sb.exec_cells([("cell 1", src, False)])
        with pytest.raises(StudentError) as exc:
            sb.call("f", (), forbidden=("torch.nn.LSTMCell",))
        assert "torch.nn.LSTMCell" in exc.value.forbidden


@needs_full
@pytest.mark.parametrize("zygote", [True, False])
def test_forbidden_objects_are_absent_from_indexed_and_later_modules(monkeypatch, zygote):
    """The tripwires come from the index of bindings the zygote takes before its first fork (taken at the
    first such call without a zygote), and from walking every module loaded after it; the objects are back
    once the call returns."""
    monkeypatch.setattr(sandbox, "ZYGOTE", zygote)
    src = ("import sys, types, torch\n"
           "late = types.ModuleType('late_module')\n"
           "late.Cell = torch.nn.LSTMCell\n"
           "sys.modules['late_module'] = late\n"
           "def f():\n"
           "    import late_module\n"
           "    return [type(o).__name__ for o in (torch.nn.LSTMCell, torch.nn.modules.rnn.LSTMCell, late_module.Cell)]\n")
    with Sandbox(Limits(wall_s=60), torch=True) as sb:
        sb.exec_cells([("cell 1", src, False)])
        assert sb.call("f", (), forbidden=("torch.nn.LSTMCell",)) == ["_Tripwire"] * 3
        assert sb.call("f", ()) == ["type"] * 3
        assert sb.call("f", (), forbidden=("torch.nn.LSTMCell",)) == ["_Tripwire"] * 3


@needs_full
def test_a_zygote_outlives_the_thread_that_started_it():
    """bubblewrap's --die-with-parent fires when the thread that started it ends: a zygote started while the
    canary runs in its own thread must still serve the submissions after it."""
    import threading
    sandbox.release_zygotes()
    t = threading.Thread(target=lambda: Sandbox(Limits(wall_s=20)).start().close())
    t.start()
    t.join()
    time.sleep(0.5)
    (z,) = sandbox._zygotes.values()
    assert z.alive()
    with Sandbox(Limits(wall_s=20)) as sb:
        sb.exec_cells([("cell 1", "def f():\n    return 1\n", False)])
        assert sb.call("f", ()) == 1
    assert next(iter(sandbox._zygotes.values())) is z and z.alive()


@needs_full
def test_a_callback_never_computes_on_arrays_larger_than_the_call_s():
    """A grader function passed to the student's code (a loss and its gradients) runs on what the student's
    code passes it; arguments far larger than the call's own inputs end the sandbox before the grader
    computes anything on them."""
    src = ("import numpy as np\n"
           "def f(loss, x):\n"
           "    return loss(x), loss(np.zeros((2000, 2000)))\n")
    seen = []

    def loss(a):
        seen.append(np.shape(a))
        return float(np.sum(a))
    with Sandbox(Limits(wall_s=20)) as sb:
        sb.exec_cells([("cell 1", src, False)])
        with pytest.raises(SandboxError, match="malformed"):
            sb.call("f", (loss, np.ones(10)))
    assert seen == [(10,)]


@needs_full
def test_hidden_exception_text_never_comes_back():
    src = "def f(x):\n    raise type('H' + repr(x.tolist()), (Exception,), {})(repr(x.tolist()))\n"
    _, exc = _run(src, args=(np.array([0.123456789]),), reveal=False)
    assert isinstance(exc, StudentError)
    assert "0.123456789" not in str(exc) and exc.message is None
