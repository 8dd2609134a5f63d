"""An append-only journal: what is graded survives a killed grader.

One JSON line per graded student, written with one ``write`` before the student
counts as done, so a grader killed at any moment loses no grade it reported.
It is fsynced at most ``SYNC_SECONDS`` apart and when the batch ends: a power
cut can lose the last fraction of a second of grades, which a rerun grades again.  A rerun reads it back, skips students whose notebook has not
changed (unless their run failed for a reason that says nothing about the
notebook: the one resume rule, local and cluster alike), and regenerates every
output from it; a torn last line (the grader
was killed mid-write) is ignored, and a student graded twice keeps the last.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .records import Graded, Record, storable

if TYPE_CHECKING:
    from .submissions import Submission

__all__ = ["Journal", "JournalMismatch", "Recorder", "atomic_write"]

VERSION = 1
SYNC_SECONDS = 0.5


class JournalMismatch(RuntimeError):
    """The output folder holds a journal for another assignment."""


class Journal:
    def __init__(self, path: Path, assignment: str) -> None:
        self.path = path
        self.assignment = assignment
        self.records: dict[str, Record] = {}
        self._synced = 0.0
        self._load()
        new = not self.path.exists()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if not new and not self._ends_with_newline():
            os.write(self._fd, b"\n")  # seal a torn last line so the next record parses
        if new:
            self._append({"journal": VERSION, "assignment": assignment})
            _fsync_dir(self.path.parent)

    def _load(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line torn by a kill: that student is graded again
                if not isinstance(record, dict):
                    continue
                if n == 0 and "journal" in record:
                    if record.get("assignment") != self.assignment:
                        raise JournalMismatch(
                            f"{self.path} holds grades for assignment "
                            f"{record.get('assignment')!r}, not {self.assignment!r}; "
                            "use another --out folder")
                    continue
                sid = record.get("student_id")
                if isinstance(sid, str) and isinstance(record.get("results"), list):
                    try:
                        self.records[sid] = Record.from_json(record)
                    except (KeyError, TypeError, ValueError):
                        continue  # not a line this version wrote: graded again

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() == 0:
                return True
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"

    def done(self, student_id: str, digest: str | None) -> bool:
        """Graded already, from the same notebook bytes, and final."""
        record = self.records.get(student_id)
        return record is not None and record.sha256 == digest and not record.retry

    def todo(self, subs: Sequence[Submission]) -> list[Submission]:
        """What a run must grade: new or changed notebooks, and retryable failures."""
        return [s for s in subs if not self.done(s.student_id, s.digest)]

    def add(self, record: Record) -> None:
        line = record.to_json()
        self._append(line)
        self.records[record.student_id] = Record.from_json(line)  # as a rerun will read it

    def _append(self, record: dict[str, Any]) -> None:
        try:
            line = (json.dumps(record, separators=(",", ":"), ensure_ascii=False)
                    + "\n").encode()
        except UnicodeEncodeError:  # a lone surrogate: escape it, as storable does
            line = (json.dumps(storable(record), separators=(",", ":"), ensure_ascii=False)
                    + "\n").encode()
        view = memoryview(line)
        while view:  # O_APPEND: one write per record, retried only if the kernel splits it
            view = view[os.write(self._fd, view):]
        if time.monotonic() - self._synced >= SYNC_SECONDS:
            self.sync()

    def sync(self) -> None:
        os.fsync(self._fd)
        self._synced = time.monotonic()

    def close(self) -> None:
        self.sync()
        os.close(self._fd)


class Recorder:
    """A batch's one writer, local or on a cluster: journals each student, counts the run."""

    def __init__(self, journal: Journal, progress: Any, exercises: Sequence[str]) -> None:
        self.journal, self.progress, self.exercises = journal, progress, exercises
        self.graded = 0
        self.latencies: list[float] = []

    def begin(self, subs: Sequence[Submission]) -> list[Submission]:
        """What must run: the journal's to-do, once those with nothing to run are recorded."""
        from .engine import missing

        todo = self.journal.todo(subs)
        self.progress.start(len(subs), len(subs) - len(todo))
        for sub in [s for s in todo if s.data is None]:
            self.add(sub, missing(self.exercises, sub.problem or ""))
        return [s for s in todo if s.data is not None]

    def add(self, sub: Submission, graded: Graded) -> None:
        self.journal.add(Record(sub.student_id, sub.digest, graded))
        self.graded += 1
        if graded.run.ms:
            self.latencies.append(graded.run.ms)
        self.progress.advance(graded.results)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Write to a temporary file beside ``path`` (fsynced if ``durable``), then rename
    over it: a reader sees the old file or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
