"""The texts corrected after the review of issue 16: each wrong sentence stays fixed."""

from __future__ import annotations

import re

from torch import nn

from convdojo import check, shapes, specs
from convdojo.notebooks.lesson import Text
from convdojo.notebooks.lessons import LESSONS
from convdojo.specs.answers import a_type, with_article


def _text(assignment: str, block_id: str) -> str:
    lesson = next(lesson for lesson in LESSONS if lesson.assignment == assignment)
    return next(b.markdown for b in lesson.blocks if isinstance(b, Text) and b.id == block_id)


def test_alexnet_rubric_says_padding_2_does_not_tile_exactly() -> None:
    rubric = specs.get_written("alexnet_224").rubric
    assert (224 + 2 * 2 - 11) % 4 != 0 and (227 - 11) % 4 == 0
    assert "227 (or padding) makes the windows tile exactly" not in rubric
    assert "217/4 is not an integer" in rubric and "227 makes the windows tile exactly" in rubric


def test_conv_shapes_wrap_up_keeps_the_size_only_at_stride_1() -> None:
    wrap = _text("conv_shapes", "wrap_up")
    assert shapes.conv_out(16, 5, 2, (5 - 1) // 2) != 16  # the rule fails at stride 2
    assert "and stride 1, `padding=(k-1)//2` keeps the size" in wrap
    assert "divides the size, rounding down" not in wrap
    assert "floor((H + 2·padding − kernel_size)/s) + 1" in wrap
    assert shapes.conv_out(10, 3, 2) == 4 != 10 // 2  # why "H/s rounded down" is wrong


def test_conv_shapes_promises_dilation_only_if_an_exercise_uses_it() -> None:
    goals = _text("conv_shapes", "intro").split("**How this notebook works.**")[0]
    uses = any("dilation" in specs.get(e).solution
               for e in specs.assignment("conv_shapes").exercises)
    assert ("dilation" in goals) == uses


def test_avg_pool_feedback_has_no_dilation_term() -> None:
    result = check("avg_pool_blur", nn.AvgPool2d(3, stride=1, padding=0))
    text = "\n".join(result.feedback)
    assert "- 3) / 1) + 1" in text, text
    assert "*(3-1)" not in text
    # max pooling has a dilation, and its formula says so
    assert "1*(3-1)" in shapes.pool_formula(16, 3, 1, 0, 1)
    assert shapes.pool_formula(16, 3, 1, 0, None) == "floor((16 + 2*0 - 3) / 1) + 1 = 14"


def test_articles_and_plurals() -> None:
    assert a_type(3) == "an int" and a_type("x") == "a str"
    assert with_article("nn.MaxPool2d") == "an nn.MaxPool2d"
    solution: dict = {"nn": nn}
    exec(specs.get("rf_stack").solution, solution)
    text = "\n".join(check("rf_stack", solution["stack"]).feedback)
    assert "and 1 other input (" in text and "1 other inputs" not in text


def test_shape_quiz_written_questions_do_not_answer_items_f_and_a() -> None:
    q3, q4 = specs.get_written("alexnet_224").prompt, specs.get_written("same_stride").prompt
    assert "54" not in q3 and not re.search(r"ValueError|raises|refuse", q4)


def test_modern_convs_counts_are_derived_not_given() -> None:
    q5 = specs.get_written("separable_savings").prompt
    prompts = [specs.get(e).prompt for e in ("depthwise_conv", "separable_conv")]
    for count in ("2432", "18,496", "320", "2112"):
        assert count not in q5 and not any(count in p for p in prompts)
