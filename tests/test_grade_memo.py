"""Identical answers are checked once (grade.memo), and nothing else is shared."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from convdojo.grade import checker, memo
from convdojo.sandbox.inside import codec


@pytest.fixture
def tree_of():
    from convdojo.sandbox.inside import private

    sender = private.load(private.compile_file("sender.py"))
    return lambda layer: codec.to_json(sender["encode"](layer))


@pytest.fixture(autouse=True)
def _fresh_memo():
    memo.clear()
    yield
    memo.clear()


def _counting(monkeypatch) -> list[str]:
    import convdojo.checks as checks

    calls: list[str] = []
    real = checks.check

    def counted(exercise_id, answer, **kw):
        calls.append(exercise_id)
        return real(exercise_id, answer, **kw)

    monkeypatch.setattr(checks, "check", counted)
    return calls


def test_identical_answer_is_checked_once(monkeypatch, tree_of):
    calls = _counting(monkeypatch)
    torch.manual_seed(0)
    tree = tree_of(nn.Conv2d(3, 16, 3, padding=1))
    first = checker.check_one("channels", tree, {})
    second = checker.check_one("channels", tree, {})
    assert first == second and first["score"] == first["max_score"]
    assert calls == ["channels"]
    second["feedback"].append("changed by a caller")  # a caller's copy, not the memo's
    assert checker.check_one("channels", tree, {}) == first


def test_any_difference_is_checked_again(monkeypatch, tree_of):
    calls = _counting(monkeypatch)
    torch.manual_seed(0)
    a = tree_of(nn.Conv2d(3, 16, 3, padding=1))
    torch.manual_seed(1)
    b = tree_of(nn.Conv2d(3, 16, 3, padding=1))  # other weights
    wrong = tree_of(nn.Conv2d(3, 16, 3))
    checker.check_one("channels", a, {})
    checker.check_one("channels", b, {})
    checker.check_one("channels", a, {}, hidden=False)
    checker.check_one("padding", a, {})
    low = checker.check_one("channels", wrong, {})
    assert len(calls) == 5
    assert low["score"] < low["max_score"]


def test_grader_failures_are_not_kept(monkeypatch, tree_of):
    import convdojo.checks as checks

    tree = tree_of(nn.Conv2d(3, 16, 3, padding=1))
    monkeypatch.setattr(checks, "check", lambda *a, **k: 1 / 0)
    failed = checker.check_one("channels", tree, {})
    assert failed["status"] == "error" and "grader failed" in " ".join(failed["feedback"])
    monkeypatch.undo()
    assert checker.check_one("channels", tree, {})["score"] > 0


def test_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(memo, "SIZE", 3)
    for i in range(5):
        memo.put(memo.key("channels", {"v": i}, {}, "cpu", True), {"score": i})
    assert memo.get(memo.key("channels", {"v": 0}, {}, "cpu", True)) is None
    assert memo.get(memo.key("channels", {"v": 4}, {}, "cpu", True)) == {"score": 4}
