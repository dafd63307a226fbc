"""The one-shot launcher between the grader and bubblewrap (``python -I -S autograder/launch.py CONFIG``).

It runs as the grader's user for one submission, does what needs the grader's privileges, and then
``exec``s bubblewrap as an unprivileged user, so nothing of it stays running:

1. joins the submission's cgroups (memory with shared mappings and tmpfs pages counted, and pids), made
   and limited by the grader (:mod:`autograder.sandbox`), so every process of the sandbox is counted and
   can be killed as one;
2. as root: enters a private mount namespace, mounts the submission's working folder (a tmpfs with a size
   and an inode limit, owned by ``nobody``), and bind-mounts each allowed host path read-only into a
   staging folder only that namespace sees (so the interpreter may live under ``/root``, mode 700, and
   still be bound by an unprivileged bubblewrap); the staging vanishes with the namespace;
3. sets the rlimits (CPU time, file size, open files, no core dumps, and address space where no memory
   cgroup exists), writes the seccomp filter, drops to ``nobody`` (root only) and ``exec``s bwrap.

Not a sandbox itself: bubblewrap makes the fresh root, the namespaces and the user id; this only prepares.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import shutil
import sys

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 1 << 14, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
NOBODY = 65534


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(libc, src, target, fstype, flags, data=None):
    if libc.mount(src.encode() if src else None, target.encode(), fstype.encode() if fstype else None,
                  ctypes.c_ulong(flags), data.encode() if data else None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {src} on {target}: {os.strerror(err)}")


def _fail(msg: str) -> None:
    os.write(2, f"launch: {msg}\n".encode())
    os._exit(70)


def main(cfg: dict) -> None:
    libc = _libc()
    libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # the grader died before we exec'd: die too
    for procs in cfg.get("cgroups", ()):
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    argv = list(cfg["bwrap"])
    if cfg.get("root"):
        stage = cfg["stage"]
        if libc.unshare(CLONE_NEWNS) != 0:
            _fail("cannot make a private mount namespace")
        _mount(libc, "none", "/", None, MS_REC | MS_PRIVATE)
        _mount(libc, "tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=755")
        work = os.path.join(stage, "work")
        os.mkdir(work)
        _mount(libc, "tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={cfg['work_bytes']},nr_inodes={cfg['inodes']},mode=700,uid={NOBODY},gid={NOBODY}")
        for k, src in enumerate(cfg["binds"]):
            dst = os.path.join(stage, f"b{k}")
            if os.path.isdir(src):
                os.mkdir(dst)
            else:
                open(dst, "w").close()
            _mount(libc, src, dst, None, MS_BIND | MS_REC)
            _mount(libc, "none", dst, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        drv = os.path.join(stage, "driver")
        os.mkdir(drv)
        for f in cfg["driver_files"]:
            shutil.copy(f, drv)
    # the pipes become fds 3 and 4 and the seccomp program fd 5: first move every source above them, so
    # that placing one never overwrites another (the grader's own open files decide their numbers)
    moves = [(cfg["fd_in"], 3), (cfg["fd_out"], 4)]
    if cfg.get("seccomp"):
        moves.append((os.open(cfg["seccomp"], os.O_RDONLY), 5))
    high = [(fcntl.fcntl(src, fcntl.F_DUPFD, 100), dst) for src, dst in moves]
    for src, dst in high:
        os.dup2(src, dst)
        os.set_inheritable(dst, True)
    os.closerange(6, 1 << 16)
    res = cfg["rlimits"]
    for name, val in res.items():
        r = getattr(resource, name)
        resource.setrlimit(r, (val, val))
    if cfg.get("root"):
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    try:
        main(json.loads(sys.argv[1]))
    except BaseException as exc:  # noqa: BLE001 - report one line to the grader, which reads stderr
        _fail(f"{type(exc).__name__}: {exc}")
