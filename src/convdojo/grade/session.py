"""One warm sandbox worker graded synchronously: a notebook in, a record out.

The building block of ``convdojo validate``, the pytest suite and the Dask
tasks.  The notebook runs in the sandbox; the grade is decided here, in a
process that never runs student code, by the same functions as a local batch.
"""

from __future__ import annotations

import shutil
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from . import checker, decide, sandbox
from .limits import Limits
from .workers import Worker, WorkerDied

__all__ = ["Session"]

_START = ThreadPoolExecutor(max_workers=2, thread_name_prefix="convdojo-sandbox-start")
MAX_FAILURES = 3  # consecutive sandbox deaths before we blame the sandbox, not a notebook


class Session:
    """``Session("conv_shapes").grade(notebook_bytes)`` -> {"results", "notes", "run"}.

    ``hidden=False`` gives a student's view: visible checks only, and the
    function exercises' hidden arguments never reach the sandbox.  ``workroot``
    is where its private folder goes (default: the temporary folder).
    """

    def __init__(self, assignment: str, *, limits: Limits | None = None,
                 device: str | None = None, sandbox_on: bool = True, hidden: bool = True,
                 index: int = 0, warm: bool = True, workroot: str | None = None,
                 reduced_ok: bool = False) -> None:
        # reduced_ok: a student-side tool (validate, the pytest autograder) may run the
        # student's own notebook without bubblewrap, with a note; grading never does.
        self.iso = sandbox.detect(disable=not sandbox_on, fallback=reduced_ok)
        self.workdir = sandbox.make_workdir(workroot)
        self.worker = Worker(index, self.iso, self.workdir, self.workdir / "worker.log")
        # The sandbox imports torch while this process does the same: both take a second.
        self._starting: Future[None] | None = None
        if warm:
            self._starting = _START.submit(self.start)
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
        self.limits = limits or Limits()
        self.hidden = hidden
        self._header = decide.header(self.specs, self.limits, bool(self.iso.bwrap))
        self._cases = decide.cases(self.specs, hidden=hidden)
        self._failures = 0

    def start(self) -> None:
        """Start the sandbox and import torch in it (done by ``grade`` when needed)."""
        from .batch import GraderError

        try:
            self.worker.start()
        except (WorkerDied, OSError) as exc:
            raise GraderError(f"the sandbox worker could not start: {exc}"
                              f"{self._log_tail()}") from None

    def grade(self, notebook: bytes) -> dict[str, Any]:
        """Run one notebook and decide its grade; a bad notebook is a grade, not an error.

        GraderError only when the sandbox itself keeps failing.
        """
        from .batch import GraderError

        starting, self._starting = self._starting, None
        if starting is not None:
            starting.result()
        elif self.worker.proc is None:
            self.start()
        answers: dict[str, Any] = {}
        start = time.perf_counter()
        try:
            reply = self.worker.grade(self._header, notebook, self._cases,
                                      lambda ex, tree: answers.setdefault(ex, tree))
        except WorkerDied as exc:
            self._failures += 1
            if self._failures >= MAX_FAILURES:
                raise GraderError(f"the sandbox worker keeps failing: {exc}"
                                  f"{self._log_tail()}") from None
            result, outcome = None, decide.died_outcome(str(exc))
            notes = [checker.stop_reason(outcome, self.limits.timeout)[1]]
        else:
            self._failures = 0
            result = reply.result
            outcome = decide.outcome_of(result, reply.clean,
                                        (time.perf_counter() - start) * 1000)
            notes = decide.notes_of(result, outcome, self.limits)
        results = decide.assemble(self.specs, answers, result, outcome, self.limits,
                                  self._check)
        ms = round((time.perf_counter() - start) * 1000, 1)
        return {"results": results, "notes": notes, "run": {**outcome, "ms": ms}}

    def _check(self, exercise: str, tree: Any, runs: dict[str, Any]) -> dict[str, Any]:
        return checker.check_one(exercise, tree, runs, device=self.device, hidden=self.hidden)

    def _log_tail(self) -> str:
        try:
            tail = self.worker.log.read_text(errors="replace").strip()[-600:]
        except OSError:
            return ""
        return f"\n{tail}" if tail else ""

    def close(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
            try:
                self._starting.result()
            except Exception:  # noqa: BLE001  (closing anyway)
                pass
            self._starting = None
        self.worker.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
