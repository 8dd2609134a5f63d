"""``convdojo grade``: grade a batch of nbgrader submissions, safely and fast.

Student code runs in warm, isolated sandbox workers (bubblewrap when
available) that return only plain data: each answer's layer types,
hyperparameters and weights.  Clean checker processes rebuild the answers and
run ``convdojo.check(..., hidden=True)``, the same code as the self-checks.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

from .batch import GraderError, Summary

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
) -> Summary:
    """Grade ``submitted/<student>/<assignment>/<notebook>`` into ``out``; resumable.

    Raises UnknownAssignment, FileNotFoundError or ValueError for bad arguments, and
    GraderError when the sandbox cannot run at all; never for a bad submission.
    """
    from convdojo import specs
    from convdojo.devices import resolve_device

    from . import report
    from . import sandbox as sandbox_mod
    from .batch import Batch
    from .limits import Limits, format_size, parse_size
    from .progress import Progress
    from .submissions import discover

    started = time.monotonic()
    spec = specs.assignment(assignment)
    root = Path(submitted)
    if not root.is_dir():
        raise FileNotFoundError(f"submissions folder {str(root)!r} does not exist (expected "
                                f"SUBMITTED/<student_id>/{assignment}/{spec.notebook})")
    if timeout <= 0:
        raise ValueError("--timeout must be a positive number of seconds")
    memory = parse_size(memory_limit) if isinstance(memory_limit, str) else int(memory_limit)
    dev = str(resolve_device(device))
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n < 1:
        raise ValueError("--workers must be at least 1")
    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    iso = sandbox_mod.detect(disable=not sandbox)
    limits = Limits(timeout=float(timeout), memory=memory)
    bar = progress if progress is not None else Progress()
    batch = Batch(spec, outdir, n, limits, dev, iso, bar)
    subs = discover(root, spec.name, spec.notebook)
    try:
        graded = batch.run(subs)
    finally:
        bar.close()
        batch.journal.close()
    present = {sub.student_id for sub in subs}  # a student removed from SUBMITTED is dropped
    records = [r for r in batch.journal.records.values() if r["student_id"] in present]
    meta = {"assignment": spec.name, "title": spec.title,
            "titles": {e: specs.get(e).title for e in spec.exercises},
            "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "isolation": iso.label, "device": dev,
            "limits": {"timeout_s": limits.timeout, "memory": format_size(limits.memory),
                       "processes": limits.nproc, "file_size": format_size(limits.fsize)}}
    report.write_all(outdir, records, meta)
    statuses = [{r["status"] for r in rec["results"]} for rec in records]
    return Summary(spec.name, len(records), len(spec.exercises), graded,
                   sum("error" in s for s in statuses), sum("timeout" in s for s in statuses),
                   time.monotonic() - started, iso.label, list(iso.notes), outdir,
                   batch.latencies)
