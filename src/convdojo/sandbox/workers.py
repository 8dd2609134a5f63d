"""The grader's handle on one warm sandbox worker: send a job, read its report."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

from . import isolation
from .inside import wire
from .protocol import ANSWER, READY, UNUSABLE

START_TIMEOUT = 300.0  # importing torch on a cold disk, two workers at once
MARGIN = 30.0  # on top of the job's own timeout, which the worker enforces itself


class WorkerDied(RuntimeError):
    """The worker stopped answering (killed by a submission, or a grader bug)."""


@dataclass
class Reply:
    """What the worker reported for one submission."""

    result: dict[str, Any]  # status, cell, notes, fatal, answers, results
    clean: dict[str, Any]  # exit (code or signal), stray processes killed


class Worker:
    def __init__(self, index: int, iso: isolation.Isolation, workdir: Path, log: Path) -> None:
        self.index = index
        self.iso = iso
        self.workdir = workdir
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready = False  # it said "ready" (it imported torch and armed its guard)
        self.scratch, self.wipe = isolation.scratch_for(iso, index, workdir)

    def launch(self) -> None:
        """Start the worker's process; ``start`` then waits until it is ready."""
        self.proc = isolation.launch(self.iso, self.index, self.workdir, self.log)
        self.ready = False

    def start(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.launch()
        if self.ready:
            return
        hello = self._read(START_TIMEOUT, "start")
        if hello.get("type") == UNUSABLE:
            raise WorkerDied(f"the sandbox cannot give each submission namespaces of its "
                             f"own: {str(hello.get('detail'))[:300]}")
        if hello.get("type") != READY:
            raise WorkerDied(f"worker {self.index} sent {hello!r} instead of ready")
        self.ready = True

    def grade(self, header: dict[str, Any], notebook: bytes, cases: dict[str, Any],
              on_answer: Callable[[str, Any], None]) -> Reply:
        """Run one submission; each answer goes to ``on_answer`` as soon as it is read.

        WorkerDied if the worker stopped (it is restarted for the next submission).
        """
        if not (self.ready and self.proc and self.proc.poll() is None):
            self.start()
        assert self.proc and self.proc.stdin
        header = {**header, "scratch": self.scratch, "wipe": self.wipe}
        try:
            fd = self.proc.stdin.fileno()
            wire.send_json(fd, header)
            wire.send_msg(fd, notebook)
            wire.send_json(fd, cases)
            deadline = time.monotonic() + float(header["timeout"]) + MARGIN
            while (msg := self._read(deadline - time.monotonic(), "result"))["type"] == ANSWER:
                on_answer(msg["exercise"], msg["data"])
            result = msg
        except (OSError, EOFError, ValueError, WorkerDied) as exc:
            self.stop()
            raise WorkerDied(str(exc) or type(exc).__name__) from None
        try:
            clean = self._read(MARGIN, "clean")
        except (OSError, EOFError, ValueError, WorkerDied):
            self.stop()  # the answers are in; killing the sandbox cleans up instead
            clean = {"exit": {}, "stray": -1}
        return Reply(result, clean)

    def _read(self, timeout: float, what: str) -> dict[str, Any]:
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerDied(f"worker {self.index} gave no {what} in {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                break
        try:
            return wire.read_json(fd)
        except EOFError:
            raise WorkerDied(f"worker {self.index} exited "
                             f"(code {self.proc.wait(timeout=5)})") from None

    def stop(self) -> None:
        """Close the pipes and kill the worker's whole session (bwrap and all inside)."""
        proc, self.proc, self.ready = self.proc, None, False
        if proc is None:
            return
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe:
                    pipe.close()
            except OSError:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
