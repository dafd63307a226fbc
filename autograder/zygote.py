"""The zygote: one warm interpreter per grading thread, inside its own bubblewrap sandbox, that forks a fresh
process for each submission, so that NumPy and torch are imported once per thread instead of once per
submission. Copied into the sandbox beside :mod:`driver` and :mod:`wire`; imports only the standard library
(and, through the driver, NumPy and torch, before the first fork).

What a submission's process is, and why it cannot reach the zygote or another submission:

1. The grader sends the zygote, over a Unix socket, the two pipe ends of a new channel; the zygote forks a
   child and answers with its pid. It never reads a byte a child wrote, holds no grading data (no secret, no
   reference, no hidden input ever reaches it), and is not dumpable, so a child can neither read its memory
   through ``/proc`` nor ptrace it (seccomp refuses ptrace anyway).
2. The child waits for the channel's ``start``: the grader sends it once it has moved the child into the
   submission's own cgroup (memory and pids limits; every descendant is born there, and killing the cgroup
   kills exactly the submission's processes).
3. The child then isolates itself with the kernel's namespaces, as bubblewrap does: a new user namespace
   (its uid unchanged), mount, PID, IPC and network namespaces. In its mount namespace every writable mount is
   made read-only (the zygote's ``/tmp`` and ``/dev/shm`` included, so nothing can be left there for the next
   submission) and a fresh tmpfs with a size and an inode limit becomes its working folder; ``/dev/shm`` is a
   fresh tmpfs too. It forks once more: the grandchild is PID 1 of a new PID namespace, where no pid names the
   zygote or another submission's process, so no signal, ``prlimit`` or scheduling call can reach them.
4. The grandchild drops every capability (the new user namespace granted them; its bounding set is emptied
   too), loads a second seccomp filter, which the grader built and sent (the sandbox's list, with pidfds
   refused too: a pidfd opened from ``/proc/<pid>`` could signal the zygote), on top of the sandbox's, and
   only then runs the driver, which reads the submission's code.

The zygote's own sandbox is the grader's usual one (an allow-list root, read-only; its own cgroup; uid
``nobody``; ``no_new_privs``), except that its seccomp filter lets ``unshare`` and ``mount`` through for step 3,
and bubblewrap leaves nested user namespaces allowed: the child's own filter refuses both before any student
code runs.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import struct

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = (0x00020000, 0x08000000, 0x10000000,
                                                                        0x20000000, 0x40000000)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
LOCKED = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": 1024, "nodiratime": 2048,
          "relatime": 1 << 21, "strictatime": 1 << 24}
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 4, 24, 47, 4
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
WORK = "/tmp/.w"
_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src, target, fstype, flags, data=None) -> None:
    _check(_libc.mount(src.encode() if src else None, target.encode(), fstype.encode() if fstype else None,
                       ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


def serve(sock_fd: int, cfg: dict, run_driver) -> None:
    """The zygote's loop: one fork per request; ``run_driver(rfd, wfd)`` is what the grandchild runs."""
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    os.makedirs(WORK, exist_ok=True)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sock = socket.socket(fileno=sock_fd)
    while True:
        _reap()
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 16, 2)
        except OSError:
            os._exit(0)
        if not msg:
            os._exit(0)
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                _child(fds[0], fds[1], cfg, run_driver)
            except BaseException as exc:  # noqa: BLE001 - the grader sees the channel close and says so
                try:
                    os.write(2, f"zygote child: {type(exc).__name__}: {exc}\n".encode())
                except OSError:
                    pass
            os._exit(70)
        for fd in fds:
            os.close(fd)
        sock.sendall(struct.pack("<i", pid))


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _child(rfd: int, wfd: int, cfg: dict, run_driver) -> None:
    import wire
    ch = wire.Channel(rfd, wfd)
    header, _ = ch.recv()        # "start": sent once this process is in the submission's cgroup
    if header.get("op") != "start":
        os._exit(70)
    _isolate(cfg)
    pid = os.fork()
    if pid:                      # the PID namespace's parent: waits, holds nothing of the channel
        for fd in (rfd, wfd):
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    # PID 1 of the new PID namespace: a /proc of its own, which lists only this submission's processes
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _drop_capabilities()
    _seccomp(cfg)
    os.chdir(WORK)
    os.environ["HOME"] = os.environ["TMPDIR"] = WORK
    low, high = sorted((rfd, wfd))          # everything else inherited from the zygote is closed
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, 1 << 16)
    run_driver(rfd, wfd, ch)


def _isolate(cfg: dict) -> None:
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET), "unshare")
    # writing one's own id maps needs /proc/self owned by oneself, i.e. dumpable: for these three writes only
    # (nothing of the submission is in this process yet), then not dumpable again, so that no other process of
    # the same uid can read this one's memory through /proc/<pid>/mem
    _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    for path, text in (("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", f"{uid} {uid} 1"),
                       ("/proc/self/gid_map", f"{gid} {gid} 1")):
        with open(path, "w") as f:
            f.write(text)
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(PR_SET_DUMPABLE)")
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split() for line in f]
    for m in mounts:
        target = m[4].replace("\\040", " ")
        opts, fstype = m[5].split(","), m[m.index("-") + 1]
        if "rw" not in opts or fstype in ("proc", "sysfs"):
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for o in opts:
            flags |= LOCKED.get(o, 0)
        _mount(None, target, None, flags)
    _mount("tmpfs", WORK, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={int(cfg['work_bytes'])},nr_inodes={int(cfg['inodes'])},mode=700")
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64m,nr_inodes=1000,mode=1777")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities() -> None:
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:  # EINVAL: no such cap
            _check(1, f"prctl(PR_CAPBSET_DROP, {cap})")
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(_CapHeader(0x20080522, 0)), data), "capset")
    with open("/proc/self/status") as f:
        eff = next(line.split()[1] for line in f if line.startswith("CapEff:"))
    if int(eff, 16) != 0:
        raise OSError(f"capabilities left after dropping them: {eff}")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def _seccomp(cfg: dict) -> None:
    """Load the grader's filter for a zygote's child (a BPF program, as bwrap loads its own; ``no_new_privs``
    holds since bubblewrap set it): stacked on the sandbox's."""
    prog = bytes.fromhex(cfg["seccomp"])
    if not prog or len(prog) % 8:
        raise OSError("no seccomp program for the child")
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(_SockFprog(len(prog) // 8, prog)), 0, 0),
           "prctl(PR_SET_SECCOMP)")
