"""Whose answer is it: the sandbox's facts about an exercise's answer cell, checked, judged.

The sandbox wraps an answer in a ``{"t": "cell", ...}`` node when its answer cell
raised, or did not rebind the answer variable that still holds the very object
an earlier exercise was graded on.  Those are facts from an untrusted process:
here they are validated (types, sizes, exercise ids of this assignment that use
the same variable) and the grade follows the rule: 0 points either way, with the
cell's error or the exercise the value belongs to.  ``judge`` is the one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CellFacts", "judge", "split", "verdict", "MAX_ERROR"]

MAX_ERROR = 300  # characters of the answer cell's exception shown
MAX_CELL = 10**6


@dataclass(frozen=True)
class CellFacts:
    """What the sandbox says the exercise's answer cell did."""

    cell: int | None  # its number among the notebook's cells (1-based)
    raised: str | None  # "ValueError: first line", already cut to MAX_ERROR
    rebound: bool  # whether running it changed what the answer variable is bound to
    same_as: tuple[str, ...]  # earlier exercises whose snapshot is this very object


def split(tree: Any) -> tuple[Any, CellFacts | None]:
    """(the answer's own tree, the facts) from what the sandbox sent; never raises."""
    if not isinstance(tree, dict) or tree.get("t") != "cell":
        return tree, None
    inner = tree.get("v", {"t": "error", "message": "the answer arrived without its value"})
    cell = tree.get("cell")
    raised = tree.get("raised")
    same = tree.get("same_as")
    facts = CellFacts(
        cell=cell if type(cell) is int and 0 < cell <= MAX_CELL else None,
        raised=_text(raised) if isinstance(raised, str) else None,
        rebound=tree.get("rebound") is not False,  # anything but a clear "no": no claim
        same_as=tuple(x for x in same if isinstance(x, str))[:50] if isinstance(same, list)
        else ())
    return inner, facts


def _text(text: str) -> str:
    """One line, printable, at most MAX_ERROR characters (lone surrogates escaped)."""
    line = text.splitlines()[0] if text.strip() else text
    line = line.encode("utf-8", "backslashreplace").decode("utf-8")
    line = "".join(ch if ch.isprintable() else " " for ch in line).strip()
    return line if len(line) <= MAX_ERROR else line[:MAX_ERROR - 1] + "…"


def verdict(exercise_id: str, facts: CellFacts | None) -> dict[str, Any] | None:
    """A 0-point CheckResult dict when the answer is not this exercise's own, else None."""
    from convdojo import specs
    from convdojo.checks import CheckResult

    if facts is None:
        return None
    spec = specs.get(exercise_id)
    name = spec.answer_name
    cell = f" (cell {facts.cell})" if facts.cell else ""
    if facts.raised is not None:
        return CheckResult.simple(
            spec.id, spec.points, "invalid",
            f"Your answer cell{cell} raised {facts.raised or 'an exception'}, so this "
            f"exercise scores 0 (whatever {name} held is not graded). Fix the error and run "
            "the cell again.").to_dict()
    owner = _owner(spec, facts.same_as)
    if facts.rebound or owner is None:
        return None
    return CheckResult.simple(
        spec.id, spec.points, "unanswered",
        f"{name} still holds your answer to {owner.title} ({owner.id}): the answer "
        f"cell{cell} of this exercise did not assign {name}. Assign this exercise's own "
        f"answer there ({name} = ...) and run it.").to_dict()


def _owner(spec: Any, same_as: tuple[str, ...]) -> Any:
    """The first exercise named that is another exercise of the same assignment, with
    the same answer variable (anything else the sandbox claims is ignored)."""
    from convdojo import specs

    ours = next((a.exercises for a in specs.assignments() if spec.id in a.exercises), ())
    for other in same_as:
        if other != spec.id and other in ours:
            candidate = specs.get(other)
            if candidate.answer_name == spec.answer_name:
                return candidate
    return None


def judge(exercise_id: str, tree: Any) -> tuple[Any, dict[str, Any] | None]:
    """(the tree to check, or the 0-point result that replaces the check)."""
    inner, facts = split(tree)
    return inner, verdict(exercise_id, facts)
