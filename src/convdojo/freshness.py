"""Keep an autograder cell's output honest: once its answer changes, it says "run me again".

An nbgrader test cell shows its score with :meth:`CheckResult.report`.  That output stays on
screen when the student later fixes the answer above it, still saying "not answered yet".
So ``report`` shows the result under a display id, and the next self-check of the same
exercise (``check(exercise, answer)`` without ``hidden``) replaces it with a "run this cell
again" notice when its answer is not the one that cell judged.  Running the cells in order
(Run All, nbgrader autograde) never marks anything: each exercise's self-check runs before
its test cell.  Outside IPython nothing is tracked.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = ["show", "checked", "Stale"]

_MISSING = object()


@dataclass
class _Shown:
    display_id: str
    name: str  # the answer variable, in the kernel's namespace
    answer: Any  # the object that was judged (kept so its id cannot be reused)
    fingerprint: str


@dataclass(frozen=True)
class Stale:
    """What an autograder cell shows once its answer changed after it ran."""

    exercise_id: str
    name: str

    def text(self) -> str:
        return (f"{self.exercise_id}: {self.name} has changed since this cell ran, so the "
                "result that was here is out of date. Run this cell again to see your score "
                "with the hidden inputs.")

    def __repr__(self) -> str:
        return f"↻ {self.text()}"

    def _repr_html_(self) -> str:
        return ('<div class="convdojo-stale" style="border-left:4px solid #0072B2;'
                f'padding:4px 10px;margin:4px 0">↻ {html.escape(self.text())}</div>')


_SHOWN: dict[str, _Shown] = {}  # exercise -> its autograder cell's latest output


def _fingerprint(value: Any) -> str:
    """Catches in-place changes (``conv.padding = 1``) that keep the same object."""
    try:
        return repr(value)[:4000]
    except Exception:  # noqa: BLE001  (the student's object; a failing repr is no change)
        return ""


def show(result: Any) -> None:
    """Display an autograder cell's ``result``; mark it stale once its answer variable changes."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the kit
        print(result)
        return
    from . import specs

    shell = get_ipython()
    try:
        answer_name = specs.get(result.exercise_id).answer_name
    except specs.UnknownExercise:
        answer_name = None
    if shell is None or not hasattr(shell, "user_ns") or answer_name is None:
        display(result)
        return
    display_id = f"convdojo-{result.exercise_id}-{uuid.uuid4().hex[:12]}"
    display(result, display_id=display_id)
    answer = shell.user_ns.get(answer_name, _MISSING)
    _SHOWN[result.exercise_id] = _Shown(display_id, answer_name, answer, _fingerprint(answer))


def checked(exercise_id: str, answer: Any) -> None:
    """A self-check ran: mark the exercise's autograder output stale if the answer differs."""
    shown = _SHOWN.get(exercise_id)
    if shown is None or (answer is shown.answer and _fingerprint(answer) == shown.fingerprint):
        return
    from IPython.display import update_display

    update_display(Stale(exercise_id, shown.name), display_id=shown.display_id)
    del _SHOWN[exercise_id]
