"""An audit hook that closes the interpreter's introspection doors to student code.

Loaded with ``private.load`` and installed by the worker before it forks, so
neither the hook nor its state is reachable from student code; armed, one way,
by each child right before the first cell runs.
Armed, it refuses: new audit hooks, tracing and profiling, other threads'
frames, the garbage collector's object lists, ctypes, hand-made code objects,
opening process memory or other processes' file descriptors, signalling the
worker, and changing the torch classes the grader reads answers through.  What
stays allowed is everything a notebook on convolution shapes plausibly does,
including imports that load cached bytecode: ``marshal.loads`` passes only when
the import system's own ``_compile_bytecode`` unmarshals immutable bytes that
equal a ``.pyc`` file under a folder of ``sys.path`` as it was at install time
(read-only in the sandbox), never bytes a notebook made or wrote itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

_getpgid = os.getpgid
_getframe, _realpath, _open_fd, _read_fd, _close_fd, _fstat = (
    sys._getframe, os.path.realpath, os.open, os.read, os.close, os.fstat)
_bytes, _memoryview, _type, _str = bytes, memoryview, type, str
_O_RDONLY = os.O_RDONLY
MAX_PYC = 64 * 2**20

ARM_EVENT = "convdojo.sandbox.arm"

_DENIED = frozenset({
    "sys.addaudithook", "sys.settrace", "sys.setprofile", "sys._current_frames",
    "sys._current_exceptions", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    "code.__new__", "marshal.load", "function.__new__",
    "cpython.remove_audit_hook",
})
_PROC_PARTS = ("/fd/", "/fdinfo/", "/map_files", "/task/")
_PROC_FILES = frozenset({"mem", "pagemap", "kcore", "kmem", "syscall"})


def install(protected: Iterable[type], worker_pid: int) -> None:
    """Install the hook; it stays dormant until ``sys.audit(ARM_EVENT)``."""
    protected_ids = frozenset(id(cls) for cls in protected)
    armed = [False]
    deny, cached = _deny, _cached_bytecode
    loader = sys.modules["_frozen_importlib_external"]._compile_bytecode.__code__
    roots = tuple(_realpath(p).rstrip("/") + "/" for p in sys.path
                  if isinstance(p, str) and p.startswith("/") and os.path.isdir(p))

    def hook(event: str, args: tuple) -> None:
        if not armed[0]:
            if event == ARM_EVENT:
                armed[0] = True
            return
        if event == "marshal.loads":
            reason = None if cached(args[0], _getframe(1), loader, roots) else event
        else:
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


def _cached_bytecode(data: bytes, frame: object, loader: object, roots: tuple) -> bool:
    """Is this the import system unmarshalling a trusted .pyc, byte for byte?

    The caller must be ``_compile_bytecode`` itself (checked by code identity), its
    ``data`` immutable bytes (a bytearray could change between this check and the
    unmarshal), and equal to the file named by its ``bytecode_path``, minus the
    16-byte header, that file lying under one of ``roots``.
    """
    try:
        if frame.f_code is not loader:  # type: ignore[attr-defined]
            return False
        local = frame.f_locals  # type: ignore[attr-defined]
        buf, path = local.get("data"), local.get("bytecode_path")
        if _type(buf) is _memoryview:
            buf = buf.obj
        if _type(buf) is not _bytes or _type(data) is not _bytes or _type(path) is not _str:
            return False
        real = _realpath(path)
        if not real.endswith(".pyc") or not any(real.startswith(r) for r in roots):
            return False
        fd = _open_fd(real, _O_RDONLY)
        try:
            size = _fstat(fd).st_size
            if size > MAX_PYC or size != len(data) + 16:
                return False
            content = b""
            while len(content) < size:
                chunk = _read_fd(fd, size - len(content))
                if not chunk:
                    return False
                content += chunk
        finally:
            _close_fd(fd)
        return content[16:] == data
    except Exception:  # noqa: BLE001 - anything odd: refuse
        return False


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
