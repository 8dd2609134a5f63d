"""The warm worker: torch imported once, then one forked child per submission.

Runs inside the sandbox (bubblewrap when available) and never runs student code
itself.  Protocol with the grader on fds 0/1 (see wire.py): it reads a job
header and the notebook, forks, and only then reads the job's function cases,
so they are never in a child's memory before its cells have finished.  It
relays the frames that verify, then reports once every process the submission
started is gone and the scratch folders are empty.
"""

from __future__ import annotations

import gc
import mmap
import os
import select
import signal
import time
from types import CodeType
from typing import Any

from . import cleanup, codec, wire

_PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 4, 36
_JAILED = os.environ.get("CONVDOJO_JAIL") == "1"
_EXIT_GRACE = 1.0  # seconds a submission that said "done" gets to exit by itself
_JAIL_PROCS = 2 if _JAILED else 0  # the jail's waiting parent and its init, per child


def _prctl(option: int, value: int) -> None:
    import ctypes  # before any student code; the armed guard refuses ctypes later

    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _huge_pages() -> None:
    """Back the warm heap with 2 MiB pages: each fork then copies ~60 page-table entries
    instead of ~35,000, which makes fork and exit several times cheaper (Linux >= 6.1;
    elsewhere the calls fail and nothing changes)."""
    import ctypes

    madvise = ctypes.CDLL(None, use_errno=True).madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    huge = 2 << 20
    with open("/proc/self/maps") as fh:
        regions = [line.split() for line in fh]
    for parts in regions:
        if not parts[1].startswith("rw") or (len(parts) > 5 and parts[5] != "[heap]"):
            continue
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        start, end = (lo + huge - 1) & ~(huge - 1), hi & ~(huge - 1)
        if end - start >= huge:
            madvise(start, end - start, 14)  # MADV_HUGEPAGE
            madvise(start, end - start, 25)  # MADV_COLLAPSE, now rather than some day


def _install_guard() -> None:
    """Load guard.py privately and install its hook; keep no reference to it here."""
    import torch
    from torch import nn

    from . import private
    protected: list[type] = [c for c in vars(nn).values()
                             if isinstance(c, type) and issubclass(c, nn.Module)]
    protected += [torch.Tensor, nn.Parameter, torch.Size]
    try:
        import convdojo_templates
        protected += list(convdojo_templates.TEMPLATES)
    except ImportError:
        pass
    private.load(private.compile_file("guard.py"))["install"](protected, os.getpid())


def _warm_up() -> None:
    """Import what notebooks import, so a child finds it in sys.modules."""
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    nn.Conv2d(1, 1, 1)(torch.zeros(1, 1, 2, 2))  # initialise lazy state once, not per child
    import json, math, random, collections, typing, functools, itertools  # noqa: E401,F401
    import numpy  # noqa: F401
    import convdojo, convdojo.widgets, convdojo.templates  # noqa: E401,F401  (the stand-in)
    # Not IPython or plotting libraries: every page they dirty would be copied at each fork.


class Job:
    """One child: forked and set up ahead of time, then given one submission."""

    def __init__(self, header: dict[str, Any], sender: CodeType) -> None:
        self.header = header
        self.results: dict[str, list[Any]] = {"public": [], "hidden": []}
        self.notes: list[str] = []
        self.fatal: str | None = None
        self.cell, self.line = 0, ""
        self.done = self.eof = False
        self.cases: dict[str, Any] = {}
        self.pidfd: int | None = None
        job_r, self.job_w = os.pipe()
        key_r, key_w = os.pipe()
        self.res_r, res_w = os.pipe()
        case_r, self.case_w = os.pipe()
        self.progress = mmap.mmap(-1, 128)  # shared: the child notes its running cell here
        self.pid = os.fork()
        if self.pid == 0:  # the child never returns from here
            from . import child
            for fd in (self.job_w, key_w, self.res_r, self.case_w):
                os.close(fd)
            child.main(header, job_r, key_r, res_w, case_r, sender, self.progress)
        for fd in (job_r, key_r, res_w, case_r):
            os.close(fd)
        key = os.urandom(32)  # made after the fork: never in a child's copy of our memory
        os.write(key_w, key)
        os.close(key_w)
        self.scanner = wire.FrameScanner(key)
        os.set_blocking(self.res_r, False)

    def run(self, data: bytes, cases: dict[str, Any], relay: Any) -> dict[str, Any]:
        """Hand over the notebook; relay each verified answer as it comes; report."""
        self.cases = cases
        started = time.monotonic()
        deadline = started + float(self.header["timeout"])
        pidfd = self.pidfd = os.pidfd_open(self.pid)
        status: dict[str, Any] = {"status": "crashed"}
        limit = int(self.header.get("max_procs") or 0)
        self.relay = relay
        try:
            wire.send_msg(self.job_w, data)
        except OSError:  # the child died before it was even given the notebook
            pass
        os.close(self.job_w)
        try:
            while not self.done:
                left = deadline - time.monotonic()
                if left <= 0:
                    status = {"status": "timeout"}
                    break
                watch = [pidfd] if self.eof else [self.res_r, pidfd]
                ready, _, _ = select.select(watch, [], [], min(left, 0.01) if limit else left)
                if limit and cleanup.count_processes() - _JAIL_PROCS > limit:  # a fork bomb
                    cleanup.kill_strays()
                    status = {"status": "nproc"}
                    break
                if self.res_r in ready:
                    self._take(self.scanner.feed(self._drain()))
                elif pidfd in ready:  # exited: whatever it wrote is in the pipe now
                    self._take(self.scanner.feed(self._drain()) + self.scanner.finish())
                    break
            if self.done:
                status = {"status": "fatal" if self.fatal else "ok"}
        except BaseException:
            self.done = False  # finish() kills at once
            raise
        self.cell = int.from_bytes(self.progress[:4], "big")
        self.line = self.progress[5:5 + self.progress[4]].decode("utf-8", "replace")
        return {**status, "cell": self.cell, "line": self.line, "notes": self.notes,
                "fatal": self.fatal, "results": self.results,
                "run_ms": round((time.monotonic() - started) * 1000, 1)}

    def _drain(self) -> bytes:
        chunks = []
        while True:
            try:
                chunk = os.read(self.res_r, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                self.eof = True  # every writer closed it; stop polling it
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def _take(self, frames: list[tuple[str, Any]]) -> None:
        for kind, payload in frames:
            if kind == "note":
                self.notes.append(payload)
            elif kind == "fatal":
                self.fatal = payload
            elif kind == "answer":
                self.relay(payload[0], codec.to_json(payload[1]))
            elif kind == "cells-done":
                self._send_cases("public")
            elif kind == "results":
                self.results[payload[0]] = codec.to_json(payload[1])
                if payload[0] == "public":
                    self._send_cases("hidden")
            elif kind == "done":
                self.done = True

    def _send_cases(self, which: str) -> None:
        try:
            wire.send_json(self.case_w, self.cases.get(which, []))
        except OSError:  # the child closed its end: its loss
            pass

    def abandon(self) -> None:
        """A prepared child that will not be used (the job's header changed, or EOF)."""
        os.close(self.job_w)
        self.finish()

    def finish(self) -> dict[str, Any]:
        """Wait for the child, kill every other process, empty the scratch folders."""
        started = time.monotonic()
        self.progress.close()
        os.close(self.res_r)
        os.close(self.case_w)
        if self.pidfd is not None:
            if self.done:  # it is on its way out: a kill now would only leave strays to chase
                select.select([self.pidfd], [], [], _EXIT_GRACE)
            os.close(self.pidfd)
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        code = cleanup.wait_child(self.pid)
        stray = cleanup.kill_strays()
        cleanup.wipe(self.header.get("wipe", []))
        return {"exit": cleanup.describe_exit(code), "stray": stray,
                "clean_ms": round((time.monotonic() - started) * 1000, 1)}


def _probe_jail() -> str | None:
    """Why a submission could not get namespaces of its own here, or None if it can.
    Reads the mount table for every later child first (jail.prepare)."""
    from . import jail

    try:
        jail.prepare()
    except OSError as exc:
        return repr(exc)
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(err_r)
        code = 1
        try:
            jail.enter()
            code = 0
        except BaseException as exc:  # noqa: BLE001 - the reason goes to the grader
            os.write(err_w, repr(exc).encode("utf-8", "replace")[:500])
        finally:
            os._exit(code)
    os.close(err_w)
    reason = b""
    while chunk := os.read(err_r, 4096):
        reason += chunk
    os.close(err_r)
    status = cleanup.wait_child(pid)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return None
    return reason.decode("utf-8", "replace") or f"the probe ended with {status}"


def main() -> None:
    _prctl(_PR_SET_DUMPABLE, 0)  # same-uid processes cannot read our memory or ptrace us
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    _warm_up()
    _install_guard()
    from . import private
    sender = private.compile_file("sender.py")
    gc.collect()
    gc.freeze()  # the collector never walks (and so never dirties) the warm objects
    _huge_pages()
    # The protocol moves off fds 0/1, so a stray print from a library cannot corrupt it.
    inp, out = os.dup(0), os.dup(1)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)
    problem = _probe_jail() if _JAILED else None
    if problem:  # fail closed: no submission runs without namespaces of its own
        wire.send_json(out, {"type": "unusable", "detail": problem})
        return
    wire.send_json(out, {"type": "ready", "pid": os.getpid()})
    ready: Job | None = None
    while True:
        try:
            header = wire.read_json(inp)
        except EOFError:
            if ready is not None:
                ready.abandon()
            return
        data = wire.read_msg(inp)
        if ready is not None and ready.header != header:
            ready.abandon()
            ready = None
        job = ready or Job(header, sender)
        ready = None
        cases = wire.read_json(inp)  # only now: no child has this in its copy of our memory

        def relay(exercise: str, tree: Any) -> None:
            wire.send_json(out, {"type": "answer", "exercise": exercise, "data": tree})

        report = job.run(data, cases, relay)
        del data, cases
        wire.send_json(out, {"type": "result", **report})
        wire.send_json(out, {"type": "clean", **job.finish()})
        del job, report
        ready = Job(header, sender)  # the next child gets ready while the grader checks
