"""Typed records of a graded notebook, and the one place their text is made safe to store.

A ``Run`` says how the notebook ran; a ``Graded`` is one notebook's results; a
``Record`` is a student's journal line.  JSON exists only at the edges (the
journal, grades.json, the Dask wire): ``to_json`` / ``from_json`` are the way in
and out, and ``storable`` escapes what a submission could put there that UTF-8
cannot hold (lone surrogates, undecodable bytes of a folder name).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Graded", "Record", "Run", "RETRY", "cap_result", "storable", "safe_text"]

# Runs whose failure says nothing about the notebook: a rerun grades them again.
RETRY = frozenset({"worker", "cluster"})
MAX_FEEDBACK = 4000  # characters of feedback (and of findings) kept per exercise
MAX_NOTES = 4000  # characters of run notes kept per student
CUT = " […cut: {n} more characters]"
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(text: str) -> str:
    """``text`` with every lone surrogate escaped: \\xff for a byte that was not UTF-8
    (Python's surrogateescape), \\ud800 for the rest."""
    def escape(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
    return _SURROGATE.sub(escape, text)


def storable(obj: Any) -> Any:
    """JSON-ready data with every string made safe (keys included)."""
    if isinstance(obj, str):
        return safe_text(obj)
    if isinstance(obj, dict):
        return {storable(k): storable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [storable(v) for v in obj]
    return obj


def _cap(lines: list[Any], budget: int) -> list[str]:
    """Keep lines while they fit in ``budget`` characters; say how much was cut."""
    out, used = [], 0
    texts = [str(line) for line in lines]
    for i, text in enumerate(texts):
        if used + len(text) > budget:
            rest = len(text) - (budget - used) + sum(len(t) for t in texts[i + 1:])
            out.append(text[:max(0, budget - used)] + CUT.format(n=rest))
            break
        out.append(text)
        used += len(text)
    return out


def cap_result(result: dict[str, Any]) -> dict[str, Any]:
    """One exercise's result with its feedback and findings within MAX_FEEDBACK."""
    capped = {**result, "feedback": _cap(list(result.get("feedback", [])), MAX_FEEDBACK)}
    findings, budget = [], MAX_FEEDBACK
    for finding in result.get("findings", []):
        message = str(finding.get("message", "")) if isinstance(finding, dict) else ""
        if budget <= 0:
            break
        findings.append({**finding, "message": _cap([message], budget)[0]})
        budget -= len(message)
    capped["findings"] = findings
    return capped


@dataclass
class Run:
    """How one notebook ran (the journal's "run")."""

    status: str  # ok, timeout, fatal, nproc, worker (its sandbox died), cluster, missing
    ms: float = 0.0  # dispatch to decided grade
    cell: int | None = None
    line: str | None = None
    fatal: str | None = None
    run_ms: float | None = None
    exit: dict[str, Any] | None = None
    stray: int | None = None
    clean_ms: float | None = None
    sandbox_ms: float | None = None
    detail: str | None = None
    worker: str | None = None  # the Dask worker that graded it

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Run:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Graded:
    """One notebook's results, in the assignment's order, with what it is told overall."""

    results: list[dict[str, Any]]
    notes: list[str]
    run: Run

    def capped(self) -> Graded:
        return Graded([cap_result(r) for r in self.results], _cap(self.notes, MAX_NOTES),
                      self.run)

    def to_json(self) -> dict[str, Any]:
        return storable({"results": self.results, "notes": self.notes,
                         "run": self.run.to_json()})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Graded:
        return cls(list(data["results"]), list(data["notes"]), Run.from_json(data["run"]))


@dataclass
class Record:
    """A student's journal line."""

    student_id: str
    sha256: str | None
    graded: Graded
    graded_at: str = field(default_factory=lambda: dt.datetime.now(
        dt.timezone.utc).isoformat(timespec="seconds"))

    @property
    def results(self) -> list[dict[str, Any]]:
        return self.graded.results

    @property
    def retry(self) -> bool:
        """Its failure said nothing about the notebook: grade it again on a rerun."""
        return self.graded.run.status in RETRY

    def to_json(self) -> dict[str, Any]:
        return storable({"student_id": self.student_id, "sha256": self.sha256,
                         "graded_at": self.graded_at, **self.graded.to_json()})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(str(data["student_id"]), data.get("sha256"),
                   Graded.from_json({"results": data["results"], "notes": data.get("notes", []),
                                     "run": data.get("run", {"status": "ok"})}),
                   str(data.get("graded_at", "")))
