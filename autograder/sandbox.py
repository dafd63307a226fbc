"""Run one submission's code in a fresh bubblewrap sandbox, and call its functions from the grader.

What the sandbox is (see the README's threat model; each promise is held by a test under tests/redteam and
tests/autograder/test_sandbox.py):

- **an allow-list root**: bubblewrap (``bwrap``) builds a new root holding only the interpreter, its
  packages (wherever they are installed: a virtual environment under ``/tmp`` works) and the system
  libraries, all read-only, with the grader's own packages masked; a private working folder (a tmpfs with
  a size and an inode limit) at ``/tmp``; a fresh ``/proc`` and a minimal ``/dev``. No other host path.
- **namespaces and user**: new user, PID, network, IPC, UTS and cgroup namespaces (no network device, no
  view of other processes), no further user namespaces, uid ``nobody`` (the real, host-side uid when the
  grader runs as root), no capabilities, ``no_new_privs``, and a seccomp filter that denies what a student
  function never needs (ptrace, mount, keyrings, bpf, namespaces, kernel modules, perf, io_uring...).
- **limits**: memory (shared mappings and tmpfs pages included) and process count by the kernel's cgroup
  controllers (v1 ``memory``/``pids`` or v2), CPU time, file size and open files by rlimits, and one wall-
  clock deadline for the whole submission, every message included.
- **nothing survives**: bwrap's PID 1 takes every process with it when the submission ends, when the
  deadline passes (the cgroup is killed), and when the grader dies (``--die-with-parent``); the working
  folder is a mount of a private namespace and vanishes with it; the cgroup is removed.

Where the machine lacks one of these (no root, no cgroups, no bwrap), :func:`capabilities` says what is not
enforced: ``autograder check`` runs with a one-line note, ``autograder grade`` refuses unless ``--unsafe``.

**A warm zygote** (:mod:`autograder.zygote`, on unless ``AUTOGRADER_ZYGOTE=0``): a full sandbox holds an
interpreter that has imported NumPy (and torch), and each submission's sandbox is a process it forks, moved into
the submission's cgroup by the grader and isolated by its own namespaces, read-only view, tmpfs, /proc,
dropped capabilities and seccomp filter before it reads the submission; starting one takes tens of
milliseconds instead of an interpreter's and torch's start-up.

Inside runs only :mod:`autograder.driver` (with :mod:`autograder.wire` and :mod:`autograder.zygote`). :class:`Sandbox` is the grader's
handle on one submission; :class:`RemoteNamespace` is what a check's ``run`` calls in the grader's process:
``ns["f"](*args)`` becomes one message to the driver and the raw result one message back.
"""

from __future__ import annotations

import atexit
import functools
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import dataclasses
from dataclasses import dataclass
from concurrent.futures import ThreadPoolExecutor

from . import wire
from .spec import Callback

__all__ = ["Limits", "Sandbox", "SandboxError", "RemoteNamespace", "Callback", "capabilities", "Capabilities",
           "StudentError", "sweep", "release_zygotes", "warm"]

NOBODY = 65534
HERE = os.path.dirname(os.path.abspath(__file__))
DRIVER_FILES = [os.path.join(HERE, "driver.py"), os.path.join(HERE, "wire.py"), os.path.join(HERE, "zygote.py")]
# one warm interpreter per grading thread that forks each submission's process (autograder/zygote.py); off: 0
ZYGOTE = os.environ.get("AUTOGRADER_ZYGOTE", "1") != "0"
LAUNCHER = os.path.join(HERE, "launch.py")
OWN_PACKAGES = ("autograder", "rnnbook", "nbgrader")
ENV_PASS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "CUDA_VISIBLE_DEVICES")
# What a student's function never needs; each is refused with EPERM (clone3 with ENOSYS, so that the
# C library falls back to clone, whose namespace flags are refused below).
SECCOMP_DENY = ("ptrace", "mount", "umount2", "pivot_root", "chroot", "keyctl", "add_key", "request_key", "bpf",
                "unshare", "setns", "perf_event_open", "kexec_load", "kexec_file_load", "init_module",
                "finit_module", "delete_module", "reboot", "swapon", "swapoff", "userfaultfd",
                "process_vm_readv", "process_vm_writev", "acct", "quotactl", "syslog", "io_uring_setup",
                "io_uring_enter", "io_uring_register", "open_by_handle_at", "name_to_handle_at", "fanotify_init",
                "lookup_dcookie", "move_mount", "open_tree", "fsopen", "fsmount", "fspick", "mount_setattr",
                "settimeofday", "clock_settime", "adjtimex", "sethostname", "setdomainname", "vhangup")
CLONE_NS_FLAGS = 0x7E020000
BUILTIN_EXCEPTIONS = frozenset(n for n, v in vars(__import__("builtins")).items()
                               if isinstance(v, type) and issubclass(v, BaseException))  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. wall_s is one deadline for the whole submission (start, cells, every call)."""

    wall_s: float = 60.0
    cpu_s: int = 30
    memory_mb: int = 1024
    nproc: int = 32
    file_mb: int = 16          # the working folder (a tmpfs) and any one file in it
    inodes: int = 2048         # files and folders in the working folder
    nofile: int = 64
    call_s: float = 20.0       # one call of a student's function (a case), within wall_s


class SandboxError(RuntimeError):
    """The sandbox could not be started or ended early (a limit, a crash, the deadline); ``str`` says which."""


class StudentError(Exception):
    """The student's function raised (``kind`` is the exception's type name, ``message`` is only set when
    the call was made with ``reveal``) or used a forbidden API (``forbidden``)."""

    def __init__(self, kind: str, message: str | None = None, forbidden=()):
        super().__init__(kind if not message else f"{kind}: {message}")
        self.kind, self.message, self.forbidden = kind, message, tuple(forbidden)


# ---------------------------------------------------------------------------------------------------------
# What this machine can enforce


@dataclass
class Capabilities:
    root: bool
    bwrap: str | None
    cgroup: str | None          # "v1" or "v2"
    seccomp: bool
    missing: list[str]

    @property
    def complete(self) -> bool:
        return not self.missing

    def summary(self) -> str:
        if self.complete:
            return "sandbox: bubblewrap, cgroup memory and pids limits, seccomp, unprivileged user"
        return "sandbox: not enforced on this machine: " + "; ".join(self.missing)


_caps: Capabilities | None = None
_caps_lock = threading.Lock()


def _cgroup_paths() -> dict:
    """The grader's own cgroup per controller: {"memory": dir, "pids": dir} (v1), or {"v2": dir}."""
    out = {}
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        for c in ctrls.split(","):
            if c in ("memory", "pids"):
                d = os.path.join("/sys/fs/cgroup", c) + path
                if os.path.isdir(d) and os.access(d, os.W_OK):
                    out[c] = d
        if ctrls == "" and not {"memory", "pids"} <= set(out):
            for mnt in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
                d = mnt + path
                try:
                    with open(os.path.join(mnt, "cgroup.controllers")) as f:
                        have = f.read().split()
                except OSError:
                    continue
                if {"memory", "pids"} <= set(have) and os.access(d, os.W_OK):
                    out = {"v2": d}
                    break
    return out


def capabilities() -> Capabilities:
    """What this machine gives the sandbox (computed once per process)."""
    global _caps
    with _caps_lock:
        if _caps is not None:
            return _caps
        root = os.geteuid() == 0
        missing = []
        bwrap = shutil.which("bwrap")
        if bwrap:
            try:
                r = subprocess.run([bwrap, "--unshare-all", "--ro-bind", "/", "/", "--", "/bin/true"],
                                   capture_output=True, timeout=20)
                if r.returncode != 0:
                    missing.append("bubblewrap cannot make namespaces here (" +
                                   r.stderr.decode(errors="replace").strip()[:80] + ")")
                    bwrap = None
            except (OSError, subprocess.TimeoutExpired):
                bwrap = None
                missing.append("bubblewrap does not run")
        else:
            missing.append("no bubblewrap (apt-get install bubblewrap): no fresh root, no namespaces")
        cg = _cgroup_paths() if root else {}
        cgroup = "v2" if "v2" in cg else "v1" if {"memory", "pids"} <= set(cg) else None
        if cgroup is None:
            missing.append("no cgroup memory and pids limits (needs root and the controllers): memory "
                           "by RLIMIT_AS only, no process-count limit")
        if not root:
            missing.append("not root: student code runs as your own user")
        try:
            import pyseccomp
            seccomp = bool(pyseccomp.SyscallFilter)
        except (ImportError, OSError):
            seccomp = False
            missing.append("no seccomp filter (pip install pyseccomp; needs libseccomp)")
        _caps = Capabilities(root, bwrap, cgroup, seccomp, missing)
        if root:
            try:
                sweep()
            except OSError:
                pass
        return _caps


_seccomp_files: dict[str, str] = {}
# what each filter adds to or lets through of SECCOMP_DENY: the zygote's lets ``unshare`` and ``mount`` through
# (its children isolate themselves with them); a zygote child's refuses pidfds too (one opened from /proc/<pid>
# could signal the zygote)
_SECCOMP_KINDS = {"sandbox": ((), ()), "zygote": ((), ("unshare", "mount")),
                  "zygote-child": (("pidfd_open", "pidfd_send_signal", "pidfd_getfd"), ())}


def _seccomp_bpf(kind: str = "sandbox") -> str | None:
    """A BPF program file, written once per process: for bwrap's ``--seccomp`` (``sandbox``, ``zygote``), or
    the one a zygote's child loads whole after isolating itself and before any student code runs
    (``zygote-child``; autograder/zygote.py)."""
    cached = _seccomp_files.get(kind)
    if cached and os.path.exists(cached):
        return cached
    import errno

    import pyseccomp as sc
    extra, allowed = _SECCOMP_KINDS[kind]
    f = sc.SyscallFilter(sc.ALLOW)
    for name in SECCOMP_DENY + extra:
        if name in allowed:
            continue
        try:
            f.add_rule(sc.ERRNO(errno.EPERM), name)
        except Exception:  # noqa: BLE001 - a syscall this kernel/arch does not have
            pass
    try:
        f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
        f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_NS_FLAGS, CLONE_NS_FLAGS))
        for bit in range(17, 31):
            if CLONE_NS_FLAGS & (1 << bit):
                f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, 1 << bit, 1 << bit))
    except Exception:  # noqa: BLE001
        pass
    fd, path = tempfile.mkstemp(prefix="autograder-seccomp-", suffix=".bpf")
    with os.fdopen(fd, "wb") as out:
        f.export_bpf(out)
    _seccomp_files[kind] = path
    atexit.register(lambda: os.path.exists(path) and os.unlink(path))
    return path


# ---------------------------------------------------------------------------------------------------------
# cgroups


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def sweep() -> int:
    """Remove what a grader that was killed (SIGKILL, a crash) left: its submissions' cgroups (their
    processes already died with it, by --die-with-parent) and empty staging folders. Returns how many."""
    n = 0
    roots = list(_cgroup_paths().values())
    for root in roots:
        for d in glob.glob(os.path.join(root, "autograder-*-*")):
            try:
                pid = int(os.path.basename(d).split("-")[1])
            except (IndexError, ValueError):
                continue
            if not _alive(pid):
                cg = _Cgroup.__new__(_Cgroup)
                cg.dirs = [d]
                cg.kill_and_remove()
                n += 1
    for d in glob.glob(os.path.join(tempfile.gettempdir(), "autograder-stage-*-*")):
        try:
            pid = int(os.path.basename(d).split("-")[2])
        except (IndexError, ValueError):
            continue
        if not _alive(pid):
            shutil.rmtree(d, ignore_errors=True)
            n += 1
    return n


class _Cgroup:
    """One submission's cgroup(s): created with limits, killed and removed after."""

    def __init__(self, caps: Capabilities, limits: Limits):
        self.dirs = []
        if caps.cgroup is None:
            return
        name = f"autograder-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        base = _cgroup_paths()
        mem = limits.memory_mb << 20
        if caps.cgroup == "v2":
            d = os.path.join(base["v2"], name)
            os.mkdir(d)
            self.dirs = [d]
            self._w(d, "memory.max", mem)
            self._w(d, "memory.swap.max", 0, optional=True)
            self._w(d, "pids.max", limits.nproc)
        else:
            dm, dp = os.path.join(base["memory"], name), os.path.join(base["pids"], name)
            os.mkdir(dm)
            os.mkdir(dp)
            self.dirs = [dm, dp]
            self._w(dm, "memory.limit_in_bytes", mem)
            self._w(dm, "memory.memsw.limit_in_bytes", mem, optional=True)
            self._w(dm, "memory.swappiness", 0, optional=True)
            self._w(dp, "pids.max", limits.nproc)

    @staticmethod
    def _w(d, f, v, optional=False):
        try:
            with open(os.path.join(d, f), "w") as fh:
                fh.write(str(v))
        except OSError:
            if not optional:
                raise

    @property
    def procs_files(self) -> list[str]:
        return [os.path.join(d, "cgroup.procs") for d in self.dirs]

    def pids(self) -> list[int]:
        out = set()
        for p in self.procs_files:
            try:
                with open(p) as f:
                    out |= {int(x) for x in f.read().split()}
            except OSError:
                pass
        return sorted(out)

    def memory_exceeded(self) -> bool:
        for d in self.dirs:
            for f, key in (("memory.oom_control", "oom_kill "), ("memory.events", "oom_kill ")):
                try:
                    with open(os.path.join(d, f)) as fh:
                        for line in fh:
                            if line.startswith(key) and int(line.split()[1]) > 0:
                                return True
                except OSError:
                    pass
            try:
                with open(os.path.join(d, "memory.failcnt")) as fh:
                    if int(fh.read()) > 0:
                        return True
            except (OSError, ValueError):
                pass
        return False

    def kill_and_remove(self) -> None:
        for k in range(400):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.001 if k < 20 else 0.01)   # a killed process is usually gone within a millisecond
        for d in self.dirs:
            for _ in range(100):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


# ---------------------------------------------------------------------------------------------------------
# The sandbox of one submission


def _allowed_paths() -> list[str]:
    """The host paths bound read-only: the interpreter and its packages (the prefixes, and the
    ``site-packages``/``dist-packages`` folders on ``sys.path``). Never the working directory or a source
    checkout that ``sys.path`` may also hold (``python -m`` puts the course folder there)."""
    prefixes = {os.path.realpath(p) for p in [sys.base_prefix, sys.prefix, sys.exec_prefix] if p}
    paths = set(prefixes)
    for p in sys.path:
        if not p or not os.path.isdir(p):
            continue
        rp = os.path.realpath(p)
        if os.path.basename(rp) in ("site-packages", "dist-packages") or any(
                rp.startswith(q.rstrip("/") + "/") for q in prefixes):
            paths.add(rp)
    if sys.prefix != sys.base_prefix:
        paths.add(os.path.abspath(sys.prefix))  # the venv as the interpreter names it (symlinks included)
    out = sorted(paths)
    return [p for p in out if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in out)]


@functools.lru_cache(maxsize=None)
def _host_binds() -> tuple[str, ...]:
    """Every host path a sandbox binds read-only: the interpreter's (:func:`_allowed_paths`) and the system's
    libraries. The same for every submission of this process, so found once."""
    binds = _allowed_paths()
    for p in ("/usr", "/etc/ld.so.cache", "/etc/alternatives"):
        if os.path.exists(p) and not any(p.startswith(b.rstrip("/") + "/") or p == b for b in binds):
            binds.append(p)
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        if os.path.isdir("/" + name) and not os.path.islink("/" + name):
            binds.append("/" + name)
    return tuple(binds)


@functools.lru_cache(maxsize=None)
def _masked_paths() -> tuple[str, ...]:
    """Our own packages where they are installed inside a bound folder (a non-editable install)."""
    out = []
    for p in sys.path:
        if not p or "-packages" not in p or not os.path.isdir(p):
            continue
        for pkg in OWN_PACKAGES:
            d = os.path.join(os.path.realpath(p), pkg)
            if os.path.isdir(d):
                out.append(d)
    return tuple(sorted(set(out)))


class Sandbox:
    """One submission's sandbox: :meth:`start`, :meth:`exec_cells`, then calls; :meth:`close` always.

    Every message shares one deadline, ``start + limits.wall_s``; past it the sandbox is killed and the
    current and later calls raise :class:`SandboxError` with the reason.
    """

    def __init__(self, limits: Limits = Limits(), *, torch: bool = False, unsafe: bool = False,
                 deadline: float | None = None):
        self.limits, self.torch, self.unsafe = limits, torch, unsafe
        self._given_deadline = deadline
        self.caps = capabilities()
        self.notes: list[str] = []
        self.ended: str | None = None
        self.proc = None
        self.cgroup = None
        self.stage = None
        self.work = None
        self.deadline = None
        self.ch = None
        self.started = 0.0
        self._zygote_cfg: dict | None = None   # set on a zygote's own sandbox (see _Zygote)
        self.start_reply: dict = {}

    # -- life cycle --------------------------------------------------------------------------------------

    def _bwrap_args(self, stage_binds: list[tuple[str, str]], driver_dir: str, work: str) -> list[str]:
        # a zygote's children make their own namespaces (then refuse further ones by seccomp): no --disable-userns
        a = [self.caps.bwrap, "--unshare-all", "--unshare-user", *([] if self._zygote_cfg else ["--disable-userns"]),
             "--die-with-parent", "--new-session",
             "--uid", str(NOBODY), "--gid", str(NOBODY), "--hostname", "sandbox", "--cap-drop", "ALL",
             "--clearenv"]
        for k, v in self._env().items():
            a += ["--setenv", k, v]
        for name in ("bin", "lib", "lib32", "lib64", "sbin"):
            p = "/" + name
            if os.path.islink(p):
                a += ["--symlink", os.readlink(p), p]
        # the private /tmp first: an interpreter installed under /tmp is bound over it afterwards, read-only
        a += ["--bind", work, "/tmp"]
        for src, dst in stage_binds:
            a += ["--ro-bind", src, dst]
        for m in _masked_paths():
            a += ["--tmpfs", m]
        a += ["--proc", "/proc", "--dev", "/dev"]
        for dev in sorted(os.listdir("/dev")):
            if dev.startswith("nvidia"):
                a += ["--dev-bind", f"/dev/{dev}", f"/dev/{dev}"]
        a += ["--ro-bind", driver_dir, "/sandbox", "--chdir", "/tmp"]
        if self.caps.seccomp:
            a += ["--seccomp", "5"]
        a += ["--", sys.executable, "-I", "-B", "-c",
              "import sys; sys.path.insert(0, '/sandbox'); import driver; driver.main()"]
        return a

    def _env(self) -> dict:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
        env.update({k: os.environ[k] for k in ENV_PASS if k in os.environ})
        return env

    def start(self) -> "Sandbox":
        caps, lim = self.caps, self.limits
        if not caps.complete and not self.unsafe:
            raise SandboxError(caps.summary() + " (pass --unsafe to run anyway)")
        if ZYGOTE and self._zygote_cfg is None and caps.complete:
            return self._start_in_zygote()
        self.started = time.monotonic()
        self.deadline = self._given_deadline or self.started + lim.wall_s
        if self._zygote_cfg is not None:   # a zygote: one Unix socket (it passes pipe ends), four distinct fds
            import socket
            a, b = socket.socketpair()
            w_in, r_in = a.detach(), b.detach()
            r_out, w_out = os.dup(w_in), os.dup(r_in)
        else:
            r_in, w_in = os.pipe()      # grader -> driver
            r_out, w_out = os.pipe()    # driver -> grader
        rl = {"RLIMIT_CPU": int(lim.cpu_s), "RLIMIT_FSIZE": lim.file_mb << 20, "RLIMIT_NOFILE": lim.nofile,
              "RLIMIT_CORE": 0}
        binds = list(_host_binds())
        cfg = {"fd_in": r_in, "fd_out": w_out, "rlimits": rl, "root": caps.root and bool(caps.bwrap)}
        try:
            self.cgroup = _Cgroup(caps, lim)
            cfg["cgroups"] = self.cgroup.procs_files
            if caps.cgroup is None:
                rl["RLIMIT_AS"] = (lim.memory_mb + (2048 if self.torch else 512)) << 20
            if caps.bwrap and caps.root:
                self.stage = tempfile.mkdtemp(prefix=f"autograder-stage-{os.getpid()}-")
                os.chmod(self.stage, 0o755)
                cfg.update(stage=self.stage, binds=binds, driver_files=DRIVER_FILES, work_bytes=lim.file_mb << 20,
                           inodes=lim.inodes)
                staged = [(os.path.join(self.stage, f"b{k}"), p) for k, p in enumerate(binds)]
                cfg["bwrap"] = self._bwrap_args(staged, os.path.join(self.stage, "driver"),
                                                os.path.join(self.stage, "work"))
            else:
                self.work = tempfile.mkdtemp(prefix="autograder-work-")
                drv = os.path.join(self.work, ".driver")
                os.mkdir(drv)
                for f in DRIVER_FILES:
                    shutil.copy(f, drv)
                if caps.bwrap:
                    sub = os.path.join(self.work, "tmp")
                    os.mkdir(sub)
                    cfg["bwrap"] = self._bwrap_args([(p, p) for p in binds], drv, sub)
                else:
                    cfg["bwrap"] = [sys.executable, "-I", "-B", "-c",
                                    f"import sys, os; os.chdir({self.work!r}); sys.path.insert(0, {drv!r}); "
                                    "import driver; driver.main()"]
            if caps.seccomp and caps.bwrap:
                cfg["seccomp"] = _seccomp_bpf("zygote" if self._zygote_cfg is not None else "sandbox")
            # launch.py needs only the standard library: run it by its path, without site-packages (-S)
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", LAUNCHER, json.dumps(cfg)],
                pass_fds=(r_in, w_out), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, cwd=self.work or "/", env={"PATH": "/usr/bin:/bin"},
                start_new_session=True)
        finally:
            os.close(r_in)
            os.close(w_out)
        self.ch = wire.Channel(r_out, w_in, deadline=self.deadline, max_payload=64 << 20)
        self._wfd, self._rfd = w_in, r_out
        return self._handshake({"op": "start", "torch": bool(self.torch), **(
            {"zygote": self._zygote_cfg} if self._zygote_cfg is not None else {})})

    def _handshake(self, header: dict) -> "Sandbox":
        """Send ``start`` and wait for ``started`` (kept in :attr:`start_reply`); any failure closes the sandbox
        and raises a one-line :class:`SandboxError` (the launcher's last stderr line when it said why)."""
        self.notes.append(self.caps.summary())
        try:
            self.ch.send(header)
            reply, _ = self._recv()
            if reply.get("op") != "started":
                raise SandboxError("the sandbox did not start")
            self.start_reply = reply
        except SandboxError as exc:
            err = self._stderr() or str(exc)
            self.close()
            raise SandboxError(f"the sandbox did not start: {err}") from None
        return self

    def _start_in_zygote(self) -> "Sandbox":
        """This submission's process forked by the warm zygote of its kind (autograder/zygote.py), moved into
        its own cgroup before it reads a byte of the submission."""
        caps, lim = self.caps, self.limits
        try:
            z = _zygote_for(self.torch, lim)
            host, r_out, w_in = z.spawn()
        except (OSError, SandboxError, TimeoutError, ValueError) as first:
            _drop_zygote(self.torch, lim)   # a zygote that died or misbehaved: a fresh one, once
            try:
                host, r_out, w_in = _zygote_for(self.torch, lim).spawn()
            except (OSError, SandboxError, TimeoutError, ValueError) as exc:
                raise SandboxError(f"the sandbox did not start: {exc or first}") from None
        self.started = time.monotonic()
        self.deadline = self._given_deadline or self.started + lim.wall_s
        self._wfd, self._rfd = w_in, r_out
        self.ch = wire.Channel(r_out, w_in, deadline=self.deadline, max_payload=64 << 20)
        try:
            self.cgroup = _Cgroup(caps, lim)
            for procs in self.cgroup.procs_files:
                with open(procs, "w") as f:
                    f.write(str(host))
        except OSError as exc:
            self.close()
            raise SandboxError(f"the sandbox did not start: cannot place it in its cgroup ({exc})") from None
        return self._handshake({"op": "start"})

    def _stderr(self) -> str:
        try:
            if self.proc and self.proc.poll() is not None and self.proc.stderr:
                return self.proc.stderr.read(2000).decode(errors="replace").strip().splitlines()[-1:][0]
        except (OSError, IndexError, ValueError):
            pass
        return ""

    def _kill(self) -> None:
        """Every process of the submission: its cgroup, then bwrap's session."""
        if self.cgroup is not None:
            self.cgroup.kill_and_remove()
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def close(self) -> None:
        """Kill everything of the submission and remove its traces (idempotent)."""
        self._kill()
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            if self.proc.stderr:
                self.proc.stderr.close()
            self.proc = None
        for fd in (getattr(self, "_wfd", None), getattr(self, "_rfd", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._wfd = self._rfd = None
        for d in (self.stage, self.work):
            if d:
                shutil.rmtree(d, ignore_errors=True)
        self.stage = self.work = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- messages ----------------------------------------------------------------------------------------

    def _end(self, why: str):
        if self.ended is None:
            self.ended = why
            mem = self.cgroup is not None and self.cgroup.memory_exceeded()
            if mem:
                self.ended = f"memory limit: the submission used more than {self.limits.memory_mb} MiB"
            self._kill()
        raise SandboxError(self.ended)

    def _recv(self):
        if self.ended:
            raise SandboxError(self.ended)
        try:
            return self.ch.recv()
        except TimeoutError:
            if self.ch.deadline < self.deadline:
                self._end(f"time limit: one call ran past {self.limits.call_s:g} s")
            self._end(f"time limit: the submission ran past {self.limits.wall_s:g} s of wall-clock time")
        except EOFError:
            self._end("the submission's process ended (sys.exit, os._exit, a crash, or a CPU, memory or "
                      "process limit)")
        except (wire.WireError, OSError, ValueError) as exc:
            self._end(f"the submission's process sent malformed data ({type(exc).__name__})")

    def _send(self, header, payload=b""):
        if self.ended:
            raise SandboxError(self.ended)
        try:
            self.ch.send(header, payload)
        except TimeoutError:
            self._end(f"time limit: the submission ran past {self.limits.wall_s:g} s of wall-clock time")
        except (OSError, ValueError):
            self._end("the submission's process ended (sys.exit, os._exit, a crash, or a CPU, memory or "
                      "process limit)")

    def exec_cells(self, cells: list[tuple[str, str]], always_forbidden=()) -> dict:
        """Run ``[(label, source, tolerant), ...]`` in order (a tolerant cell runs statement by statement and
        its failures are skipped: the instructor's set-up); returns {"error": {"cell", "type"} | None,
        "skipped": [magics skipped]}."""
        self._send({"op": "exec", "cells": [list(c) for c in cells], "always_forbidden": list(always_forbidden)})
        header, _ = self._recv()
        if header.get("op") != "ready":
            self._end("the submission's process sent malformed data")
        err = header.get("error")
        if err is not None and not (type(err) is dict and type(err.get("cell")) is str and type(err.get("type")) is str):
            self._end("the submission's process sent malformed data")
        skipped = header.get("skipped")
        skipped = [s for s in skipped if type(s) is str][:20] if type(skipped) is list else []
        if err is not None and (err["cell"] not in {c[0] for c in cells} or err["type"] not in BUILTIN_EXCEPTIONS):
            err = {"cell": err["cell"] if err["cell"] in {c[0] for c in cells} else "a cell",
                   "type": err["type"] if err["type"] in BUILTIN_EXCEPTIONS else "an exception"}
        forb = header.get("forbidden")
        allowed = tuple(always_forbidden) + ("autograder", "rnnbook", "nbgrader")
        forb = [f for f in forb if type(f) is str and f in allowed][:5] if type(forb) is list else []
        return {"error": err, "skipped": skipped, "forbidden": forb}

    def call(self, fn: str, args: tuple, *, forbidden=(), reveal=False, return_args=False, op="call", dtype=None):
        """``fn(*args)`` in the sandbox; returns its result (and the arguments after the call, with
        ``return_args``). Raises :class:`StudentError` when the student's code raised or used a forbidden API,
        :class:`SandboxError` when the sandbox ended."""
        cbs: dict[int, Callback] = {}
        sync = {}

        def register(f):
            k = len(cbs) + 1
            cb = f if isinstance(f, Callback) else Callback(f)
            cbs[k] = cb
            if cb.sync:
                sync[str(k)] = sorted(cb.sync)
            return k
        spec, payload = wire.encode(tuple(args), callback=register)
        budget = 16 * _elements(args) + 65536   # what one callback's arguments may hold (array elements, bytes)
        hdr = {"op": op, "fn": fn, "args": spec, "forbidden": list(forbidden), "reveal": bool(reveal),
               "return_args": bool(return_args), "sync": sync}
        if dtype:
            hdr["dtype"] = dtype
        # one call may use at most call_s of the submission's time: past it the sandbox ends (and the grader
        # may start a fresh one for the next exercise), so one looping function costs only its exercise
        self.ch.deadline = min(self.deadline, time.monotonic() + self.limits.call_s)
        self._send(hdr, payload)
        while True:
            header, payload = self._recv()
            kind = header.get("op")
            if kind == "callback":
                self._serve_callback(cbs, header, payload, budget)
                continue
            forb = header.get("forbidden")
            # only the names this call forbade can come back: the list lives in the student's process, so
            # anything else appended to it would be a channel out of the sandbox
            forb = [f for f in forb if type(f) is str and f in forbidden][:5] if type(forb) is list else []
            if kind == "raise":
                t, m = header.get("type"), header.get("message")
                t = t if (type(t) is str and (t in BUILTIN_EXCEPTIONS or t == "KeyError:name")) else "an exception"
                m = m if (type(m) is str and reveal) else None
                raise StudentError(t[:80], m, forb)
            if kind != "return":
                self._end("the submission's process sent malformed data")
            try:
                value = wire.decode(header.get("value"), payload, handle=wire.Handle)
            except (wire.WireError, ValueError, TypeError, KeyError):
                self._end("the submission's process sent malformed data")
            if forb:
                raise StudentError("forbidden", None, forb)
            if type(value) is not tuple or len(value) != (2 if return_args else 1):
                self._end("the submission's process sent malformed data")
            return value if return_args else value[0]

    def _serve_callback(self, cbs, header, payload, budget):
        k = header.get("id")
        cb = cbs.get(k) if type(k) is int else None
        try:
            if cb is None:
                raise wire.WireError("unknown callback")
            value = wire.decode(header.get("value"), payload, handle=wire.Handle)
            if type(value) is not tuple or len(value) != 2 or type(value[0]) is not tuple:
                raise wire.WireError("malformed callback")
            if _elements(value[0]) > budget:   # the grader computes on no more than the call's own inputs
                raise wire.WireError("callback arguments larger than the call's")
            args, synced = value
            import numpy as np
            for pos, got in zip(sorted(cb.sync), synced):
                target = cb.sync[pos]
                got = np.asarray(got)
                if got.shape != target.shape:
                    raise wire.WireError("callback argument changed shape")
                np.copyto(target, got, casting="unsafe")
            result = cb.fn(*args)
            spec, out = wire.encode(result)
            self._send({"op": "result", "value": spec}, out)
        except SandboxError:
            raise
        except wire.WireError:
            self._end("the submission's process sent malformed data")
        except Exception as exc:  # noqa: BLE001 - the grader's callback refused (e.g. over budget)
            self._send({"op": "error", "message": f"{type(exc).__name__}: {exc}"[:300]})


def _elements(value) -> int:
    """How much data ``value`` holds: array elements and string or bytes lengths, through tuples, lists and
    dicts. One callback's arguments may hold at most 16 times what the call's own arguments held (and 65,536
    at least), or the sandbox ends: the grader's work on one callback (a loss and its gradients on the
    parameters the student passes) is bounded by the case's size, not by the channel's 64 MiB."""
    if hasattr(value, "size") and hasattr(value, "shape"):
        return int(value.size)
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, dict):
        return sum(_elements(k) + _elements(v) for k, v in value.items())
    if isinstance(value, (tuple, list)):
        return len(value) + sum(_elements(v) for v in value)
    return 1


class _Zygote:
    """A warm interpreter (NumPy, and torch when asked, imported) in its own sandbox, forking one isolated
    process per submission (autograder/zygote.py says how each is isolated)."""

    def __init__(self, torch: bool, limits: Limits):
        import socket
        own = dataclasses.replace(limits, memory_mb=max(limits.memory_mb, 3072 if torch else 768))
        self.sb = Sandbox(own, torch=torch, deadline=time.monotonic() + 10 ** 9)
        with open(_seccomp_bpf("zygote-child"), "rb") as f:
            child_filter = f.read().hex()
        self.sb._zygote_cfg = {"seccomp": child_filter, "work_bytes": limits.file_mb << 20, "inodes": limits.inodes}
        self.sb.start()
        self.sock = socket.socket(fileno=os.dup(self.sb._wfd))
        self.sock.settimeout(20)
        self.lock = threading.Lock()
        ns_pid = self.sb.start_reply.get("pid")
        self.host = next((p for p in self.sb.cgroup.pids() if _nspid(p)[1:] and _nspid(p)[-1] == ns_pid), None)
        if type(ns_pid) is not int or self.host is None:
            self.close()
            raise SandboxError("the zygote did not start")

    def alive(self) -> bool:
        return self.sb.proc is not None and self.sb.proc.poll() is None and self.sb.ended is None

    def spawn(self) -> tuple[int, int, int]:
        """A new child: (its host pid, the grader's read fd, the grader's write fd)."""
        import socket
        import struct
        r_in, w_in = os.pipe()
        r_out, w_out = os.pipe()
        try:
            with self.lock:
                socket.send_fds(self.sock, [b"F"], [r_in, w_out])
                got = b""
                while len(got) < 4:
                    chunk = self.sock.recv(4 - len(got))
                    if not chunk:
                        raise SandboxError("the zygote ended")
                    got += chunk
        except BaseException:
            for fd in (r_out, w_in):
                os.close(fd)
            raise
        finally:
            os.close(r_in)
            os.close(w_out)
        (ns_pid,) = struct.unpack("<i", got)
        try:
            for _ in range(400):
                for k in _children(self.host):
                    if _nspid(k)[-1:] == [ns_pid]:
                        return k, r_out, w_in
                time.sleep(0.005)
            raise SandboxError("the zygote's child vanished")
        except BaseException:
            for fd in (r_out, w_in):
                os.close(fd)
            raise

    def close(self) -> None:
        try:
            self.sock.close()
        except (AttributeError, OSError):
            pass
        self.sb.close()


def _nspid(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return [int(x) for x in line.split()[1:]]
    except (OSError, ValueError):
        pass
    return []


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except (OSError, ValueError):
        return []


_zygotes: dict[tuple, _Zygote] = {}
_zygotes_lock = threading.Lock()


def _zygote_for(torch: bool, limits: Limits) -> _Zygote:
    key = (bool(torch), limits)
    with _zygotes_lock:
        z = _zygotes.get(key)
        if z is not None and z.alive():
            return z
        if z is not None:
            z.close()
        z = _zygotes[key] = _start_zygote(bool(torch), limits)
        return z


_starter = None


def _start_zygote(torch: bool, limits: Limits) -> _Zygote:
    """A new zygote, started by one thread that lives as long as the process: bubblewrap's
    ``--die-with-parent`` (``PR_SET_PDEATHSIG``) fires when the *thread* that started it ends, so a zygote
    started by a short-lived thread (the canary's) would be killed with it."""
    global _starter
    if _starter is None:
        _starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zygote-starter")
    return _starter.submit(_Zygote, torch, limits).result()


def _drop_zygote(torch: bool, limits: Limits) -> None:
    with _zygotes_lock:
        z = _zygotes.pop((bool(torch), limits), None)
    if z is not None:
        z.close()


def warm(torch: bool, limits: Limits) -> None:
    """Start the zygote that submissions with these settings will use (when the sandbox is complete)."""
    if ZYGOTE and capabilities().complete:
        try:
            _zygote_for(torch, limits)
        except (OSError, SandboxError):
            pass   # the first submission will try again and report what fails


def release_zygotes() -> None:
    """Stop every warm zygote of this process (the end of a grading run; also at exit)."""
    with _zygotes_lock:
        zs = list(_zygotes.values())
        _zygotes.clear()
    for z in zs:
        z.close()


atexit.register(release_zygotes)


class RemoteNamespace:
    """What a check's ``run`` receives in the grader: ``ns["f"](*args)`` calls the student's ``f`` in the
    sandbox; ``ns.call(f, *args, return_args=True)`` also returns the arguments as they were after the call;
    ``ns.module(cls, ctor_args, state, inputs, grad_outputs)`` runs :func:`autograder.driver.torch_module_grads`
    on the student's module class there."""

    def __init__(self, sandbox: Sandbox, functions, forbidden=(), reveal=False):
        self.sb, self.functions, self.forbidden, self.reveal = sandbox, tuple(functions), tuple(forbidden), reveal

    def __contains__(self, name):
        return name in self.functions

    def __getitem__(self, name):
        if name not in self.functions:
            raise KeyError(name)
        return lambda *args: self.sb.call(name, args, forbidden=self.forbidden, reveal=self.reveal)

    def call(self, name, *args, return_args=False):
        return self.sb.call(name, args, forbidden=self.forbidden, reveal=self.reveal, return_args=return_args)

    def module(self, name, ctor_args, state, inputs, grad_outputs, dtype="float64"):
        return self.sb.call(name, (tuple(ctor_args), dict(state), tuple(inputs), tuple(grad_outputs)),
                            forbidden=self.forbidden, reveal=self.reveal, op="module", dtype=dtype)
