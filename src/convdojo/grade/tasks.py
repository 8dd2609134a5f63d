"""What runs on a Dask worker for ``convdojo grade --scheduler``: notebook bytes in, a grade out.

Each worker process keeps warm :class:`~convdojo.grade.session.Session` objects
(one per task thread, each with its own sandbox) between tasks, so only the
first submission a worker sees pays for starting a sandbox and importing torch.
Nothing here imports ``distributed`` at module level: the client pickles these
functions by reference, so the workers need convdojo installed, not a shared
filesystem.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from convdojo.course import Course

from .errors import GraderError
from .limits import Limits
from .records import storable
from .session import Session

__all__ = ["Config", "close_all", "grade_task", "warm"]

_LOCK = threading.Lock()
_IDLE: dict[Config, list[Session]] = {}  # warm sessions waiting for a task, per config
_ALL: list[Session] = []


@dataclass(frozen=True)
class Config:
    """How to grade: the same for every task of a batch (and the sessions' cache key)."""

    assignment: str
    exercises: tuple[str, ...]  # the client's view of the assignment, to catch stale installs
    version: str  # the client's convdojo version
    limits: Limits
    device: str | None  # None: each worker picks its own (CONVDOJO_DEVICE, cuda, else cpu)
    sandbox: bool = True
    course: Course = Course()  # its secret travels to the grader's own workers only
    roster: tuple[str, ...] = ()  # the batch's student ids (copies may fit their variants)


@dataclass(frozen=True)
class Place:
    """Where a session runs: the worker's address (for messages) and its local directory.

    Sandbox folders go in the worker's own directory, which Dask removes once a
    worker is gone, even a SIGKILLed one that never ran its exit handlers.
    """

    where: str
    root: str | None = None


def _place(worker: Any = None) -> Place:
    """This Dask worker's place (``worker`` or the one running this task)."""
    try:
        if worker is None:
            from distributed import get_worker
            worker = get_worker()
        return Place(str(worker.address), str(worker.local_directory))
    except (ImportError, ValueError, AttributeError):  # not in a Dask worker
        return Place(socket.gethostname())


def _check_install(config: Config, where: str) -> None:
    """A worker with another convdojo would grade with other specs: refuse, loudly."""
    import convdojo
    from convdojo import specs

    if convdojo.__version__ != config.version:
        raise GraderError(f"worker {where} has convdojo {convdojo.__version__}, the "
                          f"client {config.version}: install the same version everywhere")
    try:
        ours = tuple(specs.assignment(config.assignment).exercises)
    except specs.UnknownAssignment:
        ours = ()
    if ours != config.exercises:
        raise GraderError(f"worker {where} knows assignment {config.assignment!r} with "
                          f"exercises {list(ours)}, the client with {list(config.exercises)}: "
                          "install the same convdojo everywhere")


def _new_session(config: Config, place: Place) -> Session:
    where = place.where
    _check_install(config, where)
    import torch

    # Checks run in this process: one thread each, as in the local checker pool, so
    # several task threads (or worker processes) on a machine do not oversubscribe it.
    torch.set_num_threads(1)
    try:
        session = Session(config.assignment, limits=config.limits, device=config.device,
                          sandbox_on=config.sandbox, index=len(_ALL), warm=False,
                          workroot=place.root, course=config.course, roster=config.roster)
    except ValueError as exc:  # e.g. --device cuda on a worker without a GPU
        raise GraderError(f"worker {where} cannot grade: {exc}") from None
    with _LOCK:
        _ALL.append(session)
    return session


def _acquire(config: Config, place: Place) -> Session:
    with _LOCK:
        idle = _IDLE.get(config)
        if idle:
            return idle.pop()
        # Another batch's settings (say, another --timeout): its idle sandboxes would
        # hold memory on a long-lived worker for nothing.
        stale = [s for c, sessions in _IDLE.items() if c != config for s in sessions]
        for c in [c for c in _IDLE if c != config]:
            del _IDLE[c]
    for session in stale:
        _discard(session)
    return _new_session(config, place)


def _release(config: Config, session: Session) -> None:
    with _LOCK:
        _IDLE.setdefault(config, []).append(session)


def _discard(session: Session) -> None:
    with _LOCK:
        if session in _ALL:
            _ALL.remove(session)
    session.close()


def _about(session: Session, where: str) -> dict[str, Any]:
    return {"address": where, "isolation": session.iso.label,
            "notes": list(session.iso.notes), "device": session.device}


@contextmanager
def _borrowed(config: Config, place: Place) -> Iterator[Session]:
    """A warm session for one use; one that failed is never handed to the next task.

    Sessions are kept by everything but the roster, which each batch has its own of
    (a cluster's warm sandboxes must outlive a batch): it is set for every task."""
    key = dataclasses.replace(config, roster=())
    session = _acquire(key, place)
    if session.job is not None:  # a Session makes its job as it is built
        session.job = dataclasses.replace(session.job, roster=config.roster)
    try:
        yield session
    except GraderError as exc:
        _discard(session)
        raise GraderError(f"worker {place.where}: {exc}") from None
    except BaseException:
        _discard(session)
        raise
    _release(key, session)


def _start(config: Config, place: Place) -> dict[str, Any]:
    with _borrowed(config, place) as session:
        if not session.running:
            session.start()
    return _about(session, place.where)


async def warm(config: Config, dask_worker: Any = None) -> dict[str, Any]:
    """``client.run(warm, config)``: start one sandbox per worker before the tasks arrive,
    and report how it is isolated.  In a thread, so the worker's event loop keeps beating."""
    place = _place(dask_worker) if dask_worker is not None else Place(socket.gethostname())
    return await asyncio.get_running_loop().run_in_executor(None, _start, config, place)


def grade_task(config: Config, notebook: bytes, student: str = "") -> dict[str, Any]:
    """One submission, graded on the numbers of ``student`` (its folder's id): a
    ``Graded`` as JSON (the wire), with ``"worker"`` added.

    A bad notebook is a grade, never an exception; GraderError means this worker
    cannot grade at all (its sandbox cannot start, or a mismatched install).
    """
    place = _place()
    with _borrowed(config, place) as session:
        graded = session.grade(notebook, student)
    return {**storable(graded.to_json()), "worker": _about(session, place.where)}


@atexit.register
def close_all() -> None:
    """Stop every sandbox and remove its folder when the worker process exits."""
    with _LOCK:
        sessions = list(_ALL)
        _ALL.clear()
        _IDLE.clear()
    for session in sessions:
        session.close()
