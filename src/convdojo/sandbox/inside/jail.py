"""A sandbox of its own for each submission, made inside the warm worker's sandbox.

The worker forks a child per submission; here that child unshares fresh user,
mount, PID, IPC, network and UTS namespaces, so the submission shares nothing
with the worker, with bubblewrap's pid 1 (which holds the grader's pipes and
log) or with the submissions graded before it:

- its own ``/tmp``, ``/scratch`` and ``/dev/shm`` (fresh tmpfs, gone with it);
- an empty ``/proc``: no process, descriptor or environment of anybody is
  reachable by any path (the namespace's own procfs cannot be mounted under
  bubblewrap's, so it is hidden instead);
- its own SysV IPC and abstract-socket namespaces;
- no capabilities, no new user namespaces, ``no_new_privs``.

The calling process stays outside the new PID namespace and waits; its child
is the namespace's init (a reaper, so a submission never runs as pid 1, where
default signals are ignored); the init's child returns from ``enter`` and runs
the submission.  When either parent dies, the kernel kills the whole namespace.
"""

from __future__ import annotations

import ctypes
import os
import signal
import struct

from .cleanup import mount_points

__all__ = ["enter", "JailError"]

_NEWNS, _NEWUTS, _NEWIPC = 0x00020000, 0x04000000, 0x08000000
_NEWUSER, _NEWPID, _NEWNET = 0x10000000, 0x20000000, 0x40000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_REC, _MS_PRIVATE, _MS_RDONLY = (
    2, 4, 8, 4096, 16384, 1 << 18, 1)
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_NO_NEW_PRIVS = 1, 4, 38
_CAP_VERSION_3 = 0x20080522
_O_PATH = getattr(os, "O_PATH", 0o10000000)
# Fresh for each submission (MiB; the sizes are bubblewrap's).  /dev itself is mounted
# read-only by bubblewrap (isolation.py), so nothing written there can outlive a submission.
SCRATCH = {"/dev/shm": 16, "/tmp": 64, "/scratch": 64}
_MOUNTS: list[str] = []  # the worker's mount points, read once (prepare) before any fork


class JailError(OSError):
    """The per-submission namespaces could not be made (the sandbox is not usable)."""


_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise JailError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(),
                       fstype.encode() if fstype else None, flags,
                       data.encode() if data else None), f"mount {target}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def prepare() -> None:
    """Read the mount table once, in the worker: every child's is the same."""
    _MOUNTS[:] = mount_points()  # raises rather than lose a bind we must carry over


def _fresh_scratch(mounts: list[str]) -> None:
    """New tmpfs on each scratch folder; what is mounted beneath one (a venv or a
    Python under /tmp) is carried over onto it."""
    for folder, size in SCRATCH.items():
        if not os.path.isdir(folder):
            continue
        keep = sorted(m for m in mounts if m.startswith(folder + "/") and m not in SCRATCH
                      and not any(m.startswith(s + "/") for s in SCRATCH if s != folder))
        held = [(m, os.open(m, _O_PATH)) for m in keep]
        _mount("tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV,
               f"size={size * 2**20},mode=1777")
        for path, fd in held:
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "a").close()
            _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
            os.close(fd)


def _drop_capabilities() -> None:
    header = struct.pack("Ii", _CAP_VERSION_3, 0)
    data = bytes(24)  # two {effective, permitted, inheritable} sets, all empty
    _check(_libc.capset(header, data), "capset")
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _setup() -> None:
    uid, gid = os.getuid(), os.getgid()
    mounts = _MOUNTS or mount_points()  # prepare() read it in the worker
    _check(_libc.unshare(_NEWUSER | _NEWNS | _NEWPID | _NEWIPC | _NEWNET | _NEWUTS), "unshare")
    # The worker is not dumpable, which makes our own /proc/self files root's: a non-root
    # grader could not write its maps.  Dumpable only for these writes, before any
    # submission exists (the previous one's processes are all gone by now).
    _check(_libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    _check(_libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0), "dumpable")
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE)
    _fresh_scratch(mounts)
    _write("/proc/sys/user/max_user_namespaces", "0")  # none below this one
    _mount("tmpfs", "/proc", "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | _MS_RDONLY,
           "size=4096,mode=555")
    _drop_capabilities()
    os.chdir("/")  # not the old /scratch, which the fresh one now hides


def _close_all_but(keep: int) -> None:
    os.closerange(0, keep)
    os.closerange(keep + 1, 1 << 16)


def _exit_like(status: int) -> None:
    """Leave with the same wait status as the process we waited for."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
            os.kill(os.getpid(), sig)
        except (OSError, ValueError):
            pass
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 70)


def enter() -> None:
    """Returns in the submission's process, inside its own namespaces; never in the
    caller's (it waits, then exits as the submission did).  JailError if the
    namespaces cannot be made; the caller must not run the submission then."""
    _setup()
    status_r, status_w = os.pipe()
    init = os.fork()
    if init:  # outside the new PID namespace: wait, then exit as the submission did
        os.close(status_w)
        _close_all_but(status_r)
        data = b""
        while chunk := os.read(status_r, 4):
            data += chunk
        os.waitpid(init, 0)
        _exit_like(int.from_bytes(data[:4], "big") if len(data) >= 4 else 9)
    _check(_libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
    os.close(status_r)
    submission = os.fork()
    if submission == 0:
        os.close(status_w)
        _check(_libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
        return
    _close_all_but(status_w)
    _reap_until(submission, status_w)


def _reap_until(submission: int, status_w: int) -> None:
    """The namespace's init: reap orphans until the submission exits, then report and
    exit, which kills whatever the submission left running."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(70)
        except InterruptedError:
            continue
        if pid == submission:
            try:
                os.write(status_w, status.to_bytes(4, "big"))
            finally:
                os._exit(0)
