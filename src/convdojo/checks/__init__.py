"""``check(exercise_id, answer)``: the one implementation behind self-checks and grading."""

from __future__ import annotations

import contextlib
import inspect
import io
import warnings
from typing import Any, cast

import torch
from torch import nn

from .. import freshness, specs
from ..specs.answers import a_type
from ..devices import resolve_device
from ..specs.model import FunctionSpec, LayerSpec, ProjectSpec, ValueSpec
from . import diagnose as diagnosis
from . import hints, owner, structure
from .layer import check_layer, fits
from .project import check_project
from .result import CheckResult, Finding
from .value import check_function, check_value

__all__ = ["check", "fitting", "CheckResult", "Finding", "MISSING"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _caller_value(name: str) -> Any:
    """The answer variable from the notebook (the caller's globals), or MISSING."""
    frame = inspect.currentframe()
    try:
        caller = frame.f_back.f_back if frame and frame.f_back else None
        return caller.f_globals.get(name, MISSING) if caller else MISSING
    finally:
        del frame


def check(
    exercise_id: str,
    answer: Any = MISSING,
    *,
    device: str | torch.device | None = None,
    hidden: bool = False,
    student: str | None = None,
    course: Any = None,
) -> CheckResult:
    """Check an answer against its exercise's spec and explain what is wrong.

    ``answer`` defaults to the exercise's answer variable in the caller's namespace.
    ``hidden=True`` adds the grader's hidden variants. Never writes to stderr.
    ``student``/``course`` choose whose numbers (``convdojo.specs.personal``); by default
    the notebook's own student (``convdojo.identity``), or for a hidden check the
    submission folder's.
    """
    spec = _personal(exercise_id, student, course, hidden)
    if answer is MISSING:
        answer = _caller_value(spec.answer_name)
    other = _held_for_another(spec, answer)
    if other is not None:
        return other
    result = _check(spec, answer, device, hidden)
    if hidden and student is None:  # nbgrader's test cell: compare, never trust, the typed id
        from .. import identity

        graded, typed = identity.grading(), identity.current()
        if graded.how == "folder" and typed.student and typed.student != graded.student:
            result.feedback.append(
                f"This notebook was set up for student {typed.student!r}; it is graded on the "
                f"numbers of {graded.student!r}, its submission folder.")
    return result


def fitting(exercise_id: str, answer: Any, students: list[str], course: Any, *,
            device: str | torch.device | None = None) -> list[str]:
    """Those of ``students`` on whose numbers ``answer`` could pass: structure, constraints
    and the visible inputs' shapes (values, for a value answer), with no feedback, so it
    is cheap.  A necessary condition only: the grader then checks those in full."""
    dev = resolve_device(device)
    out = []
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        for student in students:
            spec = _personal(exercise_id, student, course, False)
            try:
                if isinstance(spec, specs.LayerSpec):
                    ok = _layer_fits(spec, answer, dev)
                else:
                    ok = _dispatch(spec, answer, dev, False).status == "passed"
            except Exception:
                ok = False
            if ok:
                out.append(student)
    return out


def _layer_fits(spec: specs.LayerSpec, answer: Any, dev: torch.device) -> bool:
    if not isinstance(answer, nn.Module):
        return False
    return fits(spec, structure.lone_layer(answer, spec.layer_types, spec.container_types),
                dev)


def _check(spec: specs.Spec, answer: Any, device: str | torch.device | None,
           hidden: bool) -> CheckResult:
    if not hidden and answer is not MISSING:
        freshness.checked(spec.id, answer)  # the autograder output below may be out of date
    dev = resolve_device(device)
    # nbgrader fails a test cell that wrote to stderr, and torch likes to warn.
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()), \
            hints.progressing(spec.id, not hidden and hints.interactive()) as failed:
        warnings.simplefilter("ignore")
        try:
            lone = answer
            if isinstance(spec, specs.LayerSpec):
                lone = structure.lone_layer(answer, spec.layer_types, spec.container_types)
            unwrapped, answer = lone is not answer, lone
            answer, recorder = diagnosis.observing(spec, answer)
            result = diagnosis.diagnose(spec, answer, _dispatch(spec, answer, dev, hidden),
                                        recorder, hidden)
            failed[0] = result.status == "failed"
            if unwrapped:
                result.feedback.append(
                    f"{spec.answer_name} is an nn.Sequential holding a single "
                    f"{structure.type_name(lone)}; it is judged as that layer, which "
                    "computes the same.")
            return result
        except Exception as exc:  # the answer is untrusted; never a traceback from in here
            return CheckResult.simple(
                spec.id, spec.points, "invalid",
                f"{spec.answer_name} could not be checked: {type(exc).__name__}: {exc}",
            )


def _held_for_another(spec: specs.Spec, answer: Any) -> CheckResult | None:
    """In a kernel: refuse to judge an object last checked for another exercise."""
    if answer is MISSING or answer is None or isinstance(answer, (int, float, str, bool)) \
            or not hints.interactive():
        return None
    last = owner.holder(answer)
    owner.record(answer, spec.id if last is None else last)
    if last is None or last == spec.id:
        return None
    other = specs.get(last)
    return CheckResult.simple(
        spec.id, spec.points, "unanswered",
        f"{spec.answer_name} holds your answer to {other.title} ({other.id}), which you "
        f"checked there, not an answer to this exercise. Run this exercise's answer cell "
        f"again (it assigns {spec.answer_name}), then this check.")
def _personal(exercise_id: str, student: str | None, course: Any, hidden: bool) -> specs.Spec:
    from .. import identity
    from ..specs import personal

    specs.get(exercise_id)  # an unknown id says so before anything else
    if student is None or course is None:
        who = identity.grading() if hidden else identity.current()
        student = who.student if student is None else student
        course = who.course if course is None else course
    return personal.resolve(exercise_id, student, course, hidden)


def _dispatch(spec: specs.Spec, answer: Any, dev: torch.device, hidden: bool) -> CheckResult:
    # spec.kind names the spec's class (each class fixes it), which mypy cannot see: the casts.
    name = spec.answer_name
    if answer is MISSING:
        return CheckResult.simple(
            spec.id, spec.points, "unanswered",
            f"{name} is not defined yet: run the answer cell above (it assigns {name}).",
        )
    if answer is None:
        return CheckResult.simple(
            spec.id, spec.points, "unanswered",
            f"Not answered yet: {name} is still None. Replace None in the answer cell and run "
            "it, then run this check again.",
        )
    if spec.kind == "layer":
        problem = _not_a_layer(name, answer)
        if problem:
            return CheckResult.simple(spec.id, spec.points, "invalid", problem)
        return check_layer(cast(LayerSpec, spec), answer, dev, hidden)
    if spec.kind == "project":
        problem = _not_a_layer(name, answer)
        if problem:
            return CheckResult.simple(spec.id, spec.points, "invalid", problem)
        return check_project(cast(ProjectSpec, spec), answer, dev, hidden)
    if spec.kind == "function":
        if not callable(answer) or isinstance(answer, type):
            return CheckResult.simple(
                spec.id, spec.points, "invalid",
                f"{name} should be a function (def {name}(...): ...), got "
                f"{type(answer).__name__}.")
        return check_function(cast(FunctionSpec, spec), answer, hidden)
    return check_value(cast(ValueSpec, spec), answer)


def _not_a_layer(name: str, answer: Any) -> str | None:
    if isinstance(answer, nn.Module):
        return None
    if isinstance(answer, type) and issubclass(answer, nn.Module):
        return (f"{name} is the class {answer.__name__} itself; create a layer by calling it "
                f"with arguments, e.g. {name} = nn.{answer.__name__}(...).")
    if isinstance(answer, torch.Tensor):
        return (f"{name} is a tensor of shape {tuple(answer.shape)}, perhaps a layer's output; "
                "assign the layer itself, not what it returns.")
    return f"{name} should be a layer (an nn.Module), but it is {a_type(answer)}."
