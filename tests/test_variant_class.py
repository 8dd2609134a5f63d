"""A generated class of 50: distinct numbers, and answers that fit only their own variant."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from convdojo import check, specs
from convdojo.course import Course
from convdojo.specs.personal import numbers, personal

CLASS = [f"student{i:02d}" for i in range(50)]
COURSE = Course("ml101-2026")
VARYING = [s for s in specs.all_specs() if s.domain is not None]


def solve(spec: specs.Spec) -> object:
    namespace: dict = {"torch": torch, "nn": nn, "np": np}
    exec(spec.solution, namespace)
    return namespace[spec.answer_name]


@pytest.mark.parametrize("assignment", [a for a in specs.assignments()
                                        if any(specs.get(e).domain for e in a.exercises)],
                         ids=lambda a: a.name)
def test_no_two_students_share_all_numbers(assignment: specs.Assignment) -> None:
    """Where the domain allows it (far more combinations than students, so that random
    draws do not collide), no two students share every number; a small domain is used
    nearly in full."""
    size = 1
    groups = {specs.get(e).domain.group or e: specs.get(e).domain  # type: ignore[union-attr]
              for e in assignment.exercises if specs.get(e).domain is not None}
    for domain in groups.values():
        size *= domain.size()
    seen: dict[tuple, str] = {}
    for student in CLASS:
        key = tuple(tuple(sorted((numbers(e, student, COURSE) or {}).items()))
                    for e in assignment.exercises)
        if size >= 10**6:
            assert key not in seen, f"{student} and {seen[key]} share every number"
        seen[key] = student
    assert len(seen) >= 0.75 * min(size, len(CLASS)), (len(seen), size)


def test_a_student_always_gets_the_same_numbers_and_the_salt_matters() -> None:
    for spec in VARYING:
        assert numbers(spec.id, "student07", COURSE) == numbers(spec.id, "student07", COURSE)
    moved = [s.id for s in VARYING if numbers(s.id, "student07", COURSE)
             != numbers(s.id, "student07", Course("another-course"))]
    assert moved, "the course salt changes nobody's numbers"


@pytest.mark.parametrize("spec", VARYING, ids=lambda s: s.id)
def test_right_answers_pass_their_own_variant_and_fail_another(spec: specs.Spec) -> None:
    for student in CLASS:
        answer = solve(personal(spec.id, student, COURSE))
        own = check(spec.id, answer, student=student, course=COURSE, device="cpu")
        assert own.passed and own.score == spec.points, (student, own)
        fails_another = any(not check(spec.id, answer, student=other, course=COURSE,
                                      device="cpu").passed for other in CLASS if other != student)
        assert fails_another, f"{student}'s answer to {spec.id} fits every other student's variant"


def test_variants_off_gives_everyone_todays_numbers() -> None:
    off = Course(COURSE.salt, variants=False)
    for spec in specs.all_specs():
        for student in CLASS[:5]:
            assert personal(spec.id, student, off) is spec
    fixed = solve(specs.get("channels"))
    assert check("channels", fixed, student="student03", course=off).passed


def test_the_study_pair_fixed_answers_do_not_pass_everyone() -> None:
    """Today's posted answer (the fixed solution) no longer serves the whole class."""
    fixed = solve(specs.get("channels"))
    passing = [s for s in CLASS if check("channels", fixed, student=s, course=COURSE).passed]
    assert len(passing) < len(CLASS) // 4, passing
