"""A lesson: the narrative blocks of one assignment's notebook, in order."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Text", "Code", "Task", "Written", "Lesson", "Block"]


@dataclass(frozen=True)
class Text:
    """Markdown the student reads."""

    id: str
    markdown: str


@dataclass(frozen=True)
class Code:
    """A locked code cell: a worked example or a widget."""

    id: str
    source: str


@dataclass(frozen=True)
class Task:
    """An autograded exercise: prompt, answer, self-check and nbgrader test cells."""

    exercise: str


@dataclass(frozen=True)
class Written:
    """A manually graded written question with its rubric."""

    question: str


Block = Text | Code | Task | Written


@dataclass(frozen=True)
class Lesson:
    assignment: str
    imports: str
    blocks: tuple[Block, ...]
