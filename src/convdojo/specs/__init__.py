"""Exercise specs: ``get(exercise_id)``, ``assignment(name)`` and the registry."""

from __future__ import annotations

import difflib

from . import (beyond_2d, conv_computes, conv_shapes, modern_convs, networks, pooling, project,
               shape_quiz, stacking)
from .model import (Assignment, Constraint, FunctionSpec, LayerSpec, Mistake, Spec, ValueSpec,
                    Variant, WrittenSpec)
from .rules import RAISES, Rule

__all__ = [
    "get", "get_written", "assignment", "assignments", "all_specs", "UnknownExercise",
    "UnknownAssignment", "Assignment", "Constraint", "FunctionSpec", "LayerSpec", "Mistake",
    "Spec", "ValueSpec", "Variant", "WrittenSpec", "RAISES", "Rule",
]

_MODULES = (conv_shapes, pooling, modern_convs, stacking, shape_quiz, conv_computes,
            beyond_2d, networks, project)


class UnknownExercise(KeyError):
    """An exercise id that no spec defines."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class UnknownAssignment(KeyError):
    """An assignment name that the kit does not define."""

    def __str__(self) -> str:
        return str(self.args[0])


def _index() -> tuple[dict[str, Spec], dict[str, WrittenSpec], dict[str, Assignment]]:
    specs: dict[str, Spec] = {}
    written: dict[str, WrittenSpec] = {}
    assignments_: dict[str, Assignment] = {}
    for module in _MODULES:
        for spec in module.SPECS:
            if spec.id in specs or spec.id in written:
                raise RuntimeError(f"duplicate exercise id {spec.id!r}")
            specs[spec.id] = spec
        for item in module.WRITTEN:
            written[item.id] = item
        assignments_[module.ASSIGNMENT.name] = module.ASSIGNMENT
    return specs, written, assignments_


_SPECS, _WRITTEN, _ASSIGNMENTS = _index()


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def get(exercise_id: str) -> Spec:
    """The spec of an autograded exercise."""
    if not isinstance(exercise_id, str):
        raise UnknownExercise(
            f"exercise ids are strings like 'channels', got {type(exercise_id).__name__} "
            f"{exercise_id!r}"
        )
    try:
        return _SPECS[exercise_id]
    except KeyError:
        known = sorted(_SPECS)
        raise UnknownExercise(
            f"no exercise called {exercise_id!r}.{_suggest(exercise_id, known)} "
            f"Known exercises: {', '.join(known)}."
        ) from None


def get_written(question_id: str) -> WrittenSpec:
    """The spec of a manually graded written question."""
    try:
        return _WRITTEN[question_id]
    except KeyError:
        raise UnknownExercise(f"no written question called {question_id!r}") from None


def all_specs() -> tuple[Spec, ...]:
    return tuple(_SPECS.values())


def assignments() -> tuple[Assignment, ...]:
    return tuple(_ASSIGNMENTS.values())


def assignment(name: str) -> Assignment:
    """The assignment called ``name`` (its notebook, exercises and written questions)."""
    try:
        return _ASSIGNMENTS[name]
    except KeyError:
        known = sorted(_ASSIGNMENTS)
        raise UnknownAssignment(
            f"no assignment called {name!r}.{_suggest(name, known)} "
            f"Known assignments: {', '.join(known)}."
        ) from None
