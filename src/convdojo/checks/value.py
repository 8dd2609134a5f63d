"""Checking plain-value answers and function answers against torch's own numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..specs.answers import Rejected, a_type, kind_of
from ..specs.model import FunctionSpec, Mistake, ValueSpec
from . import hints
from .result import CheckResult, Finding

__all__ = ["check_value", "check_function", "show"]


def show(value: Any) -> str:
    """A short description: arrays and tensors by shape and dtype, not by their numbers."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None and dtype is not None and not isinstance(value, (int, float)):
        kind = "tensor" if type(value).__module__.startswith("torch") else "array"
        return f"{kind} of shape {tuple(int(d) for d in shape)}, {str(dtype).replace('torch.', '')}"
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _hint(spec: ValueSpec | FunctionSpec) -> list[str]:
    hint = hints.current(spec)
    return [hint] if hint else []


def _lesson(mistakes: tuple[Mistake, ...], value: Any) -> str | None:
    for mistake in mistakes:
        try:
            if mistake.matches(value):
                return mistake.message
        except Exception:  # a mistake matcher must never crash a check
            continue
    return None


def check_value(spec: ValueSpec, answer: Any) -> CheckResult:
    want = spec.normalize(spec.expected())
    got = spec.normalize(answer)
    if isinstance(want, dict) and isinstance(got, dict):
        return _check_dict(spec, got, want)
    if isinstance(got, Rejected) or type(got) is not type(want):
        msg = (f"{spec.answer_name}: {got.message}" if isinstance(got, Rejected) else
               f"{spec.answer_name} is {a_type(answer)} ({show(answer)}); the answer is "
               f"{kind_of(want)}.")
        return CheckResult.from_findings(spec.id, spec.points,
                                         [Finding("values", False, msg)],
                                         on_pass=[], on_fail=_hint(spec), kind="value")
    ok = got == want
    if ok:
        return CheckResult.from_findings(spec.id, spec.points,
                                         [Finding("values", True, "Right.")],
                                         on_pass=[f"Right: {got!r}."], on_fail=[], kind="value")
    lesson = _lesson(spec.mistakes, got)
    msg = f"{got!r} is not right. " + (lesson or "Check it against PyTorch's conventions.")
    return CheckResult.from_findings(spec.id, spec.points, [Finding("values", False, msg)],
                                     on_pass=[], on_fail=_hint(spec), kind="value")


def _check_dict(spec: ValueSpec, got: dict, want: dict) -> CheckResult:
    """A quiz: one finding per key, so each item earns its share of the points.

    A dict spec's mistakes are matched against ``(key, value)`` pairs.
    """
    findings = []
    for key, expected in want.items():
        if key not in got:
            findings.append(Finding("values", False, f"{key!r} is missing from "
                                    f"{spec.answer_name}; it needs an answer."))
            continue
        value = got[key]
        if value == expected and type(value) is type(expected):
            findings.append(Finding("values", True, f"{key!r}: right."))
            continue
        lesson = _lesson(spec.mistakes, (key, value))
        findings.append(Finding("values", False, f"{key!r}: {value!r} is not right. "
                                + (lesson or "Work it out with the formula, or run it.")))
    extra = sorted(str(k) for k in got if k not in want)
    on_fail = _hint(spec)
    if extra:
        on_fail.append(f"Ignored keys that are not asked for: {', '.join(extra)}.")
    return CheckResult.from_findings(spec.id, spec.points, findings,
                                     on_pass=[f"All {len(want)} answers are right."],
                                     on_fail=on_fail, kind="quiz")


def check_function(spec: FunctionSpec, answer: Callable[..., Any], hidden: bool) -> CheckResult:
    findings: list[Finding] = []
    for index, (args, kwargs, is_hidden) in enumerate(spec.cases):
        if is_hidden and not hidden:
            continue
        group = "shape" if index == 0 else "variants"  # the first case is the shown one
        call = ", ".join([show(a) for a in args] + [f"{k}={show(v)}" for k, v in kwargs.items()])
        where = "A hidden case" if is_hidden else f"{spec.answer_name}({call})"
        want = spec.reference(*args, **kwargs)
        try:
            got = answer(*args, **kwargs)
        except Exception as exc:  # the student's function failing is a finding
            # The message of an exception on a hidden case can quote the hidden input.
            detail = type(exc).__name__ if is_hidden else f"{type(exc).__name__}: {exc}"
            findings.append(Finding(group, False, f"{where} raised {detail}", is_hidden))
            continue
        ok = _safe_compare(spec, got, want)
        if ok:
            findings.append(Finding(group, True, f"{where} is right.", is_hidden))
            continue
        lesson = _lesson(spec.mistakes, (args, kwargs, got))
        text = (f"{where} gave a wrong result." if is_hidden
                else f"{where} returned {show(got)}, expected {show(want)}.")
        findings.append(Finding(group, False, text + (f" {lesson}" if lesson else ""),
                                is_hidden))
    n_hidden = sum(1 for *_, h in spec.cases if h)
    on_pass = ["Right on every case."]
    if not hidden and n_hidden:
        on_pass.append("The grader will also call it on cases you have not seen.")
    return CheckResult.from_findings(spec.id, spec.points, findings, on_pass=on_pass,
                                     on_fail=_hint(spec), kind="function")


def _safe_compare(spec: FunctionSpec, got: Any, want: Any) -> bool:
    try:
        return bool(spec.compare(got, want))
    except Exception:
        return False
