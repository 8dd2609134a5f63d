"""No exercise gives its own answer away: not in its prompt, hints, rule line, the lesson
text and code before it, its mistake messages, nor in what its self-check prints.

An answer's text is its layer code (the constructor calls of the solution), its value
(a shape, a count, an exception name; each item of a quiz) or a function's key lines.
Worked examples whose answer is the point of the example are exempt, listed below.
"""

from __future__ import annotations

import re

import pytest

from convdojo import check, specs
from convdojo.notebooks.lesson import Code, Task, Text, Written
from convdojo.notebooks.lessons import LESSONS
from convdojo.specs import shape_quiz
from test_catalogue import CATALOGUE

# Exercises whose answer the notebook shows on purpose, with why.
EXEMPT: dict[str, str] = {}

# Numbers a layer exercise asks the student to derive (its "?"), beyond the layer code.
DERIVED: dict[str, tuple[str, ...]] = {
    "lenet": ("400", "16×5×5", "16·5·5", "16 * 5 * 5"),
}
# Value answers that describe behaviour ("positive on red"): their answer is the solution.
BY_SOLUTION = {"colour_kernel"}
# The quiz's input shapes are part of its questions, not answers to other items.
INPUTS = {"predict_shapes": tuple(str(shape) for *_, shape in shape_quiz.SHAPE_ITEMS.values())}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _value_tokens(value: object) -> list[str]:
    """How a value's answer reads in text: '(5, 3, 5, 5)', '5×3×5×5', '380', 'ValueError'."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _value_tokens(v)]
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [str(value)] if value >= 10 else []
    if isinstance(value, tuple):
        # an output's H×W, as in "54×54"; small ones read like kernel sizes
        spatial = (["×".join(map(str, value[2:]))] if len(value) == 4 and max(value[2:]) >= 10
                   else [])
        return [str(value), "×".join(map(str, value))] + spatial
    return []


def _answer_tokens(spec) -> list[str]:
    if spec.kind == "layer":
        calls = re.findall(r"nn\.\w+\([^()]*(?:\([^()]*\)[^()]*)*\)", spec.solution)
        return [_squash(c) for c in calls] + list(DERIVED.get(spec.id, ()))
    if spec.kind == "value" and spec.id not in BY_SOLUTION:
        return _value_tokens(spec.normalize(spec.expected()))
    lines = [line.strip() for line in spec.solution.splitlines()]
    return [_squash(line) for line in lines if len(line) >= 25 and not line.startswith(
        ("def ", "import ", "from ", "#")) and not _GIVEN.match(line)]


# A line that only turns the argument into a tensor is not the answer's idea.
_GIVEN = re.compile(r"^\w+ = torch\.(from_numpy|as_tensor|tensor)\(\w+\)$")


def _before(spec_id: str) -> list[str]:
    """The lesson's text and code cells that come before the exercise in its notebook."""
    for lesson in LESSONS:
        out: list[str] = []
        for block in lesson.blocks:
            if isinstance(block, Task) and block.exercise == spec_id:
                return out
            if isinstance(block, Text):
                out.append(block.markdown)
            elif isinstance(block, Code):
                out.append(block.source)
    raise AssertionError(f"{spec_id} is in no lesson")


def _element_tokens(spec) -> list[str]:
    """The sizes inside a value's shapes that its prompt does not give (256 of (25, 256))."""
    if spec.kind != "value" or spec.id in BY_SOLUTION:
        return []
    want = spec.normalize(spec.expected())
    values = want.values() if isinstance(want, dict) else [want]
    sizes = {str(n) for v in values if isinstance(v, tuple) for n in v
             if isinstance(n, int) and n >= 10}
    return sorted(n for n in sizes if not _contains(spec.prompt, n))


def _texts(spec) -> dict[str, str]:
    texts = {"prompt": spec.prompt}
    texts |= {f"hint {i + 1}": h for i, h in enumerate(spec.hints)}
    if spec.kind == "layer" and spec.rule is not None:
        texts["rule line"] = spec.rule.text
    texts |= {f"mistake {i + 1}": m.message for i, m in enumerate(getattr(spec, "mistakes", ()))}
    texts |= {f"lesson before it, cell {i + 1}": t for i, t in enumerate(_before(spec.id))}
    for i, mistake in enumerate(CATALOGUE[spec.id].mistakes):
        answer = mistake.answer()
        text = "\n".join(check(spec.id, answer, device="cpu").feedback)
        texts[f"self-check on catalogue mistake {i + 1}"] = _without_echo(spec, answer, text)
    texts["self-check unanswered"] = "\n".join(check(spec.id, None).feedback)
    for written in _assignment_of(spec.id).written:
        texts[f"written question {written}"] = specs.get_written(written).prompt
    for shape in INPUTS.get(spec.id, ()):
        texts = {where: text.replace(shape, "") for where, text in texts.items()}
    return texts


def _assignment_of(exercise: str) -> specs.Assignment:
    return next(a for a in specs.assignments() if exercise in a.exercises)


def _without_echo(spec, answer, text: str) -> str:
    """The feedback without the student's own values it quotes back ("(5, 5, 3, 5) is ...")."""
    if spec.kind != "value":
        return text
    got = spec.normalize(answer)
    for value in (got.values() if isinstance(got, dict) else [got]):
        text = text.replace(repr(value), "")
    return text


def _where_to_look(spec, where: str, token: str) -> bool:
    """Exception names and a quiz's counts also name the layers in its prompt."""
    if where != "prompt" or spec.kind != "value":
        return True
    return not (token.isdigit() or token.isidentifier())


def _contains(text: str, token: str) -> bool:
    if token.isdigit():  # a number on its own, not a part of a bigger one or of 3×3
        return re.search(rf"(?<![\d.×]){token}(?![\d×]|\.\d)", text) is not None
    return _squash(token) in _squash(text)


@pytest.mark.parametrize("spec", [s for s in specs.all_specs() if s.id not in EXEMPT],
                         ids=lambda s: s.id)
def test_no_text_around_an_exercise_states_its_answer(spec) -> None:
    tokens = _answer_tokens(spec)
    assert tokens, f"{spec.id}: no answer text to look for"
    leaks = [(where, token) for where, text in _texts(spec).items() for token in tokens
             if _where_to_look(spec, where, token) and _contains(text, token)
             and not (spec.kind == "layer" and where.startswith("self-check")
                      and token in DERIVED.get(spec.id, ()))]
    told = ("mistake", "hint", "self-check")  # where a size is feedback, not the question
    leaks += [(where, token) for where, text in _texts(spec).items()
              for token in _element_tokens(spec) if where.startswith(told)
              and _contains(text, token)]
    assert not leaks, f"{spec.id} gives its answer away: {leaks}"


def test_the_leak_finder_finds_leaks() -> None:
    assert _contains("floor((224 − 11)/4) + 1 = 54.", "54")
    assert not _contains("a 540-pixel image, 5.4 or 3×54", "54")
    assert _contains("nn.Conv2d(1, 1, kernel_size=3)(image)", "nn.Conv2d(1,1,kernel_size=3)")
    assert "ValueError" in _value_tokens({"a": "ValueError", "b": (1, 2, 7, 7)})
    assert _answer_tokens(specs.get("worked_7x7")) == ["nn.Conv2d(1,1,kernel_size=3)"]


# Counts a written question asks the student to derive.
WRITTEN_KEYS: dict[str, tuple[str, ...]] = {
    "separable_savings": ("2432", "18,496", "18496", "320", "2112"),
}


@pytest.mark.parametrize("question", sorted(WRITTEN_KEYS))
def test_no_text_before_a_written_question_states_its_answer(question: str) -> None:
    lesson = next(lesson for lesson in LESSONS if question in
                  specs.assignment(lesson.assignment).written)
    texts = [specs.get_written(question).prompt]
    for block in lesson.blocks:
        if isinstance(block, Written) and block.question == question:
            break
        if isinstance(block, Text):
            texts.append(block.markdown)
        elif isinstance(block, Code):
            texts.append(block.source)
        elif isinstance(block, Task):
            spec = specs.get(block.exercise)
            texts += [spec.prompt, *spec.hints, *(c.text for c in getattr(spec, "constraints", ()))]
    leaks = [(text[:60], key) for text in texts for key in WRITTEN_KEYS[question]
             if _contains(text, key)]
    assert not leaks, leaks
