"""Build an assignment's nbgrader source notebook from its lesson and specs."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .. import specs
from ..course import Course
from ..course import load as load_course
from . import cells, layout
from .lesson import Code, Lesson, Task, Text, Written
from .lessons import LESSONS

__all__ = ["build_source", "write_sources", "source_path", "sync_file"]


def build_source(lesson: Lesson, course: Course | None = None,
                 student: str = "") -> NotebookNode:
    """The solution notebook: every prompt, shape and solution comes from a spec.

    ``course`` gives the identity cell its (public) salt and switch; with ``student`` the
    solutions are that student's (``convdojo build --student``)."""
    from ..specs.personal import personal

    course = course or Course()
    assignment = specs.assignment(lesson.assignment)
    out = [cells.identity(course.salt, course.variants, student), cells.setup(lesson.imports)]
    # layout.numbered and layout.graded_cells share this numbering: validate reads them.
    for block, number in layout.numbered(lesson):
        if isinstance(block, Text):
            out.append(cells.markdown(block.markdown, block.id))
        elif isinstance(block, Code):
            out.append(cells.code(block.source, block.id))
        elif isinstance(block, Task):
            spec = personal(block.exercise, student, course)
            on = course.variants
            out += [cells.prompt(spec, number, on), cells.answer(spec, on),
                    cells.selfcheck(spec), cells.test(spec)]
        elif isinstance(block, Written):
            out += cells.written(specs.get_written(block.question), number)
    _covers(lesson, assignment)
    return cells.notebook(out)


def _covers(lesson: Lesson, assignment: specs.Assignment) -> None:
    tasks = [b.exercise for b in lesson.blocks if isinstance(b, Task)]
    written = [b.question for b in lesson.blocks if isinstance(b, Written)]
    if sorted(tasks) != sorted(assignment.exercises) or sorted(written) != sorted(
            assignment.written):
        raise ValueError(f"lesson {lesson.assignment!r} does not pose exactly the assignment's "
                         f"exercises {assignment.exercises} and questions {assignment.written}")


def source_path(root: Path, assignment: str) -> Path:
    return root / "solutions" / assignment / specs.assignment(assignment).notebook


def write_sources(root: Path, *, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, compare) every solutions/ notebook; return stale paths."""
    course = load_course(root / "autograder", secret=False, environment=False)
    paths = (source_path(root, lesson.assignment) for lesson in LESSONS)
    texts = (nbformat.writes(build_source(lesson, course)) + "\n" for lesson in LESSONS)
    return [path for path, text in zip(paths, texts) if sync_file(path, text, check=check)]


def sync_file(path: Path, text: str, *, check: bool) -> bool:
    """Whether ``path`` differs from ``text``; unless ``check``, also bring it up to date."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return True
