"""One warm sandbox worker graded synchronously: a notebook in, a ``Graded`` out.

What ``convdojo validate``, the pytest suite and the Dask tasks hold: an
:class:`~convdojo.grade.engine.Engine` whose checks run in this process, which
never runs student code.
"""

from __future__ import annotations

import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from convdojo import sandbox
from convdojo.sandbox.workers import Worker

from .engine import Engine, InlineChecks, Job
from .limits import Limits
from .records import Graded

__all__ = ["Session", "Spare"]

_START = ThreadPoolExecutor(max_workers=2, thread_name_prefix="convdojo-sandbox-start")


class Spare:
    """A sandbox worker started before anyone asks for a Session (a lab server starts
    one with itself, so that even the first Validate finds torch imported); the first
    Session with the same isolation adopts it."""

    def __init__(self, *, sandbox_on: bool = True, reduced_ok: bool = False,
                 workroot: str | None = None) -> None:
        self.iso = sandbox.detect(disable=not sandbox_on, fallback=reduced_ok)
        self.workdir = sandbox.make_workdir(workroot)
        self.worker = Worker(0, self.iso, self.workdir, self.workdir / "worker.log")
        self.started: Future[None] = _START.submit(self.worker.start)

    def close(self) -> None:
        self.started.cancel()
        try:
            self.started.result()
        except Exception:  # noqa: BLE001  (closing anyway)
            pass
        self.worker.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Session(Engine):
    """``Session("conv_shapes").grade(notebook_bytes)`` -> a ``Graded``.

    An engine with its own folder and checks in this process.  ``hidden=False``
    gives a student's view: visible checks only, and the function exercises' hidden
    arguments never reach the sandbox.  ``workroot`` is where its folder goes.
    """

    def __init__(self, assignment: str, *, limits: Limits | None = None,
                 device: str | None = None, sandbox_on: bool = True, hidden: bool = True,
                 index: int = 0, warm: bool = True, workroot: str | None = None,
                 reduced_ok: bool = False, course: Any = None,
                 roster: tuple[str, ...] = (), spare: Spare | None = None) -> None:
        self.limits = limits or Limits()
        # reduced_ok: a student-side tool (validate, the pytest autograder) may run the
        # student's own notebook without bubblewrap, with a note; grading never does.
        iso = sandbox.detect(disable=not sandbox_on, fallback=reduced_ok)
        if spare is not None and spare.iso != iso:
            spare.close()
            spare = None
        self.workdir = spare.workdir if spare else sandbox.make_workdir(workroot)
        super().__init__(iso, self.workdir, index, self.workdir / "worker.log",
                         InlineChecks("cpu", hidden), worker=spare.worker if spare else None)
        # The sandbox imports torch while this process does the same: both take a second.
        self._starting: Future[None] | None = (
            spare.started if spare else _START.submit(self.start) if warm else None)
        try:
            from convdojo import specs
            from convdojo.devices import resolve_device

            spec = specs.assignment(assignment)
            self.device = str(resolve_device(device))
        except BaseException:
            self.close()
            raise
        self.assignment = spec
        self.specs = [specs.get(e) for e in spec.exercises]
        self.job = Job.make(self.specs, self.limits, iso, hidden=hidden, course=course,
                            roster=roster)
        self.checks = InlineChecks(self.device, hidden)

    def grade(self, notebook: bytes, student: str = "") -> Graded:
        """Run one notebook and decide its grade on ``student``'s numbers (the submission
        folder's id); GraderError if the sandbox cannot start."""
        starting, self._starting = self._starting, None
        if starting is not None:
            starting.result()
        return super().grade(notebook, student)

    def close(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
            try:
                self._starting.result()
            except Exception:  # noqa: BLE001  (closing anyway)
                pass
            self._starting = None
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
