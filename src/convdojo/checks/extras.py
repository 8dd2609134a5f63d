"""Checks that specs with ``model_checks`` or ``targets`` ask for (see specs.extras).

Specs without them are unaffected: every function here returns [] for a plain LayerSpec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

import torch
from torch import nn

from ..specs.model import LayerSpec, Variant
from ..specs.rules import RAISES, Shape
from .result import Finding

__all__ = ["gate_findings", "model_findings", "target_findings"]

Run = Callable[[Variant], "tuple[torch.Tensor, torch.Tensor | Exception]"]


def _model_checks(spec: LayerSpec, gate: bool) -> Iterable:
    return [c for c in getattr(spec, "model_checks", ()) if c.gate == gate]


def _test(check, model: nn.Module) -> tuple[bool, str]:
    try:
        ok, message = check.test(model)
        return bool(ok), str(message)
    except Exception as exc:  # an odd answer must not crash the check
        return False, f"Could not check {check.text}: {type(exc).__name__}: {exc}"


def gate_findings(spec: LayerSpec, model: nn.Module) -> list[Finding]:
    """Failed structural gates (e.g. 'the answer is a DownBlock'): each zeroes the score."""
    out = []
    for check in _model_checks(spec, gate=True):
        ok, message = _test(check, model)
        if not ok:
            out.append(Finding("structure", False, message))
    return out


def model_findings(spec: LayerSpec, model: nn.Module) -> list[Finding]:
    """Whole-model constraints, such as a measured receptive field."""
    return [Finding("constraints", *_test(check, model), secondary=not check.defining)
            for check in _model_checks(spec, gate=False)]


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.float(), b.float(), rtol=1e-4, atol=1e-5)


def target_findings(spec: LayerSpec, variants: Iterable[Variant], run: Run) -> list[Finding]:
    """One finding per target: right on every input whose output shape is right, or why not."""
    targets = getattr(spec, "targets", ())
    if not targets:
        return []
    runs = []
    for v in variants:
        if spec.expected(v) is RAISES:
            continue
        x, y = run(v)
        # expected() types its result as object: here a Shape, not RAISES.
        if isinstance(y, torch.Tensor) and tuple(y.shape) == tuple(cast(Shape, spec.expected(v))):
            runs.append((v, x, y))
    out = []
    for target in targets:
        failure = None
        for v, x, y in runs:
            with torch.no_grad():
                want = target.expected(x)
            if _close(y, want):
                continue
            lesson = next((text for fn, text in target.mistakes if _matches(fn, x, y)), "")
            where = (f"On a hidden input ({v.label})" if v.hidden
                     else f"On input {tuple(v.input_shape)} ({v.label})")
            failure = Finding("values", False,
                              f"{where} the values are not {target.text}. "
                              + (lesson or "Check which values your layer combines."), v.hidden)
            break
        out.append(failure or Finding("values", True, f"The values are {target.text}."))
    return out


def _matches(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
             y: torch.Tensor) -> bool:
    try:
        with torch.no_grad():
            return _close(y, fn(x))
    except Exception:  # a mistake recogniser that does not apply
        return False
