"""Copying shows up: answers that fail a student's own numbers but fit a classmate's.

After a notebook is graded on its folder id's numbers, each varying exercise it failed
is checked again, on the numbers of every other student of the batch (one check per
distinct set of numbers). An answer that passes someone else's variant and not its own
is flagged in the grade record's notes, with the evidence, and in the class report,
once at least ``MIN_FITS`` answers fit the same classmate (or every varying answer,
where there are fewer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["FLAG", "flags", "parse"]

FLAG = "answers fit the variant of "
MAX_GROUPS = 64  # distinct classmates' numbers tried per failed exercise
MAX_NAMED = 3
# Answers that must fit one classmate before a flag: a single wrong answer can fit
# someone by chance (a 5×5 kernel for a 3×3 one fits everyone whose kernel is 5×5).
MIN_FITS = 2


def _numbers_text(numbers: dict[str, Any] | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (numbers or {}).items())


def flags(specs: Sequence[Any], answers: dict[str, Any], results: list[dict[str, Any]],
          student: str, course: Any, roster: Sequence[str],
          checks: Any) -> list[str]:
    """The notes that flag ``student``'s answers fitting others' variants (maybe none).

    ``checks`` (the engine's) first finds, in one cheap task per exercise, the
    classmates' numbers the answer could pass on (``fitting``), then checks it in full,
    hidden inputs included, on each of those (``submit``)."""
    from convdojo.specs.personal import numbers

    if not student or not course.variants or len(roster) < 2:
        return []
    own = {str(r.get("exercise_id")): r for r in results}
    fits: dict[str, list[str]] = {}
    shown: dict[tuple[str, str], str] = {}
    units: set[str] = set()  # what this student answered that varies: the most that can fit
    for spec in specs:
        status = own.get(spec.id, {}).get("status")
        if spec.domain is None or spec.kind == "function" or spec.id not in answers:
            continue
        if status not in ("unanswered", None):
            units.add(_unit(spec))
        if status in ("passed", "unanswered", None):
            continue
        mine = numbers(spec.id, student, course)
        groups: dict[tuple[Any, ...], list[str]] = {}
        for other in roster:
            theirs = numbers(spec.id, other, course)
            if other != student and theirs != mine and theirs is not None:
                groups.setdefault(tuple(theirs.items()), []).append(other)
        tried = list(groups.items())[:MAX_GROUPS]
        found = set(checks.fitting(spec.id, answers[spec.id], [ids[0] for _, ids in tried],
                                   course)())
        started = [(ids, key, checks.submit(spec.id, answers[spec.id], {}, (ids[0], course)))
                   for key, ids in tried if ids[0] in found]
        for ids, key, pending in started:
            if pending().get("status") == "passed":
                for other in ids:
                    fits.setdefault(other, []).append(spec.id)
                    shown[other, spec.id] = _numbers_text(dict(key))
    fits = {o: v for o, v in fits.items()
            if len(_units(specs, v)) >= min(MIN_FITS, len(units))}
    if not fits:
        return []
    most = max(len(v) for v in fits.values())
    named = sorted(o for o, v in fits.items() if len(v) == most)[:MAX_NAMED]
    notes = []
    for other in named:
        evidence = "; ".join(f"{e} ({shown[other, e]})" for e in fits[other])
        notes.append(f"{FLAG}{other}: {len(fits[other])} answer(s) fail this student's own "
                     f"numbers and pass {other}'s: {evidence}")
    return notes


def _unit(spec: Any) -> str:
    """Exercises about one object (a layer's weight shape and its parameter count) share
    their numbers, so one slip makes both fit: they count once."""
    return spec.domain.group or spec.id


def _units(specs: Sequence[Any], exercises: list[str]) -> set[str]:
    return {_unit(s) for s in specs if s.id in exercises}


def parse(note: str) -> tuple[str, str] | None:
    """(the other student's id, the evidence) from a flag note, or None."""
    if not note.startswith(FLAG):
        return None
    other, _, evidence = note[len(FLAG):].partition(": ")
    return other, evidence
