"""Copy flags: answers that fail their own numbers but fit a classmate's are flagged."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from convdojo import specs
from convdojo.course import Course
from convdojo.grade.engine import InlineChecks
from convdojo.grade import checker, class_report, copying
from convdojo.sandbox.inside import codec, private
from convdojo.specs.personal import personal

COURSE = Course("copy-salt")
CLASS = ["ana", "cat"] + [f"s{i:02d}" for i in range(48)]
ASSIGNMENT = specs.assignment("conv_shapes")


@pytest.fixture(scope="module")
def encode() -> object:
    return private.load(private.compile_file("sender.py"))["encode"]


def _trees(encode, student: str) -> dict[str, object]:
    """``student``'s right answers as the sandbox reports them (plain data)."""
    out = {}
    for ex in ASSIGNMENT.exercises:
        ns: dict = {"torch": torch, "nn": nn}
        exec(personal(ex, student, COURSE).solution, ns)
        value = ns[specs.get(ex).answer_name]
        out[ex] = json.loads(json.dumps(codec.to_json(encode(value))))
    return out


def _grade(trees: dict[str, object], student: str) -> tuple[list[dict], list[str]]:
    checks = InlineChecks("cpu")

    results = [checker.check_one(ex, trees[ex], {}, student=student, course=COURSE)
               for ex in ASSIGNMENT.exercises]
    return results, copying.flags([specs.get(e) for e in ASSIGNMENT.exercises], trees,
                                  results, student, COURSE, CLASS, checks)


def test_copied_answers_are_flagged_with_evidence(encode) -> None:
    trees = _trees(encode, "ana")
    own, own_flags = _grade(trees, "ana")
    assert all(r["status"] == "passed" for r in own) and own_flags == []
    copied, flags = _grade(trees, "cat")
    assert any(r["status"] != "passed" for r in copied)
    ana = [f for f in flags if f.startswith(copying.FLAG + "ana:")]
    assert ana, flags
    failed = [r["exercise_id"] for r in copied if r["status"] != "passed"
              and specs.get(r["exercise_id"]).domain is not None]
    assert all(ex in ana[0] for ex in failed), (failed, ana)
    report = class_report.analyse({"students": [
        {"student_id": "cat", "score": 3, "max_score": 11, "notes": flags, "exercises": []}]})
    assert [(c.student_id, c.other) for c in report.copies][:1] == [("cat", "ana")]
    assert copying.parse(ana[0]) == ("ana", ana[0].split(": ", 1)[1])


def test_no_flag_when_variants_are_off_or_alone(encode) -> None:
    trees = _trees(encode, "ana")
    results = [checker.check_one(ex, trees[ex], {}, student="cat", course=COURSE)
               for ex in ASSIGNMENT.exercises]
    off = Course(COURSE.salt, variants=False)
    never = lambda *a: (lambda: {"status": "passed"})  # noqa: E731
    assert copying.flags([specs.get(e) for e in ASSIGNMENT.exercises], trees, results, "cat",
                         off, CLASS, never) == []
    assert copying.flags([specs.get(e) for e in ASSIGNMENT.exercises], trees, results, "cat",
                         COURSE, ["cat"], never) == []


def test_the_cheap_filter_never_misses_a_fit(encode) -> None:
    """``fitting`` only narrows the full checks: wherever an answer passes a classmate's
    numbers in full, the filter lets that classmate through (and always its own)."""
    few = CLASS[:8]
    varying = [e for e in ASSIGNMENT.exercises if specs.get(e).domain is not None]
    assert varying
    for owner in few:
        trees = _trees(encode, owner)
        for ex in varying:
            let_through = set(checker.fitting(ex, trees[ex], few, COURSE))
            passed = {other for other in few if checker.check_one(
                ex, trees[ex], {}, student=other, course=COURSE)["status"] == "passed"}
            assert owner in passed and passed <= let_through, (owner, ex, passed, let_through)


def test_one_answer_that_fits_a_classmate_is_not_a_flag(encode) -> None:
    """cat's own answers, except one exercise answered with ana's numbers (a slip that
    happens to be a classmate's variant): no flag. Two such answers: flagged."""
    mine, hers = _trees(encode, "cat"), _trees(encode, "ana")
    varying = [e for e in ASSIGNMENT.exercises if specs.get(e).domain is not None
               and personal(e, "cat", COURSE).numbers != personal(e, "ana", COURSE).numbers]
    assert len(varying) >= 2, varying
    one = {**mine, varying[0]: hers[varying[0]]}
    _, flags = _grade(one, "cat")
    assert not any(f.startswith(copying.FLAG + "ana:") for f in flags), flags
    two = {**one, varying[1]: hers[varying[1]]}
    _, flags = _grade(two, "cat")
    assert any(f.startswith(copying.FLAG + "ana:") for f in flags), flags


def test_answers_about_one_layer_count_once(encode) -> None:
    """weight_shape and param_count ask about the same layer: one misread layer makes both
    fit a classmate, which is one slip, not two pieces of evidence."""
    mine, hers = _trees(encode, "cat"), _trees(encode, "ana")
    layer = [e for e in ("weight_shape", "param_count")
             if personal(e, "cat", COURSE).numbers != personal(e, "ana", COURSE).numbers]
    assert len(layer) == 2 and specs.get("weight_shape").domain.group == "lesson_layer"
    _, flags = _grade({**mine, **{e: hers[e] for e in layer}}, "cat")
    assert not any(f.startswith(copying.FLAG + "ana:") for f in flags), flags
