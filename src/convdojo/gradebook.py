"""convdojo's hardened scores next to nbgrader's gradebook: compare, or import.

``compare`` reads nbgrader's autograde scores (``nbgrader.api.Gradebook``: SQLite by
default, any SQLAlchemy URL) and lists the student/exercise pairs where nbgrader gave
more than convdojo's hardened grader did, with the checks that fail outside the
student's kernel as evidence.  ``import_scores`` writes convdojo's scores into the
gradebook as the test cells' manual scores, which ``nbgrader autograde`` never
overwrites and which formgrader, ``generate_feedback`` and ``nbgrader export`` use.

Rows are the batch grader's (``convdojo grade``, see ``load_rows``): mappings with
``student_id``, ``exercise_id``, ``score``, ``max_score``, ``status`` and optionally
``feedback``, ``findings`` and ``notes``.  nbgrader's autograded cell for exercise X is
the grade cell ``X_test``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["GradebookError", "Row", "Suspect", "Comparison", "ImportReport", "MODES",
           "gradebook_url", "open_gradebook", "load_rows", "compare", "import_scores"]

MODES = ("compare", "import")
TEST_SUFFIX = "_test"
# Statuses that are a verdict on the answer; "error" and "timeout" are the grader's trouble.
VERDICTS = ("passed", "failed", "unanswered", "invalid")
COMMENT_MARK = "convdojo:"
EPS = 1e-6


class GradebookError(RuntimeError):
    """The gradebook cannot be used: bad URL, no such database, unknown assignment."""


@dataclass(frozen=True)
class Row:
    student_id: str
    exercise_id: str
    score: float
    max_score: float
    status: str
    feedback: tuple[str, ...] = ()
    # the grader's notes on the run, then the failed checks (hidden ones too: instructors only)
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suspect:
    student_id: str
    exercise_id: str
    nbgrader_score: float
    convdojo_score: float
    max_score: float
    status: str
    evidence: tuple[str, ...]


_SECTIONS = (("suspects", "SUSPECTED TAMPERING: nbgrader's score exceeds convdojo's"),
             ("unverified", "nbgrader higher, but convdojo could not grade it: re-grade"),
             ("lower", "nbgrader lower (crash, stderr or timeout in the kernel?)"))


@dataclass
class Comparison:
    assignment: str
    matched: int = 0                                          # pairs with both scores
    suspects: list[Suspect] = field(default_factory=list)     # nbgrader > convdojo
    unverified: list[Suspect] = field(default_factory=list)   # ... but convdojo errored
    lower: list[Suspect] = field(default_factory=list)        # nbgrader < convdojo
    not_in_gradebook: list[tuple[str, str]] = field(default_factory=list)
    not_in_rows: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        students = sorted({s.student_id for s in self.suspects})
        lines = [f"gradebook compare, {self.assignment}: {self.matched} student/exercise pairs "
                 f"in both; {len(self.suspects)} suspected tampering"
                 + (f" ({', '.join(students)})" if students else "")]
        for name, title in _SECTIONS:
            items = getattr(self, name)
            lines += [f"{title}:"] if items else []
            for s in items:
                lines.append(f"  {s.student_id} / {s.exercise_id}: nbgrader {s.nbgrader_score:g}"
                             f", convdojo {s.convdojo_score:g} of {s.max_score:g} ({s.status})")
                lines += [f"      {e}" for e in s.evidence[:4]]
                lines += [f"      ... {len(s.evidence) - 4} more"] if len(s.evidence) > 4 else []
        for title, pairs in (("no autograde score in the gradebook", self.not_in_gradebook),
                             ("no convdojo row", self.not_in_rows)):
            if pairs:
                lines.append(f"{title}: " + ", ".join(f"{s}/{e}" for s, e in pairs))
        return "\n".join(lines)


@dataclass
class ImportReport:
    assignment: str
    written: list[tuple[str, str, float]] = field(default_factory=list)
    replaced: list[tuple[str, str, float, float]] = field(default_factory=list)  # old, new
    skipped: list[tuple[str, str, str]] = field(default_factory=list)            # reason

    def __str__(self) -> str:
        lines = [f"gradebook import, {self.assignment}: wrote {len(self.written)} scores, "
                 f"skipped {len(self.skipped)}"]
        lines += [f"  replaced an earlier manual score {s}/{e}: {old:g} -> {new:g}"
                  for s, e, old, new in self.replaced]
        lines += [f"  skipped {s}/{e}: {why}" for s, e, why in self.skipped]
        return "\n".join(lines)


# --- rows -------------------------------------------------------------------------

def _lines(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):  # grades.csv joins a result's feedback lines with " | "
        return tuple(line for line in value.split(" | ") if line.strip())
    return tuple(str(item) for item in value)


def _row(data: Mapping[str, Any]) -> Row:
    try:
        findings = data.get("findings") or []
        failed = tuple(f"[{f['group']}{', hidden' if f.get('hidden') else ''}] {f['message']}"
                       for f in findings if not f.get("passed", True))
        feedback = _lines(data.get("feedback"))
        notes = tuple(f"[notebook run] {n}" for n in _lines(data.get("notes")))
        return Row(str(data["student_id"]), str(data["exercise_id"]), float(data["score"]),
                   float(data["max_score"]), str(data.get("status") or "failed"), feedback,
                   notes + (failed or feedback))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise GradebookError(f"not a convdojo grade row ({type(exc).__name__}: {exc}): "
                             f"{data!r:.200}") from None


def load_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of ``convdojo grade``'s grades.json (findings, notes) or grades.csv."""
    path = Path(path)
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, Mapping) and isinstance(data.get("students"), list):
        return [{**result, "student_id": student["student_id"],
                 "notes": student.get("notes", [])}
                for student in data["students"] for result in student.get("exercises", [])]
    if isinstance(data, Mapping):
        data = data.get("rows")
    if not isinstance(data, list):
        raise GradebookError(f"{path}: not convdojo grade's grades.json (no students)")
    return data


# --- the gradebook ----------------------------------------------------------------

def gradebook_url(value: str | Path) -> str:
    """A SQLAlchemy URL for ``value``; a plain path means a SQLite file, which must exist."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = str(value).strip()
    if not text:
        raise GradebookError("no gradebook given: pass a SQLAlchemy URL such as "
                             "sqlite:///course/gradebook.db, or the path of a SQLite file")
    if "://" not in text:
        text = "sqlite:///" + str(Path(text).expanduser().resolve())
    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise GradebookError(f"invalid gradebook URL {text!r}: {exc}") from None
    if url.get_backend_name() == "sqlite":
        db = url.database or ""
        if db in ("", ":memory:") or db.startswith("file:"):
            raise GradebookError(f"{text!r} is not a SQLite file: an in-memory gradebook is "
                                 "empty. Give the path of nbgrader's gradebook.db")
        if not Path(db).is_file():
            raise GradebookError(f"no gradebook at {db}: nbgrader creates it on the first "
                                 "generate_assignment or autograde (check CONVDOJO_COURSE)")
    return text


@contextmanager
def open_gradebook(url: str | Path) -> Iterator[Any]:
    """nbgrader's Gradebook on an existing nbgrader database (never creates one)."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import SQLAlchemyError

    text = gradebook_url(url)
    try:
        engine = create_engine(text)
        try:
            tables = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        raise GradebookError(f"cannot open the gradebook {text!r}: "
                             f"{type(exc).__name__}: {exc}") from None
    if not {"assignment", "grade", "submitted_notebook"} <= tables:
        raise GradebookError(f"{text!r} is not an nbgrader gradebook (it has no nbgrader "
                             "tables); point at the db_url of nbgrader_config.py")
    from nbgrader.api import Gradebook

    gb = Gradebook(text, course_id="")  # "": look courses up, never add one
    try:
        yield gb
    finally:
        gb.close()


def _test_grades(gb: Any, assignment: str) -> dict[tuple[str, str], tuple[Any, str]]:
    """(student, exercise) -> (nbgrader Grade of the cell ``<exercise>_test``, notebook)."""
    from nbgrader.api import MissingEntry

    try:
        gb.find_assignment(assignment)
    except MissingEntry:
        known = ", ".join(a.name for a in gb.assignments) or "none"
        raise GradebookError(f"no assignment {assignment!r} in the gradebook (it has: {known}). "
                             "Run nbgrader generate_assignment and autograde first") from None
    grades = {}
    for submission in gb.assignment_submissions(assignment):
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name.endswith(TEST_SUFFIX) and grade.cell_type == "code":
                    key = (submission.student.id, grade.name[: -len(TEST_SUFFIX)])
                    grades[key] = (grade, notebook.name)
    return grades


# --- the two modes ----------------------------------------------------------------

def compare(gradebook: str | Path, *, assignment: str,
            rows: Iterable[Mapping[str, Any]]) -> Comparison:
    """Pairs where nbgrader's autograde score differs from convdojo's hardened score."""
    result = Comparison(assignment)
    rows_by_key = {(r.student_id, r.exercise_id): r for r in map(_row, rows)}
    with open_gradebook(gradebook) as gb:
        grades = _test_grades(gb, assignment)
        auto = {key: g.auto_score for key, (g, _) in grades.items()}
    for key, row in sorted(rows_by_key.items()):
        nb_score = auto.get(key)
        if nb_score is None:  # no submission, or not autograded yet
            result.not_in_gradebook.append(key)
            continue
        result.matched += 1
        item = Suspect(*key, nb_score, row.score, row.max_score, row.status, row.evidence)
        if nb_score > row.score + EPS:
            (result.suspects if row.status in VERDICTS else result.unverified).append(item)
        elif nb_score < row.score - EPS:
            result.lower.append(item)
    result.not_in_rows = sorted(k for k, v in auto.items()
                                if v is not None and k not in rows_by_key)
    return result


def import_scores(gradebook: str | Path, *, assignment: str,
                  rows: Iterable[Mapping[str, Any]], comments: bool = True) -> ImportReport:
    """Write convdojo's scores as the test cells' manual scores (and say why, in a comment).

    Rows convdojo could not grade (status error/timeout), pairs with no autograded
    submission and pairs whose points differ from the gradebook's are skipped.  An
    answer cell's comment is written only where the scores differ, and never over a
    grader's own comment.
    """
    report = ImportReport(assignment)
    with open_gradebook(gradebook) as gb:
        grades = _test_grades(gb, assignment)
        for row in map(_row, rows):
            key = (row.student_id, row.exercise_id)
            grade, notebook = grades.get(key, (None, ""))
            if grade is None or row.status not in VERDICTS or abs(
                    grade.max_score - row.max_score) > EPS:
                report.skipped.append((*key, "no autograded submission in the gradebook"
                                       if grade is None else
                                       f"convdojo could not grade it ({row.status})"
                                       if row.status not in VERDICTS else
                                       f"points differ (gradebook {grade.max_score:g}, "
                                       f"convdojo {row.max_score:g}): release again"))
                continue
            if grade.manual_score is not None and abs(grade.manual_score - row.score) > EPS:
                report.replaced.append((*key, grade.manual_score, row.score))
            grade.manual_score, grade.needs_manual_grade = row.score, False
            report.written.append((*key, row.score))
            if comments:
                _comment(gb, row, notebook, assignment, differs=grade.auto_score is None
                         or abs(grade.auto_score - row.score) > EPS)
        gb.db.commit()
    return report


def _comment(gb: Any, row: Row, notebook: str, assignment: str, *, differs: bool) -> None:
    """convdojo's feedback on the answer cell, where the scores differ; a grader's stays."""
    from nbgrader.api import MissingEntry

    try:
        comment = gb.find_comment(row.exercise_id, notebook, assignment, row.student_id)
    except MissingEntry:
        return
    if comment.manual_comment and not comment.manual_comment.startswith(COMMENT_MARK):
        return
    comment.manual_comment = None if not differs else "\n".join(
        [f"{COMMENT_MARK} {row.exercise_id} scored {row.score:g}/{row.max_score:g} when "
         "graded outside your notebook."] + [f"- {line}" for line in row.feedback])


# --- command line (wired into ``convdojo grade``) ---------------------------------

def add_options(parser: Any) -> None:
    """``--gradebook URL`` and ``--gradebook-mode compare|import`` on an argparse parser."""
    group = parser.add_argument_group("nbgrader gradebook")
    group.add_argument("--gradebook", metavar="URL",
                       help="nbgrader's gradebook: a SQLAlchemy URL, or the path of its "
                            "SQLite file (e.g. course/gradebook.db)")
    group.add_argument("--gradebook-mode", choices=MODES, default="compare",
                       help="compare: list pairs where nbgrader's autograde score exceeds "
                            "convdojo's (suspected tampering); import: write convdojo's "
                            "scores into the gradebook (default: compare)")


def apply(url: str | Path, *, mode: str, assignment: str, rows: Iterable[Mapping[str, Any]],
          out: str | Path | None = None) -> Comparison | ImportReport:
    """Run one mode; with ``out``, also write ``out/gradebook-<mode>.json``."""
    if mode not in MODES:
        raise GradebookError(f"unknown gradebook mode {mode!r}: use one of {', '.join(MODES)}")
    run = compare if mode == "compare" else import_scores
    report = run(url, assignment=assignment, rows=list(rows))
    if out is not None:
        path = Path(out) / f"gradebook-{mode}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
    return report
