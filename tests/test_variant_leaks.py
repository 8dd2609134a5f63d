"""No student's variant gives its own answer away: test_no_leaks's search, on many
students' numbers instead of today's.

The prompt, hints, rule line and mistake messages are built from the student's numbers,
and the lesson around the exercise is the same for everyone: neither may state that
student's answer.
"""

from __future__ import annotations

import pytest

from convdojo import specs
from convdojo.course import Course
from convdojo.specs import shape_quiz
from convdojo.specs.personal import personal
from test_no_leaks import _answer_tokens, _before, _contains, _element_tokens, _where_to_look

STUDENTS = [f"s{i:03d}" for i in range(60)]
COURSE = Course("leak-salt")
VARYING = [s for s in specs.all_specs() if s.domain is not None]


def _inputs(spec: specs.Spec) -> tuple[str, ...]:
    """A quiz's input shapes are part of its questions, not answers to other items."""
    if spec.id != "predict_shapes":
        return ()
    items = shape_quiz.shape_items(**dict(spec.numbers))
    return tuple(str(shape) for *_, shape in items.values())


def _texts(spec: specs.Spec) -> dict[str, str]:
    texts = {"prompt": spec.prompt, "title": spec.title}
    texts |= {f"hint {i + 1}": h for i, h in enumerate(spec.hints)}
    if spec.kind == "layer" and spec.rule is not None:
        texts["rule line"] = spec.rule.text
    texts |= {f"mistake {i + 1}": m.message for i, m in enumerate(getattr(spec, "mistakes", ()))}
    for target in getattr(spec, "targets", ()):
        texts |= {f"target mistake {i + 1}": msg for i, (_, msg) in enumerate(target.mistakes)}
    texts |= {f"constraint {i + 1}": c.text
              for i, c in enumerate(getattr(spec, "constraints", ()))}
    texts |= {f"lesson before it, cell {i + 1}": t for i, t in enumerate(_before(spec.id))}
    assignment = next(a for a in specs.assignments() if spec.id in a.exercises)
    for written in assignment.written:
        texts[f"written question {written}"] = specs.get_written(written).prompt
    for shape in _inputs(spec):
        texts = {where: text.replace(shape, "") for where, text in texts.items()}
    return texts


@pytest.mark.parametrize("spec", VARYING, ids=lambda s: s.id)
def test_no_students_text_states_their_answer(spec: specs.Spec) -> None:
    told = ("mistake", "hint", "target mistake")  # where a size is feedback, not the question
    for student in STUDENTS:
        mine = personal(spec.id, student, COURSE)
        tokens, texts = _answer_tokens(mine), _texts(mine)
        assert tokens, f"{spec.id}: no answer text to look for"
        leaks = [(where, token) for where, text in texts.items() for token in tokens
                 if _where_to_look(mine, where, token) and _contains(text, token)]
        leaks += [(where, token) for where, text in texts.items()
                  for token in _element_tokens(mine) if where.startswith(told)
                  and _contains(text, token)]
        assert not leaks, f"{spec.id}, {student} {dict(mine.numbers)}: {leaks}"
