"""Unusual but correct answers earn full marks, with the grader's hidden inputs included."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from convdojo import check, specs

from fair_answers import FAIR

CASES = [(ex, code) for ex, codes in FAIR.items() for code in codes]


@pytest.mark.parametrize("exercise,code", CASES, ids=[f"{e}:{c.split(' = ', 1)[1][:40]}"
                                                      for e, c in CASES])
def test_an_unusual_correct_answer_earns_full_marks(exercise: str, code: str) -> None:
    spec = specs.get(exercise)
    namespace: dict = {"torch": torch, "nn": nn, "np": np}
    exec(code, namespace)
    result = check(exercise, namespace[spec.answer_name], hidden=True, device="cpu")
    assert (result.status, result.score) == ("passed", spec.points), result.feedback


def test_every_listed_exercise_exists() -> None:
    known = {s.id for s in specs.all_specs()}
    assert set(FAIR) <= known


def _by_assignment() -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for a in specs.assignments():
        listed = {ex: FAIR[ex] for ex in a.exercises if ex in FAIR}
        if listed:
            out[a.name] = listed
    return out


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("assignment", ["conv_shapes", "pooling", "modern_convs"])
def test_the_grader_gives_unusual_correct_answers_full_marks(assignment: str, tmp_path) -> None:
    """Through the sandbox and the clean-side rebuild: student k writes the k-th unusual
    answer of each exercise (the solution where there are fewer), next to an honest one."""
    from hostile.notebooks import for_assignment, write
    from hostile.support import rows

    from convdojo.grade import grade_batch

    listed = _by_assignment()[assignment]
    solutions = {ex: specs.get(ex).solution for ex in specs.assignment(assignment).exercises}
    students = max(len(codes) for codes in listed.values())
    for k in range(students):
        answers = {**solutions, **{ex: codes[k] for ex, codes in listed.items()
                                   if k < len(codes)}}
        write(tmp_path / "submitted", f"fair{k}", for_assignment(assignment, answers),
              assignment)
    write(tmp_path / "submitted", "honest", for_assignment(assignment, solutions), assignment)
    grade_batch(tmp_path / "submitted", assignment=assignment, out=tmp_path / "out", workers=2)
    got = rows(tmp_path / "out")
    short = {key: (r["score"], r["feedback"][:200]) for key, r in got.items()
             if float(r["score"]) != float(r["max_score"])}
    assert len(got) == (students + 1) * len(solutions) and not short, short
