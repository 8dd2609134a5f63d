"""Grading a batch locally: one engine per worker thread, checks in a pool of processes.

Each thread drives one warm sandbox through :class:`~convdojo.grade.engine.Engine`
and keeps one notebook ahead: the next runs in the sandbox while the last one's
checks finish, so neither waits for the other and the sandboxes never run more
than one notebook ahead of the checkers.  The checker processes never run student code.
The main thread alone writes the journal, so a student is either fully recorded
(fsynced) or not at all, and a rerun resumes from there.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import queue
import shutil
import threading
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from collections.abc import Callable
from typing import Any

from convdojo import sandbox
from convdojo.sandbox.workers import Worker

from . import checker
from .engine import Engine, Job, Pending, Who
from .errors import GraderError
from .journal import Recorder
from .limits import Limits
from .records import Graded
from .submissions import Submission

__all__ = ["Batch", "Launched", "PoolChecks"]

WALL = 60.0  # seconds a check may take in wall time, its wait for a checker included


class PoolChecks:
    """Checks in a pool of checker processes; one that overruns is killed with its pool."""

    def __init__(self, n: int, device: str, memory: int) -> None:
        self.n, self.device, self.memory = n, device, max(memory, 2**31)
        self.lock = threading.Lock()
        method = "spawn" if device.startswith("cuda") else "fork"
        if method == "fork":
            checker.warm()  # once, here: every checker is forked with it
        self.pool = self._new(method)
        self.pool.submit(int).result()  # fork every checker now, before any thread exists

    def _new(self, method: str) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(
            self.n, mp_context=multiprocessing.get_context(method),
            initializer=checker.init, initargs=(self.device, self.memory))

    def _submit(self, fn: Callable[..., Any],
                args: tuple[Any, ...]) -> tuple[cf.ProcessPoolExecutor, cf.Future[Any]]:
        with self.lock:
            try:
                return self.pool, self.pool.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):
                # A checker died (it never runs student code, so: memory, or a check
                # killed for its time).  Threads exist by now: spawn, do not fork.
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._new("spawn")
                return self.pool, self.pool.submit(fn, *args)

    def submit(self, exercise: str, tree: Any, runs: dict[str, Any], who: Who) -> Pending:
        args = (exercise, tree, runs, None, True, who[0], who[1])
        first = self._submit(checker.check_one, args)
        return lambda: self._result(first, args, retry=True)

    def fitting(self, exercise: str, tree: Any, students: list[str],
                course: Any) -> Callable[[], list[str]]:
        pool, future = self._submit(checker.fitting, (exercise, tree, students, course))

        def result() -> list[str]:
            try:
                found: list[str] = future.result(timeout=WALL)
                return found
            except Exception:  # noqa: BLE001  (no evidence of copying, not a failed grade)
                return []
        return result

    def _result(self, sent: tuple[cf.ProcessPoolExecutor, cf.Future[Any]],
                args: tuple[Any, ...], retry: bool) -> dict[str, Any]:
        pool, future = sent
        try:
            result: dict[str, Any] = future.result(timeout=WALL)
            return result
        except cf.TimeoutError:
            for proc in list((pool._processes or {}).values()):  # no public way to stop one task
                proc.kill()
            return checker.over_budget(str(args[0]))
        except BrokenProcessPool:
            if retry:  # once, in a fresh pool; a second failure is that answer's
                return self._result(self._submit(checker.check_one, args), args, retry=False)
            return checker.over_budget(str(args[0]), memory=True)
        except Exception as exc:  # noqa: BLE001  (a checker failed: say so, go on)
            return checker.simple(str(args[0]), "error",
                                  f"The grader's checker failed ({type(exc).__name__}).")

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class Launched:
    """Sandbox workers started before this process imports torch: their imports of torch
    and ours then overlap, which saves about a second of every batch's start-up."""

    def __init__(self, iso: sandbox.Isolation, out: Path, n: int) -> None:
        self.iso, self.workdir = iso, sandbox.make_workdir()
        self.workers = [Worker(i, iso, self.workdir, out / f".worker-{i}.log")
                        for i in range(n)]
        try:
            for worker in self.workers:
                worker.launch()
        except OSError:
            self.close()
            raise

    def take(self, iso: sandbox.Isolation, n: int) -> tuple[Path, list[Worker]] | None:
        """The folder and up to ``n`` launched workers, if they suit ``iso``; the rest stop."""
        if iso != self.iso:
            self.close()
            return None
        for extra in self.workers[n:]:
            extra.stop()
        taken, self.workers = self.workers[:n], []
        return self.workdir, taken

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class Batch:
    def __init__(self, assignment: Any, out: Path, workers: int, limits: Limits,
                 device: str, iso: sandbox.Isolation, course: Any = None,
                 launched: Launched | None = None) -> None:
        from convdojo import specs
        from convdojo.course import Course

        self.course = course or Course()
        self.specs = [specs.get(e) for e in assignment.exercises]
        self.out, self.limits, self.device, self.iso = out, limits, device, iso
        self.n_workers = max(1, workers)
        self.roster: list[str] = []
        self.launched = launched

    def run(self, recorder: Recorder, subs: list[Submission]) -> None:
        """Grade what the journal does not hold as final."""
        self.roster = [sub.student_id for sub in subs]
        todo = recorder.begin(subs)
        if not todo and self.launched is not None:
            self.launched.close()
            self.launched = None
        if todo:
            checks = PoolChecks(self.n_workers, self.device, self.limits.memory)
            try:
                self._grade(recorder, todo, checks)
            finally:
                checks.close()

    def _grade(self, recorder: Recorder, todo: list[Submission], checks: PoolChecks) -> None:
        jobs: queue.Queue[Submission] = queue.Queue()
        for sub in todo:
            jobs.put(sub)
        done: queue.Queue[tuple[Submission, Graded] | GraderError] = queue.Queue()
        n = min(self.n_workers, len(todo))
        launched, self.launched = self.launched, None
        found = launched.take(self.iso, n) if launched is not None else None
        workdir, ready = found or (sandbox.make_workdir(), [])
        job = Job.make(self.specs, self.limits, self.iso, course=self.course,
                       roster=self.roster)
        engines = [Engine(self.iso, workdir, i, self.out / f".worker-{i}.log", checks, job,
                          worker=ready[i] if i < len(ready) else None) for i in range(n)]
        threads = [threading.Thread(target=_drive, args=(e, jobs, done), daemon=True)
                   for e in engines]
        for t in threads:
            t.start()
        try:
            for _ in todo:
                item = done.get()
                if isinstance(item, GraderError):
                    raise item
                recorder.add(*item)
        finally:
            while not jobs.empty():  # stopping early: no thread takes another notebook
                jobs.get_nowait()
            for e in engines:
                e.stop()
            for t in threads:
                t.join(timeout=5)
            shutil.rmtree(workdir, ignore_errors=True)
            for e in engines:  # keep a worker's log only if it has something to say
                log = e.worker.log
                if log.exists() and log.stat().st_size == 0:
                    log.unlink()


def _drive(engine: Engine, jobs: queue.Queue[Submission],
           done: queue.Queue[tuple[Submission, Graded] | GraderError]) -> None:
    """A worker thread: start the sandbox before any submission's clock, then grade."""
    ahead: tuple[Submission, Callable[[], Graded]] | None = None
    try:
        engine.start()
        while True:
            try:
                sub: Submission | None = jobs.get_nowait()
            except queue.Empty:
                sub = None
            # The next notebook runs in the sandbox while the last one's checks finish.
            try:
                started = ((sub, engine.run(sub.data or b"", sub.student_id)) if sub is not None
                           else None)
            finally:  # even when the sandbox cannot start again, the last one counts
                if ahead is not None:
                    done.put((ahead[0], ahead[1]()))
                    ahead = None
            if started is None:
                return
            ahead = started
    except GraderError as exc:
        done.put(exc)
    except Exception as exc:  # noqa: BLE001  (a grader bug: stop, never hang)
        done.put(GraderError(f"the grader failed: {type(exc).__name__}: {exc}"))
