"""Variants of modern_convs, beyond_2d, networks and conv_computes: every combination of a
value exercise's numbers keeps its recognised mistakes wrong, and the checks, hints and
mistake messages follow the student's own numbers."""

from __future__ import annotations

import itertools
import random

import pytest
import torch
from torch import nn

from convdojo import check, specs
from convdojo.course import Course
from convdojo.specs.personal import numbers, personal

COURSE = Course("test-salt")
ASSIGNMENTS = ("modern_convs", "beyond_2d", "networks", "conv_computes")
VALUE_SPECS = [specs.get(e) for a in specs.assignments() if a.name in ASSIGNMENTS
               for e in a.exercises
               if specs.get(e).kind == "value" and specs.get(e).domain is not None]


def _combinations(domain: specs.Domain) -> list[dict]:
    names = domain.names
    combos = (dict(zip(names, c)) for c in itertools.product(*(v for _, v in domain.ranges)))
    return [c for c in combos if domain.valid(**c)]


def _student_with(exercise: str, **want: object) -> str:
    """A student id whose numbers for ``exercise`` include ``want``."""
    for i in range(5000):
        student = f"s{i:04d}"
        mine = numbers(exercise, student, COURSE) or {}
        if all(mine.get(k) == v for k, v in want.items()):
            return student
    raise AssertionError(f"no student has {want} for {exercise}")


def test_these_assignments_vary() -> None:
    varying = {e for a in specs.assignments() if a.name in ASSIGNMENTS for e in a.exercises
               if specs.get(e).domain is not None}
    assert {"dilated_conv", "depthwise_conv", "separable_conv", "upsample_transposed",
            "tconv_weight_shape", "undo_downsample", "audio_frontend", "causal_stack",
            "video_conv", "stem_macs", "activation_memory", "im2col_shapes"} <= varying


@pytest.mark.parametrize("spec", VALUE_SPECS, ids=lambda s: s.id)
def test_no_recognised_mistake_matches_the_right_answer(spec: specs.ValueSpec) -> None:
    """Over the whole domain: the expected value is torch's, and no mistake claims it."""
    assert spec.domain is not None
    for combo in _combinations(spec.domain):
        mine = spec.domain.build(**combo)
        want = mine.normalize(mine.expected())
        for mistake in mine.mistakes:
            items = want.items() if isinstance(want, dict) else [want]
            assert not any(mistake.matches(v) for v in items), (spec.id, combo, mistake.message)


def test_causal_stack_measures_the_students_own_receptive_field() -> None:
    student = _student_with("causal_stack", field=13)
    c = numbers("causal_stack", student, COURSE)["c"]  # type: ignore[index]
    doubling = nn.Sequential(*(layer for d in (1, 2, 4) for layer in (
        nn.ZeroPad1d((2 * d, 0)), nn.Conv1d(c, c, 3, dilation=d))))
    wrong = check("causal_stack", doubling, student=student, course=COURSE, device="cpu")
    assert not wrong.passed
    assert "15 samples, not 13" in str(wrong) and "add up to 6" in str(wrong)
    right = personal("causal_stack", student, COURSE)
    namespace: dict = {"nn": nn}
    exec(right.solution, namespace)
    assert check("causal_stack", namespace["causal"], student=student, course=COURSE,
                 device="cpu").passed


def test_audio_frontend_downsamples_by_the_students_factor() -> None:
    student = _student_with("audio_frontend", s=8)
    spec = personal("audio_frontend", student, COURSE)
    assert spec.target_shape[2] == 16000 // 8 and "floor(L / 8)" in spec.prompt
    by_eight = nn.Conv1d(1, spec.target_shape[1], 16, stride=8, padding=4)
    assert check("audio_frontend", by_eight, student=student, course=COURSE,
                 device="cpu").passed
    by_four = nn.Conv1d(1, spec.target_shape[1], 8, stride=4, padding=2)
    assert not check("audio_frontend", by_four, student=student, course=COURSE,
                     device="cpu").passed


def test_hints_and_messages_use_the_students_numbers() -> None:
    undo = personal("undo_downsample", _student_with("undo_downsample", h=12), COURSE)
    assert "11×11 and 12×12 to 6×6" in undo.hints[0] and undo.input_shape[2:] == (6, 6)
    stem = personal("stem_macs", _student_with("stem_macs", h=160), COURSE)
    wrong = {**stem.expected(), "stride2": stem.expected()["stride1"]}
    assert any("(80 × 80)" in m.message for m in stem.mistakes if m.matches(("stride2",
                                                                             wrong["stride2"])))
    student = _student_with("tconv_weight_shape", c_in=128, c_out=8)
    k = numbers("tconv_weight_shape", student, COURSE)["k"]  # type: ignore[index]
    conv_order = check("tconv_weight_shape", (8, 128, k, k), student=student, course=COURSE)
    assert not conv_order.passed and "maps 8 channels to 128" in str(conv_order)


def test_activation_memory_is_measured_for_the_students_batch() -> None:
    student = _student_with("activation_memory", n=16, c=32, h=48)
    spec = personal("activation_memory", student, COURSE)
    block = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    x, total = torch.zeros(16, 3, 48, 48), 0
    for layer in block:
        x = layer(x)
        total += x.numel() * x.element_size()
    assert spec.expected() == total
    one_image = check("activation_memory", total // 16, student=student, course=COURSE)
    assert not one_image.passed and "the batch holds 16" in str(one_image)


VARYING = [specs.get(e) for a in specs.assignments() if a.name in ASSIGNMENTS
           for e in a.exercises if specs.get(e).domain is not None]


@pytest.mark.parametrize("spec", VARYING, ids=lambda s: s.id)
def test_no_variant_states_its_answer(spec: specs.Spec) -> None:
    """tests/test_no_leaks.py's search, on the combinations of the numbers: the prompt,
    hints, rule line and mistake messages never state that variant's answer."""
    from test_no_leaks import _answer_tokens, _contains, _element_tokens, _where_to_look

    assert spec.domain is not None
    combos = _combinations(spec.domain)
    for combo in random.Random(0).sample(combos, min(len(combos), 300)):  # im2col has 1476
        mine = spec.domain.build(**combo)
        tokens, elements = _answer_tokens(mine), _element_tokens(mine)
        assert tokens, (spec.id, "no answer text to look for")
        texts = {"prompt": mine.prompt, "title": mine.title}
        texts |= {f"hint {i + 1}": h for i, h in enumerate(mine.hints)}
        if mine.kind == "layer" and mine.rule is not None:
            texts["rule line"] = mine.rule.text
        texts |= {f"mistake {i + 1}": m.message
                  for i, m in enumerate(getattr(mine, "mistakes", ()))}
        leaks = [(where, token) for where, text in texts.items()
                 for token in tokens
                 if _where_to_look(mine, where, token) and _contains(text, token)]
        leaks += [(where, token) for where, text in texts.items()
                  for token in elements
                  if where.startswith(("hint", "mistake")) and _contains(text, token)]
        assert not leaks, (spec.id, combo, leaks)
