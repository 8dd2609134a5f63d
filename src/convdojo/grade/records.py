"""Typed records of a graded notebook, and where their text is made safe to store.

A ``Run`` says how the notebook ran, a ``Graded`` is one notebook's results and a
``Record`` a student's journal line.  JSON exists only at the edges (the journal,
grades.json, the Dask wire), through ``to_json``/``from_json``; ``storable``
escapes what UTF-8 cannot hold (lone surrogates, a folder name's stray bytes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Graded", "Record", "Run", "RETRY", "cap_result", "storable", "safe_text"]

RETRY = frozenset({"worker", "cluster"})  # failures that say nothing about the notebook
MAX_TEXT = 4000  # characters of feedback (and of findings) per exercise, and of notes
CUT = " […cut: {n} more characters]"
_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(text: str) -> str:
    """Lone surrogates escaped: \\xff for a byte that was not UTF-8, \\ud800 otherwise."""
    def escape(m: re.Match[str]) -> str:
        code = ord(m.group())
        return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
    return _SURROGATE.sub(escape, text)


def storable(obj: Any) -> Any:
    """JSON-ready data with every string (keys included) made safe."""
    try:  # the usual case, in C: nothing to escape, so nothing to copy
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
        return obj
    except UnicodeEncodeError:
        return _escaped(obj)
    except (TypeError, ValueError, RecursionError):
        return _escaped(obj)


def _escaped(obj: Any) -> Any:
    if isinstance(obj, str):
        return safe_text(obj)
    if isinstance(obj, dict):
        return {_escaped(k): _escaped(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_escaped(v) for v in obj]
    return obj


def _cap(lines: list[Any], budget: int = MAX_TEXT) -> list[str]:
    """The lines that fit in ``budget`` characters, and a note of how much was cut."""
    out: list[str] = []
    texts = [str(line) for line in lines]
    for i, text in enumerate(texts):
        if len(text) > budget:
            rest = len(text) - budget + sum(map(len, texts[i + 1:]))
            return out + [text[:budget] + CUT.format(n=rest)]
        out.append(text)
        budget -= len(text)
    return out


def cap_result(result: dict[str, Any]) -> dict[str, Any]:
    """One exercise's result with its feedback, and its findings' messages, capped."""
    findings = [f for f in result.get("findings", []) if isinstance(f, dict)]
    messages = _cap([f.get("message", "") for f in findings])
    return {**result, "feedback": _cap(list(result.get("feedback", []))),
            "findings": [{**f, "message": m} for f, m in zip(findings, messages)]}


@dataclass
class Run:
    """How one notebook ran (the journal's "run")."""

    status: str  # ok, timeout, fatal, nproc, worker (its sandbox died), cluster, missing
    ms: float = 0.0  # the time it held its engine: its sandbox run and any wait for its checks
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
    """One notebook's results, in the assignment's order, and its notes."""

    results: list[dict[str, Any]]
    notes: list[str]
    run: Run

    def capped(self) -> Graded:
        """Fit to store and to print: each exercise's text capped, surrogates escaped."""
        return Graded(storable([cap_result(r) for r in self.results]),
                      storable(_cap(self.notes)), self.run)

    def to_json(self) -> dict[str, Any]:
        return {"results": self.results, "notes": self.notes, "run": self.run.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Graded:
        return cls(list(data["results"]), list(data.get("notes", [])),
                   Run.from_json(data.get("run", {"status": "ok"})))


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
        """Its failure said nothing about the notebook: a rerun grades it again."""
        return self.graded.run.status in RETRY

    def to_json(self) -> dict[str, Any]:
        return storable({"student_id": self.student_id, "sha256": self.sha256,
                         "graded_at": self.graded_at, **self.graded.to_json()})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        return cls(str(data["student_id"]), data.get("sha256"), Graded.from_json(data),
                   str(data.get("graded_at", "")))
