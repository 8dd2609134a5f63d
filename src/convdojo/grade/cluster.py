"""``convdojo grade --scheduler ADDRESS``: the client side of grading on a Dask cluster.

One task per submission, its notebook's bytes as the argument (the workers need
no shared filesystem), run by :func:`convdojo.grade.tasks.grade_task` in each
worker's own warm sandbox.  Results stream back as they complete and this
process alone writes the journal, once per student, so a rerun resumes exactly
as a local run does.  Dask reschedules the task of a worker that dies; a task
that still fails is that student's "error", never the end of the batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .engine import lost
from .errors import GraderError
from .journal import Recorder
from .limits import Limits
from .records import Graded
from .submissions import Submission
from .tasks import Config, grade_task, warm

__all__ = ["ClusterError", "ClusterRun", "check_address", "grade_on_cluster", "label", "task_key"]

INSTALL = "pip install 'convdojo[dask]'"
WORKER_WAIT = 60.0  # seconds to wait for a first worker on a scheduler that has none
REFRESH = 2.0  # seconds between looks at how many task threads the cluster has


class ClusterError(GraderError):
    """The cluster cannot be used: dask missing, scheduler unreachable, a worker unfit."""


@dataclass
class ClusterRun:
    """What the batch's summary and meta need from a cluster run."""

    isolation: Counter[str] = field(default_factory=Counter)  # label -> workers
    devices: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    workers: set[str] = field(default_factory=set)

    def seen(self, address: str, about: dict[str, Any]) -> None:
        """Count each worker's isolation and device once, and keep its notes."""
        if address in self.workers:
            return
        self.workers.add(address)
        self.isolation[about["isolation"]] += 1
        self.devices[about["device"]] += 1
        self.notes += [n for n in about.get("notes", []) if n not in self.notes]


def label(counts: Counter[str]) -> str:
    """'bubblewrap', or 'mixed: ...' when workers differ (the summary must not hide it)."""
    if len(counts) <= 1:
        return next(iter(counts), "unknown")
    return "mixed: " + ", ".join(f"{k} on {n} worker{'s' * (n != 1)}"
                                  for k, n in counts.most_common())


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--scheduler needs Dask's distributed package: {INSTALL} "
                           "(here and on every worker)") from None
    return distributed


def check_address(address: str) -> str:
    """'host:port' or 'tcp://host:port' -> a full address; ValueError if malformed."""
    comm = _distributed().comm
    full = address if "://" in address else f"tcp://{address}"
    try:
        scheme, location = comm.parse_address(full)
        comm.registry.get_backend(scheme)
        host, _ = comm.parse_host_port(location)
        if not host:
            raise ValueError("no host")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"--scheduler {address!r} is not a Dask scheduler address ({exc}); "
                         "use e.g. tcp://HOST:8786") from None
    return full


def _connect(address: str) -> Any:
    """A Client, or a ClusterError saying what to check, within dask's connect timeout."""
    distributed = _distributed()
    import dask

    timeout = dask.utils.parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"))

    async def reach() -> None:  # fails quietly and at once, unlike a half-made Client
        # TLS settings, if any, come from dask's config, as for the Client below.
        args = distributed.Security().get_connection_args("client")
        comm = await distributed.comm.connect(address, timeout=timeout, **args)
        await comm.close()

    host, port = distributed.comm.parse_host_port(distributed.comm.parse_address(address)[1])
    try:  # a typo in the host name: say so now, not after the connect timeout
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: unknown host "
                           f"{host!r} ({exc.strerror})") from None
    try:
        asyncio.run(reach())
    except (OSError, asyncio.TimeoutError) as exc:
        cause = f" ({_root_cause(exc)})" if exc.__cause__ or exc.__context__ else ""
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s{cause}. "
            "Is `dask scheduler` running there, and is its port open from here? (To wait "
            "longer: DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=60s.)") from None
    return distributed.Client(address, timeout=timeout, set_as_default=False)


def _root_cause(exc: BaseException) -> str:
    """'Connection refused', not the chain of wrappers around it."""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def task_key(config: Config, sub: Submission) -> str:
    """Deterministic: the same student, notebook and settings are one task, however
    often (or by however many clients) they are submitted."""
    course = config.course  # other numbers or another secret: another task
    what = json.dumps([config.assignment, config.limits.header(), config.device,
                       config.sandbox, sub.student_id, sub.digest, course.salt,
                       course.variants, course.secret.digest])
    return f"convdojo-grade-{hashlib.sha256(what.encode()).hexdigest()[:32]}"


def _fatal(exc: BaseException, where: str | None = None) -> ClusterError:
    if isinstance(exc, ImportError):
        return ClusterError(f"a worker{f' ({where})' if where else ''} cannot load the "
                            f"grader ({exc}): install convdojo on every worker with {INSTALL}")
    text = str(exc) or type(exc).__name__  # the worker side names itself: "worker ADDRESS: ..."
    return ClusterError(f"worker {where}: {text}" if where and where not in text else text)


def _warm_all(client: Any, config: Config, run: ClusterRun) -> None:
    """Start a sandbox on every worker now: a worker that cannot grade stops the batch
    here, with its address, before any student is sent to it."""
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT)
    except (TimeoutError, asyncio.TimeoutError):
        raise ClusterError(f"the scheduler has no workers after {WORKER_WAIT:g} s: start "
                           f"some with `dask worker {client.scheduler.address}`") from None
    for address, reply in sorted(client.run(warm, config, on_error="return").items()):
        if isinstance(reply, BaseException):
            raise _fatal(reply, address)
        run.seen(address, reply)


def _failed(spec: Any, exc: BaseException) -> Graded:
    """A task Dask gave up on: every exercise is an error, with the reason."""
    name = type(exc).__name__
    if name == "KilledWorker":
        why = ("every Dask worker that tried to grade this notebook died while doing so "
               "(KilledWorker)")
    else:
        why = f"grading it failed on the cluster ({name}: {str(exc)[:200]})"
    return lost(spec.exercises, why)


def grade_on_cluster(address: str, *, spec: Any, subs: list[Submission], recorder: Recorder,
                     limits: Limits, device: str | None, sandbox_on: bool,
                     course: Any = None) -> ClusterRun:
    """Grade on the cluster at ``address`` what the journal does not hold as final."""
    import convdojo

    from convdojo.course import Course

    config = Config(spec.name, tuple(spec.exercises), convdojo.__version__, limits, device,
                    sandbox_on, course or Course(), tuple(sub.student_id for sub in subs))
    run = ClusterRun()
    client = _connect(address)
    try:
        _warm_all(client, config, run)
        _stream(client, config, spec, recorder.begin(subs), recorder, run)
    finally:
        client.close()
    return run


def _stream(client: Any, config: Config, spec: Any, todo: list[Submission],
            recorder: Recorder, run: ClusterRun) -> None:
    """Keep a window of tasks submitted (bounded, so a course's notebooks never sit in the
    scheduler's memory all at once) and journal each result as it completes."""
    distributed = _distributed()
    pending: dict[str, tuple[Submission, Any]] = {}
    queue = iter(todo)
    done = distributed.as_completed(loop=client.loop)
    recorded: set[str] = set()
    window, looked = 0, -REFRESH

    def refill() -> None:
        nonlocal window, looked
        if time.monotonic() - looked >= REFRESH:  # workers come and go
            window = max(4, 2 * sum(client.nthreads().values()))
            looked = time.monotonic()
        while len(pending) < window and (sub := next(queue, None)) is not None:
            future = client.submit(grade_task, config, sub.data, sub.student_id,
                                   key=task_key(config, sub))
            pending[future.key] = (sub, future)
            done.add(future)

    try:
        refill()
        for future in done:
            sub, _ = pending.pop(future.key, (None, None))
            if sub is None or sub.student_id in recorded:
                future.release()
                continue  # a duplicate completion: each student is recorded once
            try:
                graded = _from_wire(future.result(), run)
            except (GraderError, ImportError) as exc:  # this worker cannot grade at all
                raise _fatal(exc) from None
            except distributed.client.FutureCancelledError as exc:  # the scheduler is gone
                why = str(exc).splitlines()[0].split("reason: ")[-1].rstrip(".")
                raise ClusterError(f"the Dask scheduler cancelled the batch's tasks ({why}); "
                                   f"the {recorder.graded} students graded before that are kept: "
                                   "rerun the same command to resume") from None
            except Exception as exc:  # noqa: BLE001  (KilledWorker, or a bug: keep going)
                graded = _failed(spec, exc)
            finally:
                future.release()  # the result is ours now: free it on the cluster
            recorder.add(sub, graded)
            recorded.add(sub.student_id)
            refill()
    finally:
        if pending:  # stopped early: nothing should go on grading for nobody
            client.cancel([f for _, f in pending.values()])


def _from_wire(data: dict[str, Any], run: ClusterRun) -> Graded:
    """A task's JSON back into a ``Graded``, noting the worker that graded it."""
    about = data.get("worker")
    graded = Graded.from_json(data)
    if about:
        run.seen(about["address"], about)
        graded.run.worker = about["address"]
    return graded

