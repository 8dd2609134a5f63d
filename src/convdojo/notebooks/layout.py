"""The graded cells of an assignment's notebook, from its lesson: their grade ids and roles.

The builder (build.py, cells.py) names its cells with these functions, and
``convdojo validate`` and the pytest suite read the same list to check that a
student kept every answer and test cell.  This module imports neither torch nor
nbformat (together ~4 s here), so a structural check is instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .lesson import Block, Lesson, Task, Written

__all__ = ["GradedCell", "answer_id", "test_id", "selfcheck_id", "prompt_id", "numbered",
           "graded_cells", "lessons", "lesson_for", "CODE_STUB", "TEXT_STUB"]

# What nbgrader leaves in released answer cells (autograder/nbgrader_config.py sets its
# ClearSolutions stubs from these); validate reads TEXT_STUB as "not answered yet".
CODE_STUB = "# YOUR CODE HERE"
TEXT_STUB = "YOUR ANSWER HERE"


@dataclass(frozen=True)
class GradedCell:
    """A cell nbgrader grades or students answer in; the notebook must keep it."""

    grade_id: str
    cell_type: str  # "code" or "markdown"
    role: str  # "answer", "test" or "written" (the convdojo role in the cell's metadata)
    item: str  # the exercise or written question it belongs to
    number: int  # the item's number in the notebook's headings


def answer_id(item: str) -> str:
    """The grade id of an exercise's answer cell, or a written question's answer cell."""
    return item


def test_id(exercise: str) -> str:
    return f"{exercise}_test"


def selfcheck_id(exercise: str) -> str:
    return f"{exercise}_selfcheck"


def prompt_id(item: str) -> str:
    return f"{item}_prompt"


def numbered(lesson: Lesson) -> Iterator[tuple[Block, int]]:
    """Each block with the number its heading shows (0 for text and code blocks)."""
    number = 0
    for block in lesson.blocks:
        if isinstance(block, (Task, Written)):
            number += 1
            yield block, number
        else:
            yield block, 0


def graded_cells(lesson: Lesson) -> list[GradedCell]:
    """The answer, test and written-answer cells the built notebook holds, in order."""
    out: list[GradedCell] = []
    for block, number in numbered(lesson):
        if isinstance(block, Task):
            ex = block.exercise
            out += [GradedCell(answer_id(ex), "code", "answer", ex, number),
                    GradedCell(test_id(ex), "code", "test", ex, number)]
        elif isinstance(block, Written):
            out.append(GradedCell(answer_id(block.question), "markdown", "written",
                                  block.question, number))
    return out


def lessons() -> tuple[Lesson, ...]:
    from .lessons import LESSONS

    return LESSONS


def lesson_for(assignment: str) -> Lesson | None:
    return next((item for item in lessons() if item.assignment == assignment), None)
