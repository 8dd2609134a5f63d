"""Hints progress: each failed self-check shows the next hint, and the last one stays."""

from __future__ import annotations

import pytest
from torch import nn

from convdojo import check, specs
from convdojo.checks import hints


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch):
    """As in a notebook kernel, with no exercise tried yet."""
    monkeypatch.setattr(hints, "interactive", lambda: True)
    hints.reset()
    yield
    hints.reset()


def _hint_lines(result, spec) -> list[str]:
    return [h for h in spec.hints for line in result.feedback if h in line]


@pytest.mark.parametrize("exercise,wrong", [
    ("lenet", lambda: nn.Sequential(nn.Conv2d(1, 6, 5), nn.Flatten(), nn.Linear(10, 10))),
    ("conv_single", lambda: (lambda x, w: x)),
    ("im2col_shapes", lambda: {"patches": (1, 2, 3)}),
])
def test_each_failed_self_check_shows_the_next_hint_and_the_last_stays(kernel, exercise,
                                                                        wrong) -> None:
    spec = specs.get(exercise)
    assert len(spec.hints) >= 2
    seen = [_hint_lines(check(exercise, wrong()), spec) for _ in range(len(spec.hints) + 2)]
    want = [[h] for h in spec.hints] + [[spec.hints[-1]]] * 2
    assert seen == want


def test_grading_and_scripts_always_show_the_first_hint(kernel, monkeypatch) -> None:
    spec = specs.get("conv_single")
    for _ in range(3):
        result = check("conv_single", lambda x, w: x, hidden=True)
        assert _hint_lines(result, spec) == [spec.hints[0]]
    assert hints.level("conv_single") == 0
    monkeypatch.setattr(hints, "interactive", lambda: False)
    for _ in range(3):
        assert _hint_lines(check("conv_single", lambda x, w: x), spec) == [spec.hints[0]]


def test_passing_or_unanswered_checks_do_not_use_up_hints(kernel) -> None:
    spec = specs.get("conv_single")
    check("conv_single", None)
    solution: dict = {}
    exec(spec.solution, {"torch": __import__("torch")}, solution)
    assert check("conv_single", solution["conv2d_single"]).passed
    assert hints.level("conv_single") == 0
    assert _hint_lines(check("conv_single", lambda x, w: x), spec) == [spec.hints[0]]
    assert hints.level("conv_single") == 1


def test_every_notebook_explains_how_hints_progress() -> None:
    from convdojo.notebooks.lesson import Text
    from convdojo.notebooks.lessons import LESSONS

    for lesson in LESSONS:
        intro = next(b.markdown for b in lesson.blocks if isinstance(b, Text))
        assert "each further failed check shows the next one" in " ".join(intro.split()), \
            lesson.assignment
