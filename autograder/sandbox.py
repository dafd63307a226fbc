"""Run a student's code in a sandboxed child process: the fork-server and its client.

A :class:`ForkServer` starts ``python -m autograder.sandbox`` with a scrubbed environment; that process
imports numpy, torch and the check definitions once (never the reference, the solutions or the gradebook)
and forks one child per submission, so no submission pays the interpreter's start-up. The child:

1. starts a session, and when it runs as root unshares the mount, network and PID namespaces (each one
   that the kernel refuses is skipped and recorded in ``isolation``): a fresh tmpfs on ``/tmp`` and over
   every path in ``hide`` (the repository's reference, solutions, build and tests folders, the gradebook,
   the submissions), no network interface, and PID 1 of its own namespace so no process outlives it;
2. redirects stdout/stderr to a file in a fresh working directory, closes every other inherited fd;
3. sets rlimits (CPU, data, file size, open files, processes, no core), drops to ``nobody`` when root,
   sets ``no_new_privs``, and replaces the environment with a fixed minimal one;
4. runs the instructor's setup cells, then the solution sources in a fresh namespace whose ``__import__``
   refuses forbidden modules (a meta-path finder refuses them too);
5. answers each case the grader sends (inputs only) with ``to_plain(check.run(namespace, inputs))``.

Only :mod:`autograder.wire` messages cross (JSON + ``.npz`` loaded with ``allow_pickle=False``). The grader
compares, so nothing the child does can change a verdict except its own outputs.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from . import wire
from .forbidden import ALWAYS_FORBIDDEN, is_forbidden

__all__ = ["Limits", "ForkServer", "SandboxRun", "CaseOutput", "scrubbed_env"]

CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x40000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 4096, 1 << 14, 1 << 18
PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG = 38, 1
NOBODY = 65534


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. wall_s covers the whole submission (exec and every case). Output: the child's
    stdout and stderr go to a file in its working directory, never to the grader, capped by file_mb."""

    wall_s: float = 60.0
    cpu_s: int = 30
    memory_mb: int = 1024
    nproc: int = 32
    file_mb: int = 8
    nofile: int = 64


@dataclass
class CaseOutput:
    check: str
    case: str
    value: tuple | None = None      # the child's outputs, decoded as plain arrays (not yet trusted)
    error: str | None = None        # what went wrong in the child, shown to the student
    forbidden: str | None = None    # a forbidden import the runtime guard refused


@dataclass
class SandboxRun:
    exec_error: str | None = None
    outputs: list[CaseOutput] = field(default_factory=list)
    isolation: list[str] = field(default_factory=list)
    ended: str | None = None        # why the child stopped early (timeout, exit, crash)
    seconds: float = 0.0


def scrubbed_env(home: str = "/nonexistent") -> dict:
    """The fixed environment of the fork-server and of student code (no secret, no repository path)."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONNOUSERSITE": "1"}


# ---------------------------------------------------------------------------------------------------------
# The grader's side


class ForkServer:
    """A long-lived ``python -m autograder.sandbox`` process; :meth:`run` grades one submission in a child."""

    def __init__(self):
        self._lock = threading.Lock()
        self._proc = None
        self._ctrl = None

    def start(self) -> "ForkServer":
        if self._proc is not None and self._proc.poll() is None:
            return self
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        cwd = tempfile.mkdtemp(prefix="autograder-fs-")
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-m", "autograder.sandbox", str(child.fileno())],
            pass_fds=[child.fileno()], env=scrubbed_env(), cwd=cwd,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        child.close()
        self._ctrl = parent
        header, _ = wire.recv(parent)  # "ready" once numpy, torch and the checks are imported
        if header.get("op") != "ready":
            raise RuntimeError(f"fork-server did not start: {header}")
        return self

    def close(self):
        if self._proc is not None:
            try:
                self._proc.kill()
                self._proc.wait(5)
            except Exception:
                pass
            self._proc = None
        if self._ctrl is not None:
            self._ctrl.close()
            self._ctrl = None

    def run(self, setup: list[str], sources: list[str], plan: list[tuple[str, str, tuple]], *,
            limits: Limits = Limits(), hide: list[str] = (), forbidden_always=ALWAYS_FORBIDDEN) -> SandboxRun:
        """Run ``sources`` in a fresh sandboxed child and send it each ``(check_id, case_name, inputs)``."""
        t0 = time.monotonic()
        deadline = t0 + limits.wall_s
        out = SandboxRun()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with self._lock:
            self.start()
            req = {"op": "fork", "limits": limits.__dict__, "hide": list(hide), "forbidden": list(forbidden_always)}
            wire.send(self._ctrl, req)
            socket.send_fds(self._ctrl, [b"x"], [theirs.fileno()])
            reply, _ = wire.recv(self._ctrl)
        theirs.close()
        pid = reply["pid"]
        try:
            ours.settimeout(max(0.01, deadline - time.monotonic()))
            wire.send(ours, {"op": "exec", "setup": setup, "sources": sources})
            header, _ = wire.recv(ours)
            out.isolation = header.get("isolation", [])
            out.exec_error = header.get("error")
            for check_id, case_name, inputs in plan:
                co = CaseOutput(check_id, case_name)
                out.outputs.append(co)
                if out.ended:
                    co.error = out.ended
                    continue
                try:
                    spec, payload = wire.encode(inputs)
                    ours.settimeout(max(0.01, deadline - time.monotonic()))
                    wire.send(ours, {"op": "case", "check": check_id, "case": case_name, "inputs": spec}, payload)
                    header, payload = wire.recv(ours)
                    co.error = header.get("error")
                    co.forbidden = header.get("forbidden")
                    if co.error is None:
                        co.value = wire.decode(header["outputs"], payload)
                except (socket.timeout, TimeoutError):
                    out.ended = co.error = f"time limit: the submission ran past {limits.wall_s:g} s of wall-clock time"
                except (EOFError, ConnectionError, OSError):
                    out.ended = co.error = ("the submission's process ended before answering (sys.exit, os._exit, "
                                            "a crash, or a CPU/memory limit)")
                except (wire.WireError, ValueError, KeyError) as exc:
                    co.error = f"the submission's process sent malformed data ({exc})"
        except (socket.timeout, TimeoutError):
            out.exec_error = out.ended = f"time limit: the solution cells ran past {limits.wall_s:g} s"
        except (EOFError, ConnectionError, OSError, wire.WireError, ValueError):
            out.exec_error = out.ended = ("the submission's process ended while its solution cells ran "
                                          "(sys.exit, os._exit, a crash or a limit)")
        finally:
            ours.close()
            _kill_group(pid)
        if out.exec_error and not out.outputs:
            out.outputs = [CaseOutput(c, n, error=out.exec_error) for c, n, _ in plan]
        out.seconds = time.monotonic() - t0
        return out


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


# ---------------------------------------------------------------------------------------------------------
# The fork-server and the child (run as ``python -m autograder.sandbox FD``)

_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _mount(src, target, fstype, flags, data=None) -> bool:
    r = _c().mount(src.encode() if src else None, target.encode(), fstype.encode() if fstype else None,
                   ctypes.c_ulong(flags), data.encode() if data else None)
    return r == 0


def _isolate(limits: dict, hide: list[str]) -> tuple[list[str], str]:
    """Steps 1–3 of the module docstring, in the child. Returns (isolation notes, working directory)."""
    notes = []
    root = os.geteuid() == 0
    ns_ok = False
    if root and _c().unshare(CLONE_NEWNS) == 0 and _mount("none", "/", None, MS_REC | MS_PRIVATE):
        ns_ok = True
    if ns_ok and _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={limits['file_mb'] * 4 + 4}m,mode=1777"):
        notes.append("fresh /tmp")
        # the interpreter's own folders stay visible even when they lie under a hidden one (e.g. /root)
        expose = sorted({os.path.realpath(p) for p in [sys.base_prefix, sys.prefix] + sys.path
                         if p and os.path.isdir(p)})
        staged = {}
        for k, p in enumerate(expose):
            if any(p.startswith(h.rstrip("/") + "/") for h in hide):
                stage = f"/tmp/.expose{k}"
                os.mkdir(stage)
                if _mount(p, stage, None, MS_BIND | MS_REC):
                    staged[p] = stage
        for p in hide:
            if os.path.isdir(p):
                ok = _mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
            elif os.path.exists(p):
                ok = _mount("/dev/null", p, None, MS_BIND)
            else:
                continue
            if not ok:
                notes.append(f"could not hide {p}")
        for p, stage in staged.items():
            try:
                os.makedirs(p, exist_ok=True)
                _mount(stage, p, None, MS_BIND | MS_REC)
                _c().umount2(stage.encode(), 2)  # MNT_DETACH
                os.rmdir(stage)
            except OSError:
                notes.append(f"could not expose {p}")
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
        notes.append("grader paths hidden")
    else:
        notes.append("no mount namespace: grader paths protected by permissions only")
    if _c().unshare(CLONE_NEWNET) == 0:
        notes.append("no network")
    else:
        notes.append("network namespace unavailable")
    work = tempfile.mkdtemp(prefix="sub-", dir="/tmp")
    if root:
        os.chown(work, NOBODY, NOBODY)
    os.chdir(work)
    return notes, work


def _limits(limits: dict, drop: bool, notes: list[str]) -> None:
    def vm_data() -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
        return 0

    mem = vm_data() + limits["memory_mb"] * 2**20
    for res, val in ((resource.RLIMIT_CPU, limits["cpu_s"]), (resource.RLIMIT_DATA, mem),
                     (resource.RLIMIT_FSIZE, limits["file_mb"] * 2**20), (resource.RLIMIT_NOFILE, limits["nofile"]),
                     (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(res, (val, val))
    if drop:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        notes.append("runs as nobody")
    else:
        notes.append("runs as the grader's user (not root)")
    _c().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    notes.append(f"limits: {limits['cpu_s']} s CPU, {limits['memory_mb']} MiB data, {limits['file_mb']} MiB files")


class _Guard:
    """The runtime import guard: refuses ``always`` everywhere and ``current`` while a check runs."""

    def __init__(self, always):
        import builtins
        self.always = tuple(always)
        self.current: tuple = ()
        self.hit: str | None = None
        self.real = builtins.__import__

    def _refused(self, name):
        return is_forbidden(name, self.always) or is_forbidden(name, self.current)

    def __call__(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            names = [name] + [f"{name}.{f}" for f in (fromlist or ()) if isinstance(f, str)]
            for n in names:
                f = self._refused(n)
                if f:
                    self.hit = self.hit or n
                    raise ImportError(f"{n} is forbidden in this exercise ({f})")
        return self.real(name, globals, locals, fromlist, level)

    # meta-path finder protocol: refuse loading the forbidden modules at all
    def find_spec(self, fullname, path=None, target=None):
        if self._refused(fullname):
            self.hit = self.hit or fullname
            raise ImportError(f"{fullname} is forbidden in this exercise")
        return None


def _child(sock: socket.socket, req: dict) -> None:
    """The sandboxed child: never returns."""
    import builtins
    import copy
    import warnings

    import numpy as np

    from .checks import get_check
    from .compare import to_plain

    limits = req["limits"]
    root = os.geteuid() == 0
    if root and _c().unshare(CLONE_NEWPID) == 0:
        pid = os.fork()  # the grandchild is PID 1 of a new namespace: when it dies, everything it started dies
        if pid:
            sock.close()
            try:
                _, status = os.waitpid(pid, 0)
            finally:
                os._exit(0)
        pid_note = "own PID namespace"
    else:
        pid_note = "no PID namespace: process group killed after the submission"
    notes, work = _isolate(limits, req["hide"])
    notes.append(pid_note)
    out_fd = os.open(os.path.join(work, "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    if root:
        os.fchown(out_fd, NOBODY, NOBODY)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.closerange(3, sock.fileno())
    os.closerange(sock.fileno() + 1, 1 << 16)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writing past the file limit raises OSError instead
    _limits(limits, root, notes)
    os.environ.clear()
    os.environ.update(scrubbed_env(home=work))
    sys.path[:] = [p for p in sys.path if "site-packages" in p or p.startswith(sys.base_prefix)]

    guard = _Guard(req["forbidden"])
    for name in [m for m in sys.modules if is_forbidden(m, ("rnnbook", "autograder.reference", "nbgrader"))]:
        del sys.modules[name]  # never loaded by the fork-server; dropped here in case a check module did
    sys.meta_path.insert(0, guard)
    safe_builtins = dict(builtins.__dict__)
    safe_builtins["__import__"] = guard
    ns = {"__name__": "__main__", "__builtins__": safe_builtins}

    header, _ = wire.recv(sock)
    error = None
    import ast
    for src in header["setup"]:  # the instructor's setup cells, statement by statement (imports of the
        try:                     # grader's own package are refused by the guard and skipped)
            stmts = ast.parse(src).body
        except SyntaxError:
            stmts = []
        for st in stmts:
            try:
                exec(compile(ast.Module([st], []), "<setup>", "exec"), ns)
            except BaseException:
                pass
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for k, src in enumerate(header["sources"]):
            try:
                exec(compile(src, f"<solution cell {k + 1}>", "exec"), ns)
            except SystemExit as exc:
                error = f"a solution cell called sys.exit({exc.code!r})"
            except BaseException as exc:
                error = error or f"a solution cell raised {type(exc).__name__}: {str(exc)[:300]}"
    wire.send(sock, {"op": "ready", "isolation": notes, "error": error})
    while True:
        try:
            header, payload = wire.recv(sock)
        except EOFError:
            os._exit(0)
        reply: dict = {"error": None}
        out = b""
        try:
            check = get_check(header["check"])
            guard.current, guard.hit = tuple(check.forbidden), None
            inputs = wire.decode(header["inputs"], payload)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = check.run(ns, copy.deepcopy(inputs))
            spec, out = wire.encode(to_plain(result))
            reply["outputs"] = spec
        except SystemExit as exc:
            reply["error"] = f"called sys.exit({exc.code!r})"
        except KeyError as exc:
            reply["error"] = f"KeyError: {exc} (is the function defined, with the name the exercise gives?)"
        except BaseException as exc:
            reply["error"] = f"raised {type(exc).__name__}: {str(exc)[:300]}"
        finally:
            guard.current = ()
        if guard.hit:
            reply["forbidden"] = guard.hit
        wire.send(sock, reply, out)


def _serve(fd: int) -> None:
    import numpy  # noqa: F401  (imported once, shared by every child)
    import torch  # noqa: F401

    torch.set_num_threads(1)
    from . import checks, compare  # noqa: F401
    for ch in checks.ASSIGNMENTS:  # chapters still being written may not import yet
        try:
            checks.chapter_checks(ch)
        except Exception:
            pass
    wire.decode(*wire.encode((numpy.zeros(2), 1.0)))  # warm the lazy imports (zipfile, encodings) of the wire
    import encodings.cp437  # noqa: F401
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    ctrl = socket.socket(fileno=fd)
    wire.send(ctrl, {"op": "ready"})
    while True:
        try:
            req, _ = wire.recv(ctrl)
        except EOFError:
            return
        _msg, fds, _flags, _addr = socket.recv_fds(ctrl, 1, 1)
        data = socket.socket(fileno=fds[0])
        pid = os.fork()
        if pid == 0:
            try:
                ctrl.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.setsid()
                _c().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
                _child(data, req)
            finally:
                os._exit(0)
        data.close()
        wire.send(ctrl, {"pid": pid})


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
