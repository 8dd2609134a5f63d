"""A progress bar on a terminal, silence elsewhere, and the closing summary."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .submissions import Skipped

__all__ = ["Progress", "Summary", "Where", "format_summary", "UNSANDBOXED"]

UNSANDBOXED = ("NOT SANDBOXED: student code ran with resource limits only and could read and "
               "write what the grader's user can; do not trust these grades")


@dataclass(frozen=True)
class Where:
    """How a batch was graded: for the summary, grades.json and the pages."""

    isolation: str
    device: str
    notes: list[str]
    sandboxed: bool


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
    skipped: list[Skipped] = field(default_factory=list)
    sandboxed: bool = True

    @property
    def isolation_text(self) -> str:
        return self.isolation if self.sandboxed else f"{self.isolation}; {UNSANDBOXED}"


class Progress:
    """Counts students as they are recorded; draws a bar only on a terminal."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = self.done = self.errors = self.timeouts = 0
        self.start_time = time.monotonic()
        self._last = 0.0

    def start(self, total: int, already: int) -> None:
        self.total, self.done = total, already
        self._draw(force=True)

    def advance(self, results: list[dict[str, Any]]) -> None:
        self.done += 1
        statuses = {r.get("status") for r in results}
        self.errors += "error" in statuses
        self.timeouts += "timeout" in statuses
        self._draw(force=self.done == self.total)

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < 0.1):
            return
        self._last = now
        width = 28
        filled = int(width * self.done / self.total) if self.total else width
        line = (f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} students"
                f"  {self.errors} errors  {self.timeouts} timeouts  {now - self.start_time:5.1f}s")
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.total:
            self.stream.write("\n")
            self.stream.flush()


def format_summary(summary: Summary, verbose: bool) -> str:
    """Several lines on a terminal; one line otherwise."""
    lat = sorted(summary.latencies_ms)
    median = f"{lat[len(lat) // 2]:.0f} ms" if lat else "n/a"
    resumed = summary.students - summary.graded
    if not verbose:
        return (f"convdojo grade: {summary.students} students ({resumed} from the journal), "
                f"{summary.exercises} exercises each, {summary.errors} with errors, "
                f"{summary.timeouts} with timeouts, "
                + (f"{len(summary.skipped)} folders skipped, " if summary.skipped else "")
                + f"{summary.elapsed:.1f} s, isolation: {summary.isolation_text}; outputs in "
                f"{summary.out}")
    lines = [
        f"Graded {summary.assignment}: {summary.students} students × {summary.exercises} "
        f"exercises ({summary.graded} now, {resumed} from the journal)",
        f"  errors:     {summary.errors} students with an exercise that could not be graded",
        f"  timeouts:   {summary.timeouts} students",
        f"  elapsed:    {summary.elapsed:.1f} s (median {median} per submission)",
        f"  isolation:  {summary.isolation_text}",
    ]
    lines += [f"  skipped:    {s.folder}/: {s.reason}" for s in summary.skipped[:20]]
    if len(summary.skipped) > 20:
        lines.append(f"  skipped:    … and {len(summary.skipped) - 20} more (see grades.json)")
    lines += [f"  note:       {n}" for n in summary.notes]
    lines.append(f"  outputs:    {summary.out}/grades.csv, grades.json, feedback/*.html")
    return "\n".join(lines)
