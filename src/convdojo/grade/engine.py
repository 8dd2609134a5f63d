"""The one grading driver: a warm sandbox worker that decides one notebook at a time.

The local batch (one engine per worker thread, checks in a pool of checker
processes), ``Session`` (validate, the pytest autograder) and the Dask tasks
(checks in the calling process) all grade through :class:`Engine`.  The notebook
runs in the sandbox; its grade is decided outside it, from the answers the
sandbox reported, by ``checker.check_one``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from convdojo import sandbox
from convdojo.sandbox.inside import codec
from convdojo.sandbox.workers import Worker, WorkerDied

from . import checker, copying
from .errors import CannotStart
from .limits import Limits, format_size
from .records import Graded, Run

if TYPE_CHECKING:
    from convdojo.course import Course

__all__ = ["Checks", "Engine", "InlineChecks", "Job", "lost", "missing"]

Pending = Callable[[], dict[str, Any]]  # a check under way: call it for its result


Who = tuple[str, "Course"]  # the folder's student id and the course: whose numbers to grade


class Checks(Protocol):
    def submit(self, exercise: str, tree: Any, runs: dict[str, Any], who: Who) -> Pending: ...

    def fitting(self, exercise: str, tree: Any, students: list[str],
                course: Course) -> Callable[[], list[str]]: ...


class InlineChecks:
    """Checks in this process, run when their result is asked for."""

    def __init__(self, device: str, hidden: bool = True) -> None:
        self.device, self.hidden = device, hidden

    def submit(self, exercise: str, tree: Any, runs: dict[str, Any], who: Who) -> Pending:
        return lambda: checker.check_one(exercise, tree, runs, device=self.device,
                                         hidden=self.hidden, student=who[0], course=who[1])

    def fitting(self, exercise: str, tree: Any, students: list[str],
                course: Course) -> Callable[[], list[str]]:
        return lambda: checker.fitting(exercise, tree, students, course, self.device)


@dataclass(frozen=True)
class Job:
    """What a sandbox worker is sent with every notebook: its header and the cases."""

    specs: tuple[Any, ...]
    limits: Limits
    header: dict[str, Any]
    course: Course
    hidden: bool = True
    roster: tuple[str, ...] = ()  # the batch's student ids: whose variants copies may fit

    @classmethod
    def make(cls, specs: Sequence[Any], limits: Limits, iso: sandbox.Isolation, *,
             hidden: bool = True, course: Course | None = None,
             roster: Sequence[str] = ()) -> Job:
        from convdojo.course import Course

        exercises = [{"id": s.id, "name": s.answer_name, "kind": s.kind} for s in specs]
        # RLIMIT_NPROC counts every task of this uid (a Dask worker's threads too): without
        # them a non-root sandbox could not fork at all.  Root ignores the limit.
        extra = {"max_procs": limits.nproc if iso.bwrap else 0,
                 "nproc": 0 if os.geteuid() == 0 else _user_tasks() + 64 + limits.nproc}
        header = {"exercises": exercises, **limits.header(), **extra}
        return cls(tuple(specs), limits, header, course or Course(), hidden, tuple(roster))

    def cases(self, student: str) -> dict[str, list[Any]]:
        """The function exercises' arguments for this student (hidden ones from the
        course secret), sent only after the notebook has run."""
        from convdojo.specs.personal import resolve

        functions = [resolve(s.id, student, self.course, self.hidden) for s in self.specs
                     if s.kind == "function"]
        return _cases(functions, self.hidden)


def _user_tasks() -> int:
    """Tasks (threads included) this uid runs now: RLIMIT_NPROC counts them all."""
    uid, count = os.getuid(), 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return count


def _cases(specs: Sequence[Any], hidden: bool) -> dict[str, list[Any]]:
    """Function exercises' arguments, sent only after the notebook has run."""
    out: dict[str, list[Any]] = {"public": [], "hidden": []}
    for spec in specs:
        for i, (args, kwargs, is_hidden) in enumerate(getattr(spec, "cases", ()) or ()):
            if is_hidden and not hidden:
                continue
            try:
                row = [spec.id, i, codec.to_json(codec.encode(tuple(args))),
                       codec.to_json(codec.encode(dict(kwargs)))]
            except codec.PlainError:
                continue  # that case reports "did not run" on the clean side
            out["hidden" if is_hidden else "public"].append(row)
    return out


class Engine:
    """One warm sandbox worker and the rules that turn its report into a grade."""

    def __init__(self, iso: sandbox.Isolation, workdir: Path, index: int, log: Path,
                 checks: Checks, job: Job | None = None, worker: Worker | None = None) -> None:
        self.iso, self.checks = iso, checks
        self.job = job  # may come after start(): building it imports torch, as the sandbox does
        self.worker = worker or Worker(index, iso, workdir, log)  # perhaps launched already

    def start(self) -> None:
        """Start the sandbox and import torch in it; CannotStart if it cannot."""
        try:
            self.worker.start()
        except (WorkerDied, OSError) as exc:
            self.worker.stop()
            raise CannotStart(f"the sandbox worker could not start: {exc}"
                              f"{self._log_tail()}") from None

    @property
    def running(self) -> bool:
        proc = self.worker.proc
        return self.worker.ready and proc is not None and proc.poll() is None

    def grade(self, notebook: bytes, student: str = "") -> Graded:
        """Run one notebook and decide it on ``student``'s numbers (the submission
        folder's id; "" for the fixed ones).  A notebook that kills the worker costs that
        notebook only: the next call starts a fresh one.  CannotStart if that fails."""
        return self.run(notebook, student)()

    def run(self, notebook: bytes, student: str = "") -> Callable[[], Graded]:
        """Run one notebook in the sandbox and hand its answers to the checks; the
        returned call waits for the checks and decides.  Meanwhile the sandbox may
        already run the next notebook (the batch keeps one ahead per engine)."""
        if not self.running:
            self.start()
        assert self.job is not None
        specs = {s.id: s for s in self.job.specs}
        answers: dict[str, Any] = {}
        checks: dict[str, Pending] = {}
        who: Who = (student, self.job.course)

        def on_answer(exercise: str, tree: Any) -> None:
            spec = specs.get(exercise)
            if spec is None or exercise in answers:
                return
            answers[exercise] = tree
            if spec.kind != "function":  # checked while the notebook goes on running
                checks[exercise] = self.checks.submit(exercise, tree, {}, who)

        start = time.perf_counter()
        try:
            reply = self.worker.grade(self.job.header, notebook, self.job.cases(student),
                                      on_answer)
        except WorkerDied as exc:
            result, run = None, Run("worker", detail=str(exc))
        else:
            result = reply.result
            run = _run_of(result, reply.clean, (time.perf_counter() - start) * 1000)
        for spec in self.job.specs:  # function answers wait for their cases' results
            if spec.kind == "function" and spec.id in answers and result is not None:
                checks[spec.id] = self.checks.submit(spec.id, answers[spec.id],
                                                     result.get("results", {}), who)
        job = self.job
        ran = time.perf_counter() - start

        def decide() -> Graded:
            # ms: the time this notebook held its engine, not the next one's run meanwhile
            waited = time.perf_counter()
            timeout = job.limits.timeout
            results = [checks[s.id]() if s.id in checks else
                       checker.unreached(s.id, run, timeout) for s in job.specs]
            run.ms = round((ran + time.perf_counter() - waited) * 1000, 1)
            notes = _identity_note(notebook, student) + _notes(result, run, job.limits)
            notes += copying.flags(job.specs, answers, results, student, job.course,
                                   job.roster, self.checks)
            return Graded(results, notes, run).capped()
        return decide

    def _log_tail(self) -> str:
        try:
            tail = self.worker.log.read_text(errors="replace").strip()[-600:]
        except OSError:
            return ""
        return f"\n{tail}" if tail else ""

    def stop(self) -> None:
        self.worker.stop()


def _run_of(result: dict[str, Any], clean: dict[str, Any], sandbox_ms: float) -> Run:
    """The run summary kept in the journal, from a worker's final report."""
    return Run(str(result.get("status")), cell=result.get("cell"), line=result.get("line"),
               fatal=result.get("fatal"), run_ms=result.get("run_ms"),
               exit=clean.get("exit"), stray=clean.get("stray", 0),
               clean_ms=clean.get("clean_ms"), sandbox_ms=round(sandbox_ms, 1))


def _identity_note(notebook: bytes, student: str) -> list[str]:
    """The id typed into the notebook is only compared with the folder's, never used."""
    from convdojo.identity import typed_student

    typed = typed_student(notebook[:2_000_000].decode("utf-8", "replace"))
    if not student or not typed or typed == student:
        return []
    return [f"This notebook was set up for student {typed!r} (the id typed in its first "
            f"cell); it is graded on the numbers of {student!r}, its submission folder."]


def _notes(result: dict[str, Any] | None, run: Run, limits: Limits) -> list[str]:
    """What the student is told about the run as a whole."""
    notes = []
    for note in (result or {}).get("notes", [])[:30]:
        note = str(note)
        if "MemoryError" in note:
            note += f" (the limit is {format_size(limits.memory)} of memory)"
        notes.append(note)
    if run.status not in ("ok", "fatal"):
        notes.append(checker.stop_reason(run, limits.timeout)[1])
    return notes


def missing(exercises: Sequence[str], problem: str) -> Graded:
    """A submission with nothing to run (no notebook, not a file, too large)."""
    return Graded([checker.simple(e, "error", problem) for e in exercises], [], Run("missing"))


def lost(exercises: Sequence[str], why: str) -> Graded:
    """A notebook the cluster could not grade for reasons of its own (retried on a rerun)."""
    text = f"The grader could not grade this notebook: {why}. Tell your instructor."
    return Graded([checker.simple(e, "error", text) for e in exercises], [text],
                  Run("cluster", detail=why[:200]))
