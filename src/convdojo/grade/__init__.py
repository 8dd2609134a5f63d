"""``convdojo grade``: grade a batch of nbgrader submissions, safely and fast.

Student code runs in warm, isolated sandbox workers (bubblewrap when
available) that return only plain data: each answer's layer types,
hyperparameters and weights.  Clean checker processes rebuild the answers and
run ``convdojo.check(..., hidden=True)``, the same code as the self-checks.
With ``scheduler`` the same grading runs on a Dask cluster's workers (cluster.py).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import GraderError
from .progress import Summary, Where

if TYPE_CHECKING:
    from convdojo import sandbox as sandbox_mod
    from .journal import Journal, Recorder
    from .limits import Limits
    from .submissions import Skipped, Submission

__all__ = ["grade_batch", "Summary", "GraderError"]


def grade_batch(
    submitted: str | os.PathLike[str],
    *,
    assignment: str,
    out: str | os.PathLike[str],
    workers: int | None = None,
    timeout: float = 60.0,
    device: str | None = None,
    memory_limit: int | str = "2G",
    sandbox: bool = True,
    progress: Any = None,
    scheduler: str | None = None,
) -> Summary:
    """Grade ``submitted/<student>/<assignment>/<notebook>`` into ``out``; resumable.

    ``scheduler`` (a Dask scheduler's address) grades on that cluster's workers
    instead of local ones; ``workers`` does not apply then.  Raises
    UnknownAssignment, FileNotFoundError or ValueError for bad arguments, and
    GraderError when the sandbox (or the cluster) cannot run at all; never for a
    bad submission.
    """
    started = time.monotonic()
    launched = _launch_early(submitted, out, workers, sandbox) if scheduler is None else None
    try:
        return _grade_batch(submitted, assignment, out, workers, timeout, device, memory_limit,
                            sandbox, progress, scheduler, started, launched)
    finally:
        if launched is not None:
            launched.close()  # a no-op once the batch took the workers


def _launch_early(submitted: str | os.PathLike[str], out: str | os.PathLike[str],
                  workers: int | None, sandbox: bool) -> Any:
    """Start the sandboxes before this process imports torch (specs do), or None.

    Anything odd (no sandbox, bad arguments) is left to the normal path, which says why."""
    from convdojo import sandbox as sandbox_mod
    from .batch import Launched

    try:
        iso = sandbox_mod.detect(disable=not sandbox)
        folders = sum(1 for _ in os.scandir(submitted))
        n = min(workers if workers is not None else (os.cpu_count() or 1), folders)
        if n < 1:
            return None
        Path(out).mkdir(parents=True, exist_ok=True)
        return Launched(iso, Path(out), n)
    except (OSError, ValueError, TypeError):
        return None


def _grade_batch(submitted: str | os.PathLike[str], assignment: str,
                 out: str | os.PathLike[str], workers: int | None, timeout: float,
                 device: str | None, memory_limit: int | str, sandbox: bool, progress: Any,
                 scheduler: str | None, started: float, launched: Any) -> Summary:
    from convdojo import specs

    from .journal import Journal, Recorder
    from .limits import Limits, parse_size
    from .progress import Progress
    from .submissions import discover

    spec = specs.assignment(assignment)
    root, outdir = Path(submitted), Path(out)
    if not root.is_dir():
        raise FileNotFoundError(f"submissions folder {str(root)!r} does not exist (expected "
                                f"SUBMITTED/<student_id>/{assignment}/{spec.notebook})")
    if timeout <= 0:
        raise ValueError("--timeout must be a positive number of seconds")
    memory = parse_size(memory_limit) if isinstance(memory_limit, str) else int(memory_limit)
    limits = Limits(timeout=float(timeout), memory=memory)
    local = _local(workers, device, sandbox) if scheduler is None else None
    if scheduler is not None:
        from . import cluster

        if workers is not None:
            raise ValueError("--workers does not apply with --scheduler: every thread of "
                             "every Dask worker grades (set it with `dask worker --nthreads N`)")
        address = cluster.check_address(scheduler)
        _check_device_name(device)  # the workers resolve it: this machine may have no GPU
    from convdojo import course as course_mod

    course = course_mod.load(course_mod.find_course_dir(root))
    outdir.mkdir(parents=True, exist_ok=True)
    journal = Journal(outdir / "journal.jsonl", spec.name)
    subs, skipped = discover(root, spec.name, spec.notebook)
    bar = progress if progress is not None else Progress()
    recorder = Recorder(journal, bar, spec.exercises)
    try:
        if local is not None:
            from .batch import Batch

            n, dev, iso = local
            Batch(spec, outdir, n, limits, dev, iso, course, launched).run(recorder, subs)
            how = Where(iso.label, dev, list(iso.notes) + _secret_note(course),
                        iso.bwrap is not None)
        else:
            run = cluster.grade_on_cluster(address, spec=spec, subs=subs, recorder=recorder,
                                           limits=limits, device=device, sandbox_on=sandbox,
                                           course=course)
            how = Where(cluster.label(run.isolation), cluster.label(run.devices),
                        run.notes + _secret_note(course), set(run.isolation) == {"bubblewrap"})
    finally:
        bar.close()
        journal.close()
    return _finish(spec, outdir, subs, skipped, journal, limits, started, recorder, how)


def _secret_note(course: Any) -> list[str]:
    """The summary says when hidden inputs came from fixed seeds, and how numbers vary."""
    from convdojo import course_secret

    notes = []
    if course.secret.fixed:
        notes.append(f"hidden inputs from fixed seeds (no course secret): set "
                     f"{course_secret.ENV} or write {course_secret.FILENAME} in the course "
                     "folder")
    if not course.variants:
        notes.append("variants are off: every student was graded on the same numbers")
    return notes


def _local(workers: int | None, device: str | None,
           sandbox: bool) -> tuple[int, str, sandbox_mod.Isolation]:
    from convdojo.devices import resolve_device

    from convdojo import sandbox as sandbox_mod

    dev = str(resolve_device(device))
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ValueError("--workers must be at least 1")
    return n, dev, sandbox_mod.detect(disable=not sandbox)


def _check_device_name(device: str | None) -> None:
    from convdojo.vocab import DEVICES

    if device is not None and device.split(":")[0] not in DEVICES:
        raise ValueError(f"unsupported device {device!r}: use one of {', '.join(DEVICES)}")


def _finish(spec: Any, outdir: Path, subs: list[Submission], skipped: list[Skipped],
            journal: Journal, limits: Limits, started: float, recorder: Recorder,
            how: Where) -> Summary:
    """The shared tail of a local and a cluster run: every output, from the journal."""
    from convdojo import specs

    from . import report
    from .limits import format_size

    present = {sub.student_id for sub in subs}  # a student removed from SUBMITTED is dropped
    records = [r for r in journal.records.values() if r.student_id in present]
    meta = {"assignment": spec.name, "title": spec.title,
            "titles": {e: specs.get(e).title for e in spec.exercises},
            "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "isolation": how.isolation, "sandboxed": how.sandboxed, "device": how.device,
            "skipped": [{"folder": s.folder, "reason": s.reason} for s in skipped],
            "limits": {"timeout_s": limits.timeout, "memory": format_size(limits.memory),
                       "processes": limits.nproc, "file_size": format_size(limits.fsize)}}
    report.write_all(outdir, records, meta)
    statuses = [{r["status"] for r in rec.results} for rec in records]
    return Summary(spec.name, len(records), len(spec.exercises), recorder.graded,
                   sum("error" in s for s in statuses), sum("timeout" in s for s in statuses),
                   time.monotonic() - started, how.isolation, how.notes, outdir,
                   recorder.latencies, skipped, how.sandboxed)
