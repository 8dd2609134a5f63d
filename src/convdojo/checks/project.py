"""Checking a trained network: its layers, its budget, and its accuracy on fresh glyphs.

The grader (``hidden=True``) draws its images from the course secret
(``course_secret.seed(secret, assignment, exercise, "test")``): images no student had. The
self-check measures on public validation images (``spec.public_seed``). Either way the
network runs here, rebuilt from plain data when grading; nothing it says about itself
counts. Feedback gives the accuracy, its band, the confusion matrix and the budget.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .. import course_secret, glyphs
from ..specs.model import ProjectSpec
from .layer import _structure
from .policy import ACCURACY_BANDS
from .result import CheckResult, Finding

__all__ = ["check_project", "grade_seed", "confusion_lines"]


def grade_seed(spec: ProjectSpec) -> int:
    """The seed of the grader's images: from the course secret, or its fixed fallback."""
    return course_secret.seed(course_secret.load(), "mini_project", spec.id, "test")


def confusion_lines(classes: tuple[str, ...], counts: list[list[int]]) -> list[str]:
    """The confusion matrix as aligned text: one row per true class."""
    width = max(len(c) for c in classes) + 1
    head = "true \\ predicted".ljust(width + 6) + " ".join(c[:6].rjust(6) for c in classes)
    rows = [f"{c.ljust(width + 6)}" + " ".join(str(n).rjust(6) for n in row)
            for c, row in zip(classes, counts)]
    return [head] + rows


def check_project(spec: ProjectSpec, answer: nn.Module, dev: torch.device,
                  hidden: bool) -> CheckResult:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny network: one thread is fastest on a busy machine
    try:
        return _check(spec, answer, hidden)
    finally:
        torch.set_num_threads(threads)


def _check(spec: ProjectSpec, answer: nn.Module, hidden: bool) -> CheckResult:
    from ..network_trace import trace  # it imports checks' helpers: not at import time

    findings, _ = _structure(spec, answer)  # type: ignore[arg-type]  # same fields it reads
    if findings:
        return _result(spec, findings, [])
    model = copy.deepcopy(answer).to("cpu", torch.float32)
    shown = trace(model, spec.input_shape)
    want = (spec.input_shape[0], len(spec.classes))
    if shown.failure is not None or shown.output_shape != want:
        why = (shown.failure.text() if shown.failure is not None
               else f"It gives {shown.output_shape}, but one score per class is {want}.")
        return _result(spec, [Finding("structure", False, f"The network cannot classify a "
                                      f"batch of shape {spec.input_shape}. {why}")], [])
    params = shown.total_params
    findings.append(Finding(
        "constraints", params <= spec.budget,
        f"{params:,} parameters, within the budget of {spec.budget:,}." if params <= spec.budget
        else f"{params:,} parameters: over the budget of {spec.budget:,} by "
             f"{params - spec.budget:,}. Trace it to see which layers hold them."))
    seed = grade_seed(spec) if hidden else spec.public_seed
    images, labels = glyphs.make(spec.test_count, seed)
    predicted = glyphs.predict(model, images)
    accuracy = float((predicted == labels).float().mean())
    where = "the grader's glyphs (drawn for grading)" if hidden else "the validation glyphs"
    top = ACCURACY_BANDS[0][0]
    findings.append(Finding(
        "values", accuracy >= top,
        f"Accuracy {accuracy:.1%} on {spec.test_count} of {where}"
        + ("." if accuracy >= top else f"; full marks from {top:.0%}."), value=accuracy))
    matrix = ["Confusion matrix (rows: the true class; columns: what the network said):"]
    matrix += confusion_lines(spec.classes, glyphs.confusion(labels, predicted))
    return _result(spec, findings, matrix)


def _result(spec: ProjectSpec, findings: list[Finding], matrix: list[str]) -> CheckResult:
    passed = [f.message for f in findings if f.passed]
    return CheckResult.from_findings(spec.id, spec.points, findings, on_pass=passed + matrix,
                                     on_fail=passed + matrix + list(spec.hints[:1]),
                                     kind="project")
