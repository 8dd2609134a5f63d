"""The class report: what a finished run's grades.json says about the class, at a glance.

``write_report(out)`` reads ``out/grades.json`` (and ``out/gradebook-compare.json`` when
``--gradebook compare`` ran) and writes ``out/report.html`` (one self-contained page,
plots inlined as SVG) and ``out/misconceptions.csv``. ``convdojo grade`` calls it after
every run, local, Dask or resumed; ``convdojo report OUT`` rebuilds it.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..gradebook import Suspect
from .journal import atomic_write

__all__ = ["ExerciseStats", "Misconception", "Student", "RunProblem", "ClassReport",
           "Copy", "analyse", "write_report", "CSV_COLUMNS", "HELP_BELOW", "HELP_MISCONCEPTIONS"]

CSV_COLUMNS = ["exercise_id", "code", "count", "students"]
HELP_BELOW = 0.5          # a total under half the points needs help...
HELP_MISCONCEPTIONS = 3   # ... and so do three or more distinct misconceptions
HELP_LOWEST = 10          # the lowest scores listed even when above HELP_BELOW
EXAMPLES = 3
_RUN_PROBLEMS = {"fatal": "notebook could not be read", "timeout": "timed out",
                 "nproc": "too many processes", "worker": "sandbox stopped"}


@dataclass
class ExerciseStats:
    exercise_id: str
    title: str
    max_score: float
    scores: list[float]
    passed: int
    unanswered: int

    @property
    def n(self) -> int:
        return len(self.scores)

    @property
    def pass_rate(self) -> float:
        return _share(self.passed, self.n)

    @property
    def median(self) -> float:
        return statistics.median(self.scores) if self.scores else 0.0

    @property
    def unanswered_share(self) -> float:
        return _share(self.unanswered, self.n)


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


@dataclass
class Example:
    student_id: str
    exercise_id: str
    text: str  # the check's description of the answer (its first failing visible finding)


@dataclass
class Misconception:
    code: str
    title: str
    note: str
    students: set[str] = field(default_factory=set)
    by_exercise: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    examples: list[Example] = field(default_factory=list)


@dataclass
class Student:
    student_id: str
    score: float
    max_score: float
    codes: set[str]
    page: str  # feedback/<name>.html

    @property
    def fraction(self) -> float:
        return _share(self.score, self.max_score)


@dataclass
class RunProblem:
    student_id: str
    kind: str
    detail: str
    page: str


@dataclass
class Copy:
    """A grade record's flag: this student's answers fit ``other``'s variant, not their own."""

    student_id: str
    other: str
    evidence: str
    page: str


@dataclass
class ClassReport:
    assignment: str
    title: str
    generated: str
    exercises: list[ExerciseStats]
    misconceptions: list[Misconception]  # most students first
    students: list[Student]
    help: list[Student]
    problems: list[RunProblem]
    suspects: list[Suspect] | None  # None: gradebook compare did not run
    copies: list[Copy] = field(default_factory=list)


def _codes_of(result: dict[str, Any]) -> list[str]:
    found = [f.get("misconception") for f in result.get("findings", []) if not f.get("passed")]
    return list(dict.fromkeys(c for c in found if c))


def _example(result: dict[str, Any], code: str) -> str:
    for f in result.get("findings", []):
        if f.get("misconception") == code and not f.get("hidden"):
            return str(f.get("message", ""))
    return next((str(line) for line in result.get("feedback", [])), "")


def analyse(grades: dict[str, Any], compare: dict[str, Any] | None = None) -> ClassReport:
    """The report's numbers from a grades.json (and a gradebook-compare.json)."""
    from convdojo.specs.misconceptions import TAXONOMY

    from .report import safe_name

    titles = grades.get("titles", {})
    order: list[str] = list(titles)
    per_ex: dict[str, ExerciseStats] = {}
    found: dict[str, Misconception] = {}
    students, problems, copies = [], [], []
    for s in grades.get("students", []):
        sid = str(s["student_id"])
        page = f"feedback/{safe_name(sid)}.html"
        codes: set[str] = set()
        for r in s.get("exercises", []):
            ex = str(r["exercise_id"])
            if ex not in per_ex:
                order += [] if ex in order else [ex]
                per_ex[ex] = ExerciseStats(ex, titles.get(ex, ex), float(r["max_score"]),
                                           [], 0, 0)
            stats = per_ex[ex]
            stats.scores.append(float(r["score"]))
            stats.passed += r["status"] == "passed"
            stats.unanswered += r["status"] == "unanswered"
            for code in _codes_of(r):
                item = TAXONOMY.get(code)
                m = found.setdefault(code, Misconception(
                    code, item.title if item else code, item.note if item else ""))
                m.students.add(sid)
                m.by_exercise[ex].add(sid)
                if len(m.examples) < EXAMPLES:
                    m.examples.append(Example(sid, ex, _example(r, code)))
                codes.add(code)
        students.append(Student(sid, float(s.get("score", 0)), float(s.get("max_score", 0)),
                                codes, page))
        problems += _problems(sid, s, page)
        copies += _copies(sid, s, page)
    ranked = sorted(found.values(), key=lambda m: (-len(m.students), m.code))
    return ClassReport(str(grades.get("assignment", "")), str(grades.get("title", "")),
                       str(grades.get("generated", "")),
                       [per_ex[e] for e in order if e in per_ex], ranked, students,
                       _needs_help(students), problems, _suspects(compare), copies)


def _problems(sid: str, s: dict[str, Any], page: str) -> list[RunProblem]:
    run = s.get("run") or {}
    status = run.get("status")
    notes = [str(n) for n in s.get("notes", [])]
    errors = [r for r in s.get("exercises", []) if r["status"] in ("error", "timeout")]
    if status in _RUN_PROBLEMS:
        kind = _RUN_PROBLEMS[status]
    elif status not in (None, "ok"):
        kind = "crashed"
    elif errors:
        kind = "could not be graded"
    else:
        return []
    detail = notes[-1] if notes else next(
        (str(line) for r in errors for line in r.get("feedback", [])), "")
    return [RunProblem(sid, kind, detail, page)]


def _copies(sid: str, s: dict[str, Any], page: str) -> list[Copy]:
    from .copying import parse

    found = (parse(str(n)) for n in s.get("notes", []))
    return [Copy(sid, other, evidence, page) for other, evidence in filter(None, found)]


def _needs_help(students: list[Student]) -> list[Student]:
    by_score = sorted(students, key=lambda s: (s.fraction, s.student_id))
    lowest = {s.student_id for s in by_score[:HELP_LOWEST]}
    return [s for s in by_score if s.student_id in lowest or s.fraction < HELP_BELOW
            or len(s.codes) >= HELP_MISCONCEPTIONS]


def _suspects(compare: dict[str, Any] | None) -> list[Suspect] | None:
    if compare is None:
        return None
    return [Suspect(str(s["student_id"]), str(s["exercise_id"]), float(s["nbgrader_score"]),
                    float(s["convdojo_score"]), float(s["max_score"]), str(s.get("status", "")),
                    tuple(str(e) for e in s.get("evidence", ())))
            for s in compare.get("suspects", [])]


def misconceptions_csv(report: ClassReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for m in report.misconceptions:
        for ex, who in sorted(m.by_exercise.items()):
            writer.writerow([ex, m.code, len(who), ";".join(sorted(who))])
    return out.getvalue().encode("utf-8")


def _load(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def write_report(out: str | Path) -> ClassReport:
    """Write report.html and misconceptions.csv next to grades.json; return the numbers."""
    from .report_page import render

    folder = Path(out)
    grades = _load(folder / "grades.json")
    if grades is None:
        raise FileNotFoundError(f"{folder / 'grades.json'} does not exist: run convdojo grade "
                                "first (it writes grades.json into OUT)")
    report = analyse(grades, _load(folder / "gradebook-compare.json"))
    atomic_write(folder / "report.html", render(report).encode("utf-8"))
    atomic_write(folder / "misconceptions.csv", misconceptions_csv(report))
    return report


def counts(report: ClassReport) -> dict[str, int]:
    """Students per misconception code (what the planted-class test compares)."""
    return dict(Counter({m.code: len(m.students) for m in report.misconceptions}))
