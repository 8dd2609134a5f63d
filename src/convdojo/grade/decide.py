"""Turning one sandbox run into one student's record: pure functions, shared by the
local batch, the Dask tasks and the pytest suite so all three grade alike.

A *run* is what a sandbox worker reported for a notebook: the answers it read
(exercise id -> plain tree) and either its final report or why it died.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from typing import Any

from . import checker
from .inside import codec
from .limits import Limits, format_size

__all__ = ["header", "cases", "outcome_of", "died_outcome", "notes_of", "assemble", "record"]

Check = Callable[[str, Any, dict[str, Any]], dict[str, Any]]


def header(specs: Sequence[Any], limits: Limits, bwrap: bool) -> dict[str, Any]:
    """The job header a sandbox worker reads before each notebook."""
    exercises = [{"id": s.id, "name": s.answer_name, "kind": s.kind} for s in specs]
    # RLIMIT_NPROC counts every task of this uid (a Dask worker's threads too): without
    # them a non-root sandbox could not fork at all.  Root ignores the limit.
    extra = {"max_procs": limits.nproc if bwrap else 0,
             "nproc": 0 if os.geteuid() == 0 else _user_tasks() + 64 + limits.nproc}
    return {"exercises": exercises, **limits.header(), **extra}


def _user_tasks() -> int:
    """Tasks (threads included) this uid runs now: RLIMIT_NPROC counts them all."""
    uid, count = os.getuid(), 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            st = os.stat(f"/proc/{pid}")
            if st.st_uid == uid:
                count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return count


def cases(specs: Sequence[Any], *, hidden: bool = True) -> dict[str, list[Any]]:
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


def outcome_of(result: dict[str, Any], clean: dict[str, Any],
               sandbox_ms: float) -> dict[str, Any]:
    """The run summary kept in the journal, from a worker's final report."""
    outcome = {k: result.get(k) for k in ("status", "cell", "line", "fatal", "run_ms")}
    outcome.update(exit=clean.get("exit"), stray=clean.get("stray", 0),
                   clean_ms=clean.get("clean_ms"), sandbox_ms=round(sandbox_ms, 1))
    return outcome


def died_outcome(detail: str) -> dict[str, Any]:
    return {"status": "worker", "detail": detail}


def notes_of(result: dict[str, Any] | None, outcome: dict[str, Any],
             limits: Limits) -> list[str]:
    """What the student is told about the run as a whole."""
    notes = []
    for note in (result or {}).get("notes", [])[:30]:
        note = str(note)
        if "MemoryError" in note:
            note += f" (the limit is {format_size(limits.memory)} of memory)"
        notes.append(note)
    if outcome.get("status") not in ("ok", "fatal"):
        notes.append(checker.stop_reason(outcome, limits.timeout)[1])
    return notes


def assemble(specs: Sequence[Any], answers: dict[str, Any], result: dict[str, Any] | None,
             outcome: dict[str, Any], limits: Limits, check: Check) -> list[dict[str, Any]]:
    """One result per exercise, in the assignment's order.

    ``result`` is None when the sandbox died: answers read before that are genuine
    and still checked, except function answers, whose cases never ran.
    """
    results = []
    for spec in specs:
        if spec.id not in answers or (result is None and spec.kind == "function"):
            results.append(checker.unreached(spec.id, outcome, limits.timeout))
        else:
            runs = (result or {}).get("results", {}) if spec.kind == "function" else {}
            results.append(check(spec.id, answers[spec.id], runs))
    return results


def record(student_id: str, digest: str | None, results: list[dict[str, Any]],
           notes: list[str], run: dict[str, Any]) -> dict[str, Any]:
    """A student's journal line (``run`` is the outcome with its "ms")."""
    return {"student_id": student_id, "sha256": digest,
            "graded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "results": results, "notes": notes, "run": run}
