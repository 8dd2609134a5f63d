"""A student's own exercise: the spec with their numbers, and the grader's hidden inputs.

``numbers`` is a deterministic function of (course salt, assignment, exercise,
student id); the salt is public, so a student's notebook computes the same numbers
the grader does. Hidden inputs are drawn from the course secret, which only the
grader loads; without one, from fixed seeds.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from ..course import Course, salt_secret
from ..course_secret import Secret, seed
from . import assignments, get
from .model import FunctionSpec, LayerSpec, Spec
from .variants import draw_hidden, draw_numbers

__all__ = ["assignment_of", "numbers", "personal", "with_hidden", "resolve"]


def assignment_of(exercise_id: str) -> str:
    for item in assignments():
        if exercise_id in item.exercises:
            return item.name
    return ""


def numbers(exercise_id: str, student: str | None, course: Course) -> dict[str, Any] | None:
    """The student's numbers for a varying exercise; None when it uses the fixed ones."""
    spec = get(exercise_id)
    if spec.domain is None or not course.variants or not student:
        return None
    key = seed(salt_secret(course.salt), "variant", assignment_of(exercise_id),
               spec.domain.group or exercise_id, student)
    return draw_numbers(spec.domain, random.Random(key))


def personal(exercise_id: str, student: str | None, course: Course) -> Spec:
    """The spec with the student's numbers (the fixed spec when variants are off)."""
    spec = get(exercise_id)
    chosen = numbers(exercise_id, student, course)
    return spec if chosen is None or spec.domain is None else spec.domain.build(**chosen)


def with_hidden(spec: Spec, secret: Secret, student: str | None = None) -> Spec:
    """``spec`` plus the hidden inputs drawn from ``secret`` (never stored anywhere).

    They depend on the exercise and its numbers, not on who has them: students with the
    same numbers (everyone, on a fixed exercise) are graded on the same inputs."""
    rng = random.Random(seed(secret, "hidden", spec.id, repr(spec.numbers)))
    if isinstance(spec, LayerSpec) and spec.hidden_draws and spec.rule is not None:
        drawn = draw_hidden(spec.rule, spec.input_shape[1], spec.hidden_draws, rng)
        return replace(spec, variants=spec.variants + drawn)
    if isinstance(spec, FunctionSpec) and spec.hidden_case is not None:
        cases = tuple((*spec.hidden_case(rng, i), True) for i in range(spec.hidden_count))
        return replace(spec, cases=spec.cases + cases)
    return spec


def resolve(exercise_id: str, student: str | None, course: Course, hidden: bool) -> Spec:
    spec = personal(exercise_id, student, course)
    return with_hidden(spec, course.secret, student) if hidden else spec
