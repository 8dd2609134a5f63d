"""Grading a batch: warm sandbox workers run notebooks, clean checkers decide grades.

Threads only move bytes: one per sandbox worker (send a notebook, wait for its
plain answers).  Grades are computed in a pool of checker processes that never
run student code.  The main thread alone writes the journal, so a student is
either fully recorded (fsynced) or not at all, and a rerun resumes from there.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import multiprocessing
import queue
import shutil
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import checker, decide, sandbox
from .journal import Journal
from .limits import Limits
from .submissions import Submission
from .workers import Worker, WorkerDied

class GraderError(RuntimeError):
    """The grader itself could not run (not a problem with a submission)."""


@dataclass
class Summary:
    assignment: str
    students: int
    exercises: int
    graded: int  # graded in this run (the rest came from the journal)
    errors: int  # students with at least one exercise that could not be graded
    timeouts: int
    elapsed: float
    isolation: str
    notes: list[str]
    out: Path
    latencies_ms: list[float] = field(default_factory=list)


class Batch:
    def __init__(self, assignment: Any, out: Path, workers: int, limits: Limits,
                 device: str, iso: sandbox.Isolation, progress: Any) -> None:
        from convdojo import specs
        self.assignment = assignment
        self.specs = [specs.get(e) for e in assignment.exercises]
        self.out, self.limits, self.device, self.iso = out, limits, device, iso
        self.n_workers = max(1, workers)
        self.progress = progress
        self.journal = Journal(out / "journal.jsonl", assignment.name)
        self.results: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self.latencies: list[float] = []
        # At most one submission per worker between "sent to the sandbox" and "recorded":
        # the sandboxes never run ahead of the checkers, so a submission's time is its cost.
        self.inflight = threading.Semaphore(self.n_workers)
        self.pool: cf.ProcessPoolExecutor

    def header(self) -> dict[str, Any]:
        return decide.header(self.specs, self.limits, bool(self.iso.bwrap))

    def cases(self) -> dict[str, list[Any]]:
        return decide.cases(self.specs, hidden=True)

    # --- the run -------------------------------------------------------------------
    def run(self, subs: list[Submission]) -> int:
        todo = [s for s in subs if not self.journal.done(s.student_id, s.digest)]
        self.progress.start(len(subs), len(subs) - len(todo))
        for sub in [s for s in todo if s.data is None]:
            self._record(sub, [checker.simple(e, "error", sub.problem or "") for e in
                              self.assignment.exercises], {"status": "missing"}, [], 0.0)
        recorded = len(todo)
        todo = [s for s in todo if s.data is not None]
        if not todo:
            return recorded
        self.pool = self._new_pool("spawn" if self.device.startswith("cuda") else "fork")
        try:
            self.pool.submit(int).result()  # fork every checker now, before any thread exists
            self._grade(todo)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
        return recorded

    def _new_pool(self, method: str) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            self.n_workers, mp_context=multiprocessing.get_context(method),
            initializer=checker.init, initargs=(self.device, max(self.limits.memory, 2**31)))

    def _grade(self, todo: list[Submission]) -> None:
        jobs: queue.Queue[Submission | None] = queue.Queue()
        for sub in todo:
            jobs.put(sub)
        workdir = sandbox.make_workdir()
        header, cases = self.header(), self.cases()
        workers = [Worker(i, self.iso, workdir, self.out / f".worker-{i}.log")
                   for i in range(min(self.n_workers, len(todo)))]
        threads = [threading.Thread(target=self._drive, args=(w, jobs, header, cases),
                                    daemon=True) for w in workers]
        for _ in threads:
            jobs.put(None)
        for t in threads:
            t.start()
        pending = {s.student_id: s for s in todo}
        partial: dict[str, dict[str, Any]] = {}
        try:
            while pending:
                item = self.results.get()
                if item[0] == "fatal":
                    raise GraderError(item[1])
                self._collect(item, pending, partial)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            for w in workers:
                w.stop()
            for t in threads:
                t.join(timeout=5)
            for w in workers:  # keep a worker's log only if it has something to say
                if w.log.exists() and w.log.stat().st_size == 0:
                    w.log.unlink()

    def _drive(self, worker: Worker, jobs: queue.Queue[Submission | None],
               header: dict[str, Any], cases: dict[str, list[Any]]) -> None:
        failures = 0
        try:
            worker.start()  # import torch once, before the clock of any submission starts
        except (WorkerDied, OSError) as exc:
            self.results.put(("fatal", f"the sandbox worker could not start: {exc}"))
            return
        while True:
            self.inflight.acquire()
            sub = jobs.get()
            if sub is None:
                self.inflight.release()
                return
            start = time.perf_counter()
            try:
                reply = worker.grade(header, sub.data or b"", cases, functools.partial(
                    self._answer, sub, start))
                failures = 0
                self.results.put(("reply", sub, reply.result, reply.clean, start))
            except WorkerDied as exc:
                failures += 1
                if failures >= 3:  # not this notebook: the sandbox does not work at all
                    self.results.put(("fatal", f"the sandbox worker keeps failing: {exc}"))
                    return
                self.results.put(("died", sub, str(exc), start))

    def _answer(self, sub: Submission, start: float, exercise: str, tree: Any) -> None:
        self.results.put(("answer", sub, exercise, tree, start))

    def _state(self, partial: dict[str, dict[str, Any]], sub: Submission,
               start: float) -> dict[str, Any]:
        if sub.student_id not in partial:
            partial[sub.student_id] = {"results": [None] * len(self.specs), "outcome": None,
                                       "notes": [], "start": start, "answers": {}}
        return partial[sub.student_id]

    def _check(self, sub: Submission, index: int, tree: Any, results: dict[str, Any],
               retry: bool = True) -> None:
        def done(f: cf.Future[dict[str, Any]]) -> None:
            if retry and isinstance(f.exception(), BrokenProcessPool):
                self.results.put(("retry", sub, index, tree, results))
            else:
                self.results.put(("checked", sub, index, _result_of(f)))
        try:
            future = self.pool.submit(checker.check_one, self.specs[index].id, tree, results)
        except BrokenProcessPool:
            self.results.put(("retry", sub, index, tree, results) if retry else
                             ("checked", sub, index, _result_of(None)))
            return
        future.add_done_callback(done)

    def _revive(self) -> None:
        """A checker died (it never runs student code, so: memory): start a fresh pool.
        Threads exist by now, so the new checkers are spawned, not forked."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool("spawn")

    def _collect(self, item: tuple[Any, ...], pending: dict[str, Submission],
                 partial: dict[str, dict[str, Any]]) -> None:
        kind, sub = item[0], item[1]
        if kind == "retry":  # once, in a fresh pool; a second failure is that answer's
            if self.pool._broken:  # noqa: SLF001  (no public way to ask)
                self._revive()
            self._check(sub, item[2], item[3], item[4], retry=False)
            return
        if kind == "answer":  # streamed: check it while the notebook goes on running
            state, exercise, tree = self._state(partial, sub, item[4]), item[2], item[3]
            index = next((i for i, s in enumerate(self.specs) if s.id == exercise), None)
            if index is None or exercise in state["answers"]:
                return
            state["answers"][exercise] = tree
            if self.specs[index].kind != "function":  # those wait for their case results
                self._check(sub, index, tree, {})
            return
        if kind == "checked":
            if sub.student_id not in partial:
                return
            state, index, res = partial[sub.student_id], item[2], item[3]
            if res.get("exercise_id") != self.specs[index].id:  # the checker process died
                res = checker.simple(self.specs[index].id, "error", *res["feedback"][:1])
            state["results"][index] = res
        elif kind == "died":  # answers that arrived before are genuine: keep their checks
            outcome = decide.died_outcome(item[2])
            state = self._state(partial, sub, item[3])
            state["outcome"] = outcome
            state["notes"] = [checker.stop_reason(outcome, self.limits.timeout)[1]]
            for i, spec in enumerate(self.specs):
                if spec.id not in state["answers"] or spec.kind == "function":
                    state["results"][i] = checker.unreached(spec.id, outcome,
                                                            self.limits.timeout)
        else:
            result, clean, start = item[2], item[3], item[4]
            outcome = decide.outcome_of(result, clean, (time.perf_counter() - start) * 1000)
            state = self._state(partial, sub, start)
            state["outcome"] = outcome
            state["notes"] = decide.notes_of(result, outcome, self.limits)
            for i, spec in enumerate(self.specs):
                if spec.id not in state["answers"]:
                    state["results"][i] = checker.unreached(spec.id, outcome,
                                                            self.limits.timeout)
                elif spec.kind == "function":
                    self._check(sub, i, state["answers"][spec.id], result.get("results", {}))
        state = partial[sub.student_id]
        if state["outcome"] is not None and all(r is not None for r in state["results"]):
            ms = (time.perf_counter() - state["start"]) * 1000
            self._record(sub, state["results"], state["outcome"], state["notes"], ms)
            del partial[sub.student_id], pending[sub.student_id]
            self.inflight.release()

    def _record(self, sub: Submission, results: list[dict[str, Any]],
                outcome: dict[str, Any], notes: list[str], ms: float) -> None:
        self.journal.add(decide.record(sub.student_id, sub.digest, results, notes,
                                       {**outcome, "ms": round(ms, 1)}))
        if ms:
            self.latencies.append(ms)
        self.progress.advance(results)


def _result_of(future: cf.Future[dict[str, Any]] | None) -> dict[str, Any]:
    try:
        if future is None:
            raise BrokenProcessPool("no checker")
        return future.result()
    except Exception as exc:  # a checker process died: say so, keep the batch going
        return {"exercise_id": "?", "score": 0.0, "max_score": 0.0, "status": "error",
                "feedback": [f"The grader's checker failed ({type(exc).__name__})."],
                "findings": [], "passed": False}
