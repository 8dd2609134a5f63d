"""Hints that progress: each failed self-check shows the next hint, and the last one stays.

Only a student's own self-checks in a notebook kernel (IPython, without ``hidden``) move
an exercise to its next hint; the grader, ``convdojo validate`` and plain scripts always
show the first, so their feedback does not depend on what ran before.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

__all__ = ["current", "level", "progressing", "interactive", "reset"]

_FAILED: dict[str, int] = {}  # exercise -> failed self-checks so far, in this kernel
_LEVEL: ContextVar[int] = ContextVar("convdojo_hint_level", default=0)


def interactive() -> bool:
    """Whether this runs in an IPython kernel (not imported here: it costs time)."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None


def level(exercise: str) -> int:
    return _FAILED.get(exercise, 0)


def current(spec: Any) -> str | None:
    """The hint this check shows: the next one after each failed self-check, then the last."""
    hints = tuple(getattr(spec, "hints", ()) or ())
    if not hints:
        return None
    return hints[min(_LEVEL.get(), len(hints) - 1)]


@contextlib.contextmanager
def progressing(exercise: str, enabled: bool) -> Iterator[list[bool]]:
    """Check ``exercise`` at its hint level; set ``outcome[0]`` to True when it failed."""
    outcome = [False]
    token = _LEVEL.set(level(exercise) if enabled else 0)
    try:
        yield outcome
    finally:
        _LEVEL.reset(token)
        if enabled and outcome[0]:
            _FAILED[exercise] = level(exercise) + 1


def reset() -> None:
    """Forget every exercise's progress (a fresh kernel)."""
    _FAILED.clear()
