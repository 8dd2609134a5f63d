"""The quiz and the counting exercises on each student's own numbers: the expected answers
agree with the closed-form formulas (convdojo.shapes), and each student's characteristic
mistakes, computed here from their numbers, are recognised (with the misconception they
show) and earn partial credit."""

from __future__ import annotations

import pytest

from convdojo import check, shapes
from convdojo.course import Course
from convdojo.specs.personal import personal

COURSE = Course("quiz-salt", True)
STUDENTS = [f"q{i:02d}" for i in range(25)]


def _mine(exercise: str, student: str):
    spec = personal(exercise, student, COURSE)
    return spec, dict(spec.numbers), spec.normalize(spec.expected())


def _feedback(exercise: str, student: str, answer: dict) -> tuple[float, str]:
    result = check(exercise, answer, student=student, course=COURSE, device="cpu")
    return result.score, "\n".join(result.feedback)


@pytest.mark.parametrize("student", STUDENTS)
def test_quiz_shapes_follow_the_formulas(student: str) -> None:
    _, n, want = _mine("predict_shapes", student)
    (ck, cd, ch), (dsh, dsw, dh, dw) = n["c"], n["d"]
    (ek, es, eh), (gk, gh), (hk, hs, hh) = n["e"], n["g"], n["h"]
    c = shapes.conv_out(ch, ck, dilation=cd)
    e = shapes.conv_out(eh, ek, es)
    g = shapes.pool_out(gh, gk, ceil_mode=True)
    t = shapes.conv_transpose_out(hh, hk, hs, 1)
    assert want == {"a": "ValueError", "b": "RuntimeError", "c": (1, 1, c, c),
                    "d": (1, 1, shapes.conv_out(dh, 3, dsh, 0), shapes.conv_out(dw, 5, dsw, 1)),
                    "e": (1, 4, e, e), "f": (1, 96, 54, 54), "g": (2, 16, g, g),
                    "h": (1, 2, t, t)}


@pytest.mark.parametrize("student", STUDENTS)
def test_quiz_mistakes_on_the_students_numbers(student: str) -> None:
    spec, n, want = _mine("predict_shapes", student)
    (ck, _, ch), (ek, es, eh), (gk, gh), (_, hs, hh) = n["c"], n["e"], n["g"], n["h"]
    up = -(-(eh - ek) // es) + 1
    wrong = {**want, "c": (1, 1, ch - ck + 1, ch - ck + 1), "e": (1, 4, up, up),
             "g": (2, 16, gh // gk, gh // gk), "h": (1, 2, hh * hs, hh * hs)}
    score, text = _feedback("predict_shapes", student, wrong)
    assert score == spec.points / 2, (n, text)  # four of eight items right
    for lesson in ("Dilation spreads", "PyTorch rounds down", "ceil_mode=True rounds up",
                   "Without output_padding"):
        assert lesson in text, (n, text)


@pytest.mark.parametrize("student", STUDENTS)
def test_parameter_counts_and_their_mistakes(student: str) -> None:
    spec, n, want = _mine("predict_params", student)
    (ci, co, k), (gi, go, g), (ti, to, tk), (li, lo), (bc,) = (
        n[key] for key in ("conv", "grouped", "transposed", "linear", "batchnorm"))
    assert want == {"conv": shapes.conv_params(ci, co, k),
                    "no_bias": shapes.conv_params(ci, co, k, bias=False),
                    "grouped": shapes.conv_params(gi, go, 3, groups=g),
                    "transposed": shapes.conv_transpose_params(ti, to, tk),
                    "linear": shapes.linear_params(li, lo), "batchnorm": 2 * bc}
    wrong = {**want, "conv": shapes.conv_params(ci, co, k, bias=False),
             "grouped": shapes.conv_params(gi, go, 3), "batchnorm": 4 * bc}
    score, text = _feedback("predict_params", student, wrong)
    assert score == spec.points / 2, (n, text)
    for lesson in (f"Each of the {co} filters also has a bias", f"groups={g}", "buffers",
                   # the misconceptions, recognised on the student's own layers
                   "To revisit: Each output channel has one bias",
                   "To revisit: BatchNorm's running_mean and running_var are buffers"):
        assert lesson in text, (n, text)


@pytest.mark.parametrize("student", STUDENTS)
def test_pool_vs_conv_on_the_students_layer(student: str) -> None:
    spec, n, want = _mine("pool_vs_conv", student)
    c, k, h = n["c"], n["k"], n["h"]
    pad = (k - 1) // 2
    out = shapes.pool_out(h, k, 2, pad)
    assert want == {"conv_params": shapes.conv_params(c, c, k), "pool_params": 0,
                    "pool_shape": (1, c, out, out)}
    unpadded = shapes.pool_out(h, k, 2, 0)
    score, text = _feedback("pool_vs_conv", student,
                            {**want, "pool_shape": (1, c, unpadded, unpadded)})
    assert 0 < score < spec.points and f"Without padding you would get {unpadded}" in text


@pytest.mark.parametrize("student", STUDENTS)
def test_flatten_batch_on_the_students_features(student: str) -> None:
    spec, n, want = _mine("flatten_batch", student)
    per_image = 16 * n["size"] ** 2
    assert want == {"view": (n["n"] * per_image // 400, 400), "flatten": (n["n"], per_image)}
    score, text = _feedback("flatten_batch", student, {**want, "view": (n["n"], 400)})
    assert score == spec.points / 2 and f"batch {n['n']} silently" in text, text
