"""A self-check never judges another exercise's answer silently (conv, pool, up are reused)."""

from __future__ import annotations

import pytest
from torch import nn

from convdojo import check
from convdojo.checks import hints, owner


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(hints, "interactive", lambda: True)
    owner.reset()
    hints.reset()
    yield
    owner.reset()
    hints.reset()


def test_rerunning_an_earlier_self_check_names_the_later_exercise(kernel) -> None:
    conv = nn.Conv2d(3, 16, 3, padding=1)           # exercise "channels"
    assert check("channels", conv).passed
    conv = nn.Conv2d(16, 16, 5)                     # exercise "padding", same name
    assert check("padding", conv).passed
    again = check("channels", conv)                 # the student re-runs the first check
    assert again.status == "unanswered" and again.score == 0
    text = " ".join(again.feedback)
    assert "holds your answer to" in text and "(padding)" in text
    assert "Run this exercise's answer cell again" in text
    assert check("padding", conv).passed            # its own exercise still judges it
    conv = nn.Conv2d(3, 16, 3, padding=1)           # the answer cell run again
    assert check("channels", conv).passed


def test_the_same_exercise_and_other_names_are_judged_as_usual(kernel) -> None:
    pool = nn.MaxPool2d(2)
    for _ in range(2):
        assert check("max_pool", pool).passed
        assert check("max_pool", pool, hidden=True).passed
    assert check("weight_shape", (5, 3, 5, 5)).passed  # values are not objects to track
    assert check("param_count", 380).passed and check("param_count", 380).passed


def test_outside_a_kernel_nothing_is_tracked(monkeypatch: pytest.MonkeyPatch) -> None:
    owner.reset()
    monkeypatch.setattr(hints, "interactive", lambda: False)
    conv = nn.Conv2d(16, 16, 5)
    assert check("padding", conv).passed
    assert check("channels", conv).status == "failed"  # judged, as a script asks
