"""Which exercise an answer object was last checked for, so a self-check never judges the
wrong exercise's answer silently.

Several exercises name their answer alike (``conv``, ``pool``, ``up``), as a student would.
Re-running an earlier self-check after a later answer cell would judge the later layer;
instead the check says whose answer it holds.  Only tracked in a notebook kernel.
"""

from __future__ import annotations

from typing import Any

__all__ = ["record", "holder", "reset"]

# id(answer) -> (answer, exercise); the answer is kept so that its id cannot be reused
_LAST: dict[int, tuple[Any, str]] = {}
_LIMIT = 256  # a long session checks many objects; old ones cannot be re-run anyway


def holder(answer: Any) -> str | None:
    """The exercise ``answer`` (this very object) was last checked for, or None."""
    entry = _LAST.get(id(answer))
    return entry[1] if entry is not None and entry[0] is answer else None


def record(answer: Any, exercise: str) -> None:
    _LAST.pop(id(answer), None)
    _LAST[id(answer)] = (answer, exercise)
    while len(_LAST) > _LIMIT:
        _LAST.pop(next(iter(_LAST)))


def reset() -> None:
    _LAST.clear()
