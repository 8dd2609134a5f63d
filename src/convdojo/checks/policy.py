"""The grading policy: how findings become points. Written once; every path uses it.

Self-checks, the grader's ``check(..., hidden=True)``, ``convdojo validate``, the pytest
autograder and nbgrader's test cells all call ``check``, which scores with ``verdict``.

Layer answers multiply three factors:

- the shape rule: 1; 0.5 if another input (visible or hidden) breaks it; 0.25 if the
  shown input gives the wrong shape or an error;
- the defining requirements (the constraints a spec marks ``defining``, the values a layer
  must compute, a layer that is what it says it is): 1, or 0.5 if any is broken;
- secondary slips (padding_mode, a missing bias the prompt counts, frozen weights):
  minus 10 % each.

A structural failure (wrong layer type, hooks, an overridden forward) scores 0. A function
earns its share of right cases, at most 25 % if the first (shown) case is wrong and at most
50 % if any other case is. A single value is right or wrong; a quiz earns its share of
right items. A trained network (the mini-project) earns the band of its accuracy on the
grader's own images (``ACCURACY_BANDS``), halved when it is over its parameter budget, and 0
when it is not a network of the allowed layers that gives one score per class. Scores are
rounded down to a hundredth of a point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .result import Finding

__all__ = ["SHOWN_WRONG", "RULE_BROKEN", "DEFINING_BROKEN", "SLIP", "ACCURACY_BANDS",
           "OVER_BUDGET", "Verdict", "verdict", "band", "points"]

SHOWN_WRONG = 0.25
RULE_BROKEN = 0.5
DEFINING_BROKEN = 0.5
SLIP = 0.1
# (lowest accuracy, fraction of the points): five classes, so chance is 20 %.
ACCURACY_BANDS = ((0.92, 1.0), (0.85, 0.75), (0.70, 0.5), (0.45, 0.25))
OVER_BUDGET = DEFINING_BROKEN

KINDS = ("layer", "function", "value", "quiz", "project")


@dataclass(frozen=True)
class Verdict:
    """The fraction of the points an answer earns, and why it is capped (for the feedback)."""

    fraction: float
    why: str = ""


def _failed(findings: Sequence["Finding"], *groups: str) -> list["Finding"]:
    return [f for f in findings if f.group in groups and not f.passed]


def _percent(x: float) -> str:
    return f"{x * 100:g} %"


def _layer(findings: Sequence["Finding"]) -> Verdict:
    if _failed(findings, "structure"):
        return Verdict(0.0)
    fraction, reasons = 1.0, []
    if _failed(findings, "shape"):
        fraction *= SHOWN_WRONG
        reasons.append("the shown input fails")
    elif _failed(findings, "variants"):
        fraction *= RULE_BROKEN
        reasons.append("the rule breaks on another input")
    wrong = _failed(findings, "constraints", "values")
    if any(not f.secondary for f in wrong):
        fraction *= DEFINING_BROKEN
        reasons.append("a requirement the exercise is about is not met")
    cap = fraction
    slips = sum(f.secondary for f in wrong)
    fraction *= max(0.0, 1 - SLIP * slips)
    why = f"at most {_percent(cap)} of the points, since {' and '.join(reasons)}" if reasons \
        else ""
    if slips:
        slip = f"{_percent(SLIP)} off for each secondary slip ({slips})"
        why = f"{why}; {slip}" if why else slip
    return Verdict(fraction, why[0].upper() + why[1:] + "." if why else "")


def _function(findings: Sequence["Finding"]) -> Verdict:
    if not findings:
        return Verdict(0.0)
    right = sum(f.passed for f in findings)
    share = right / len(findings)
    if _failed(findings, "shape"):
        cap, why = SHOWN_WRONG, "the first case is wrong"
    elif _failed(findings, "variants"):
        cap, why = RULE_BROKEN, "a case is wrong"
    else:
        return Verdict(1.0)
    return Verdict(min(share, cap), f"Right on {right} of {len(findings)} cases: that share of "
                   f"the points, but at most {_percent(cap)}, since {why}.")


def _share(findings: Sequence["Finding"]) -> Verdict:
    if not findings:
        return Verdict(0.0)
    return Verdict(sum(f.passed for f in findings) / len(findings))


def band(accuracy: float) -> float:
    """The fraction of the points an accuracy earns (``ACCURACY_BANDS``)."""
    return next((f for low, f in ACCURACY_BANDS if accuracy >= low), 0.0)


def _project(findings: Sequence["Finding"]) -> Verdict:
    measured = [f.value for f in findings if f.group == "values" and f.value is not None]
    if _failed(findings, "structure") or not measured:
        return Verdict(0.0)
    accuracy = min(measured)
    fraction = band(accuracy)
    low = next((lo for lo, f in ACCURACY_BANDS if f == fraction), None)
    why = (f"{accuracy:.1%} accuracy is in the band from {low:.0%}: {_percent(fraction)} of "
           "the points" if low is not None else f"{accuracy:.1%} accuracy is below every band "
           f"(the lowest starts at {ACCURACY_BANDS[-1][0]:.0%}): no points")
    if _failed(findings, "constraints"):
        fraction *= OVER_BUDGET
        why += ", halved since the network is over its parameter budget"
    return Verdict(fraction, why + ".")


def verdict(kind: str, findings: Sequence["Finding"]) -> Verdict:
    """The policy for one kind of answer: "layer", "function", "value", "quiz", "project"."""
    if kind == "project":
        return _project(findings)
    if kind == "layer":
        return _layer(findings)
    if kind == "function":
        return _function(findings)
    if kind in ("value", "quiz"):
        return _share(findings)
    raise ValueError(f"unknown kind of answer {kind!r}; one of {', '.join(KINDS)}")


def points(max_points: float, fraction: float) -> float:
    """Points for a fraction, rounded down to a hundredth so no failure rounds up to full."""
    raw = round(max_points * fraction * 100, 6)  # 0.45 * 2 is 0.8999...: not a floor of 89
    return min(math.floor(raw) / 100, max_points)
