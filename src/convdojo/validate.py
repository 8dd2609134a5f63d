"""A student's pre-submission check, as plain functions that return data.

``inspect`` reads a notebook and checks its structure against the assignment's
lesson (no torch, no sandbox: instant).  ``grade`` then runs the real grader
with the visible checks, in the same sandbox as ``convdojo grade``.  The pytest
suite (``convdojo.pytest_plugin``) uses ``inspect`` to find a notebook's
assignment and to explain a deleted cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .sandbox.inside.notebook import NotebookError, load_json, parse
from .notebooks import layout
from .notebooks.lesson import Lesson

if TYPE_CHECKING:
    from .grade.session import Session

__all__ = ["Problem", "Inspection", "Report", "inspect", "inspect_bytes", "identify",
           "structure", "grade", "TEXT_STUB"]

TEXT_STUB = layout.TEXT_STUB  # what a released written-answer cell holds
_FIX = ("Copy it back, with its metadata, from a fresh copy of the assignment (re-download "
        "it), or undo the deletion (Edit > Undo Delete Cells in Jupyter).")
_WHAT = {"answer": "answer cell of exercise", "test": "autograder test cell of exercise",
         "written": "answer cell of written question"}


@dataclass(frozen=True)
class Problem:
    """Something wrong with the notebook itself; ``item`` is the exercise it concerns."""

    text: str
    item: str | None = None


@dataclass
class Inspection:
    path: Path
    data: bytes
    cells: list[dict[str, Any]] | None  # None: the file is not a readable notebook
    assignment: str | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Report:
    """The visible-checks grade of a structurally sound notebook."""

    inspection: Inspection
    results: list[dict[str, Any]]  # CheckResult dicts, in the notebook's order
    numbers: dict[str, int]  # item -> its number in the notebook's headings
    written: list[tuple[str, float, bool]]  # (question, points, answered)
    notes: list[str]
    hidden_checks: bool  # some exercise has checks a student cannot run

    @property
    def score(self) -> float:
        return round(sum(r["score"] for r in self.results), 2)

    @property
    def max_score(self) -> float:
        return round(sum(r["max_score"] for r in self.results), 2)


def inspect(path: str | Path) -> Inspection:
    """Read and structurally check a notebook file; OSError if it cannot be read at all."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a notebook")
    insp = inspect_bytes(path.read_bytes(), path)
    if insp.assignment and insp.ok:  # the files it takes beside the notebook (reading the
        from .grade import side_files  # specs imports torch: only for a notebook to grade

        insp.data = side_files.bundle(insp.data, path.parent, insp.assignment)
    return insp


def inspect_bytes(data: bytes, path: Path) -> Inspection:
    try:
        cells = parse(data)  # the sandbox's own reader: the same words as the grader's
        version = load_json(data).get("nbformat")
    except NotebookError as exc:
        # The file name still says which assignment it was meant to be: the pytest
        # suite then fails each of its exercises, as `convdojo grade` scores them 0.
        return Inspection(path, data, None, _by_file_name(path.name), [Problem(f"{exc}.")])
    insp = Inspection(path, data, cells)
    if version != 4:
        insp.problems.append(Problem(f"the notebook says nbformat {version!r}; a Jupyter "
                                     "notebook of this course is nbformat 4."))
    insp.assignment, insp.warnings = identify(cells, path.name)
    lesson = layout.lesson_for(insp.assignment) if insp.assignment else None
    if lesson is None:
        insp.problems.append(Problem("this notebook belongs to no assignment of the course: "
                                     "none of its cells carries an exercise's grade id and "
                                     "its file name is not an assignment's."))
    else:
        insp.problems += structure(cells, lesson)
    return insp


def _tags(cell: dict[str, Any]) -> tuple[Any, str | None, str | None]:
    """(nbgrader metadata or None, convdojo role, convdojo exercise)."""
    meta = cell["meta"]
    cdj = meta.get("convdojo") if isinstance(meta.get("convdojo"), dict) else {}
    role, item = cdj.get("role"), cdj.get("exercise")
    return (meta.get("nbgrader"), role if isinstance(role, str) else None,
            item if isinstance(item, str) else None)


def _grade_id(cell: dict[str, Any]) -> str | None:
    nbg = _tags(cell)[0]
    gid = nbg.get("grade_id") if isinstance(nbg, dict) else None
    return gid if isinstance(gid, str) and gid.strip() else None


def identify(cells: list[dict[str, Any]], filename: str) -> tuple[str | None, list[str]]:
    """(the assignment these cells belong to, warnings): by grade ids, else by file name."""
    seen = {_grade_id(c) for c in cells} | {_tags(c)[2] for c in cells}
    counts = {lesson.assignment: len(seen & {g.grade_id for g in layout.graded_cells(lesson)})
              for lesson in layout.lessons()}
    by_cells = max(counts, key=lambda name: counts[name]) if any(counts.values()) else None
    if by_cells is None:
        return _by_file_name(filename), []
    stem = filename.removesuffix(".ipynb")
    if stem != by_cells and stem in counts:  # no specs (torch) needed to see the clash
        return by_cells, [f"the file is named {filename} but its cells are those of "
                          f"{by_cells}; it is graded as {by_cells}."]
    return by_cells, []


def _by_file_name(filename: str) -> str | None:
    names = {lesson.assignment for lesson in layout.lessons()}
    stem = filename[:-len(".ipynb")] if filename.endswith(".ipynb") else None
    if stem not in names:
        return None
    from . import specs  # imports torch: only when the cells did not say

    return stem if specs.assignment(stem).notebook == filename else None


def _describe(index: int, cell: dict[str, Any]) -> str:
    _, role, item = _tags(cell)
    if role in _WHAT and item:
        return f"cell {index} (the {_WHAT[role]} {item})"
    if role and item:
        return f"cell {index} (the {role} cell of {item})"
    first = next((line.strip() for line in cell["source"].splitlines() if line.strip()), "")
    return f"cell {index} (starting `{first[:50]}`)" if first else f"cell {index} (empty)"


def structure(cells: list[dict[str, Any]], lesson: Lesson) -> list[Problem]:
    """Every graded cell present once, of its type, and every nbgrader cell with a grade id."""
    problems: list[Problem] = []
    unnamed: set[tuple[str | None, str | None]] = set()
    for i, cell in enumerate(cells, 1):
        nbg, role, item = _tags(cell)
        expects_id = nbg is not None or role in _WHAT
        if expects_id and _grade_id(cell) is None:
            unnamed.add((role, item))
            problems.append(Problem(
                f"{_describe(i, cell)} has no nbgrader grade id, so nbgrader cannot tell which "
                "cell it is. Replace it with the original cell from a fresh copy of the "
                "assignment (re-download it), then put your answer back in.", item))
    where: dict[str, list[int]] = {}
    for i, cell in enumerate(cells, 1):
        if gid := _grade_id(cell):
            where.setdefault(gid, []).append(i)
    for want in layout.graded_cells(lesson):
        found = where.get(want.grade_id, [])
        what = f"{_WHAT[want.role]} {want.number} ({want.item}, grade id `{want.grade_id}`)"
        if not found:
            if (want.role, want.item) not in unnamed:
                problems.append(Problem(f"the {what} is missing: it was deleted. {_FIX}",
                                        want.item))
            continue
        if len(found) > 1:
            problems.append(Problem(
                f"the {what} appears {len(found)} times (cells {', '.join(map(str, found))}); "
                "the grader reads only the first. Keep one: move your answer into the first "
                "and delete the copies.", want.item))
        kind = cells[found[0] - 1]["type"]
        if kind != want.cell_type:
            problems.append(Problem(f"the {what} (cell {found[0]}) is a {kind} cell; it must "
                                    f"be a {want.cell_type} cell. Change its type back.",
                                    want.item))
    # A copied locked cell (a prompt, a self-check) is harmless: nbgrader drops the copy's id.
    return problems


def _written(insp: Inspection, lesson: Lesson) -> list[tuple[str, float, bool]]:
    from . import specs

    out = []
    for want in layout.graded_cells(lesson):
        if want.role == "written":
            cell = next((c for c in insp.cells or [] if _grade_id(c) == want.grade_id), None)
            answered = cell is not None and cell["source"].strip() not in ("", TEXT_STUB)
            out.append((want.item, specs.get_written(want.item).points, answered))
    return out


def has_hidden_checks(spec: Any) -> bool:
    """Whether the grader runs checks on this exercise that a student's self-check does not."""
    return bool(getattr(spec, "hidden_draws", ()) or getattr(spec, "hidden_case", None)
                or any(getattr(v, "hidden", False) for v in getattr(spec, "variants", ()) or ())
                or any(case[2] for case in getattr(spec, "cases", ()) or ()))


def grade(insp: Inspection, *, device: str | None = None,
          session: Session | None = None, student: str | None = None) -> Report:
    """Run the grader on a sound notebook with the visible checks (GraderError if it cannot).

    Whose numbers: ``student`` (``--student``), else the nbgrader folder, else JupyterHub's
    user, else the id typed in the notebook (said in the notes: the grader uses the
    folder's)."""
    if not insp.ok or insp.assignment is None:
        raise ValueError("grade() needs a notebook that passed inspect()")
    from .grade.session import Session

    own = session is None
    # Started before anything imports torch here: the sandbox's import overlaps ours.
    from . import course, identity

    run = session or Session(insp.assignment, device=device, hidden=False,
                                reduced_ok=True, course=course.load(
                                    course.find_course_dir(insp.path.parent), secret=False))
    who, how = identity.for_grading(insp.path, student)
    typed = identity.typed_student(insp.data.decode("utf-8", "replace"))
    extra = []
    if not who and typed:
        who = typed
        extra.append(f"Checked on the numbers of {typed!r}, the id typed in the notebook; "
                     "the grader uses your submission folder's id.")
    elif who and typed and typed != who:
        extra.append(f"The notebook was set up for {typed!r}, but it is checked (and will be "
                     f"graded) as {who!r} ({how}).")
    try:
        out = run.grade(insp.data, who)
    finally:
        if own:
            run.close()
    lesson = layout.lesson_for(insp.assignment)
    assert lesson is not None  # inspect() found it
    numbers = {g.item: g.number for g in layout.graded_cells(lesson)}
    results = sorted(out.results, key=lambda r: numbers.get(r["exercise_id"], 0))
    notes = extra + list(out.notes) + ([run.iso.student_note] if run.iso.student_note else [])
    return Report(insp, results, numbers, _written(insp, lesson), notes,
                  any(has_hidden_checks(s) for s in run.specs))
