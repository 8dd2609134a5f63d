"""An audit hook that closes the interpreter's introspection doors to student code.

Loaded with ``private.load`` and installed by the worker before it forks, so
neither the hook nor its state is reachable from student code; armed, one way,
by each child right before the first cell runs.
Armed, it refuses: new audit hooks, tracing and profiling, other threads'
frames, the garbage collector's object lists, ctypes, hand-made code objects,
opening process memory or other processes' file descriptors, signalling the
worker, and changing the torch classes the grader reads answers through.  What
stays allowed is everything a notebook on convolution shapes plausibly does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

_getpgid = os.getpgid

ARM_EVENT = "convdojo.sandbox.arm"

_DENIED = frozenset({
    "sys.addaudithook", "sys.settrace", "sys.setprofile", "sys._current_frames",
    "sys._current_exceptions", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    "code.__new__", "marshal.loads", "marshal.load", "function.__new__",
    "cpython.remove_audit_hook",
})
_PROC_PARTS = ("/fd/", "/fdinfo/", "/map_files", "/task/")
_PROC_FILES = frozenset({"mem", "pagemap", "kcore", "kmem", "syscall"})


def install(protected: Iterable[type], worker_pid: int) -> None:
    """Install the hook; it stays dormant until ``sys.audit(ARM_EVENT)``."""
    protected_ids = frozenset(id(cls) for cls in protected)
    armed = [False]
    deny = _deny

    def hook(event: str, args: tuple) -> None:
        if not armed[0]:
            if event == ARM_EVENT:
                armed[0] = True
            return
        reason = deny(event, args, protected_ids, worker_pid)
        if reason:
            raise PermissionError(f"{reason} is not allowed in the grader's sandbox")

    sys.addaudithook(hook)


def _deny(event: str, args: tuple, protected_ids: frozenset, worker_pid: int) -> str | None:
    if event in _DENIED or event.startswith("ctypes."):
        return event
    if event in ("object.__setattr__", "object.__delattr__"):
        if id(args[0]) in protected_ids:
            return f"changing {getattr(args[0], '__name__', '?')}.{args[1]}"
        if args[1] == "__code__":
            return "replacing a function's code"
        return None
    if event == "open":
        return _bad_path(args[0])
    if event == "os.kill":
        target = args[0]
        if target == worker_pid or target == -1 or (target < 0 and -target != _own_group()):
            return "signalling the grader or other processes"
    if event == "os.killpg" and args[0] != _own_group():
        return "signalling other process groups"
    return None


def _own_group() -> int:
    return _getpgid(0)


def _bad_path(path: object) -> str | None:
    if isinstance(path, int):
        return None
    if isinstance(path, bytes):
        path = path.decode("utf-8", "replace")
    if not isinstance(path, str):
        return None
    text = "/" + path.replace("\\", "/")
    base = text.rstrip("/").rsplit("/", 1)[-1]
    in_proc = "/proc/" in text or "/dev/fd/" in text or not path.startswith("/")
    if base in _PROC_FILES and in_proc:
        return "reading process memory"
    if in_proc and any(part in text for part in _PROC_PARTS):
        return "opening another file descriptor through /proc"
    return None
