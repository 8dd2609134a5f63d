"""The misconception behind a failing answer, recognised by recomputation.

An answer shows misconception X when it agrees with the exercise's solution under error X
(``convdojo.specs.error_models``) on every input it was checked on: the same output
shapes or errors, the same parameter count and, for layers without weights, the same
values. Never guessed from feedback text. The code goes on the failing findings (for the
class report); the student reads only its teaching note.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..layer_kinds import ADAPTIVE, AVGPOOL, CONVS, MAXPOOL, POOLS
from ..specs import error_models as em
from ..specs import value_errors as ve
from ..specs.misconceptions import note
from ..specs.model import FunctionSpec, LayerSpec, ValueSpec
from .integrity import make_honest, malformed
from .result import CheckResult
from .structure import leaves

__all__ = ["observing", "diagnose", "Recorder", "layer_code", "value_code"]

@dataclass(frozen=True)
class Call:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    ok: bool
    value: Any  # the result, or the exception's type name


class Recorder:
    """Wraps a function answer so its calls can be compared with the error models."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self._fn = fn
        self.calls: list[Call] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            value = self._fn(*args, **kwargs)
        except Exception as exc:
            self.calls.append(Call(args, kwargs, False, type(exc).__name__))
            raise
        self.calls.append(Call(args, kwargs, True, value))
        return value


def observing(spec: Any, answer: Any) -> tuple[Any, Recorder | None]:
    """The answer to check (a function wrapped in a Recorder) and its recorder."""
    if getattr(spec, "kind", "") == "function" and callable(answer) \
            and not isinstance(answer, type):
        rec = Recorder(answer)
        return rec, rec
    return answer, None


def diagnose(spec: Any, answer: Any, result: CheckResult, recorder: Recorder | None = None,
             hidden: bool = False) -> CheckResult:
    """Set ``misconception`` on the failing findings of ``result`` and add its note."""
    if result.status != "failed":
        return result
    failing = [f for f in result.findings if not f.passed]
    try:
        codes = _codes(spec, answer, result, recorder, hidden)
    except Exception:  # a diagnosis must never cost a student their result
        return result
    for i, f in enumerate(failing):
        code = codes.get(i, codes.get(-1))
        if code:
            f.misconception = code
    named = list(dict.fromkeys(c for c in codes.values() if c))
    result.feedback += [f"To revisit: {note(c)}" for c in named if note(c)]
    return result


def _codes(spec: Any, answer: Any, result: CheckResult, recorder: Recorder | None,
           hidden: bool) -> dict[int, str | None]:
    """Codes by index among the failing findings; -1 means every failing finding."""
    if isinstance(spec, LayerSpec):
        structural = any(f.group == "structure" and not f.passed for f in result.findings)
        return {-1: layer_code(spec, answer, hidden, structural)}
    if isinstance(spec, FunctionSpec):
        return {-1: _function_code(spec, recorder.calls if recorder else [])}
    if isinstance(spec, ValueSpec):
        want, got = spec.normalize(spec.expected()), spec.normalize(answer)
        probes = ve.probes(spec)
        if not isinstance(want, dict):
            return {-1: value_code(spec, probes.get(None), got)}
        if not isinstance(got, dict):
            return {}
        codes: dict[int, str | None] = {}
        failing = [k for k, v in want.items() if not (k in got and got[k] == v
                                                      and type(got[k]) is type(v))]
        for i, key in enumerate(failing):
            if key in got:
                codes[i] = value_code(spec, probes.get(key), got[key])
        return codes
    return {}


# --- layers --------------------------------------------------------------------------------


@dataclass
class Observed:
    outcomes: tuple[Any, ...]  # per input: the output shape, or the exception's type name
    params: int
    values: torch.Tensor | None  # the shown input's output, for layers without weights

    def same(self, other: "Observed") -> bool:
        if self.outcomes != other.outcomes or self.params != other.params:
            return False
        if self.params > 0 or self.values is None or other.values is None:
            return self.params > 0 or (self.values is None and other.values is None)
        return self.values.shape == other.values.shape and bool(
            torch.allclose(self.values, other.values, atol=1e-5))


def _outcome(model: nn.Module, x: torch.Tensor) -> Any:
    try:
        with torch.no_grad():
            y = model(x)
    except Exception as exc:  # refusing an input is an observation
        return type(exc).__name__
    return tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__


def _observe(model: nn.Module, shapes: list[tuple[int, ...]]) -> Observed:
    """Shapes on the meta device (no arithmetic: fast); values, for pooling, on the CPU."""
    params = sum(p.numel() for p in model.parameters())
    try:
        meta = copy.deepcopy(model).to("meta")
    except Exception:  # a layer that cannot move: observe on the CPU
        meta = None
    outcomes = [_outcome(meta, torch.empty(s, device="meta")) for s in shapes] if meta else []
    if not meta or "NotImplementedError" in outcomes:
        outcomes = [_outcome(model, torch.zeros(s)) for s in shapes]
    values = None
    if params == 0 and shapes:
        x = torch.randn(shapes[0], generator=torch.Generator().manual_seed(100))
        with torch.no_grad():
            try:
                y = model(x)
                values = y.float() if isinstance(y, torch.Tensor) else None
            except Exception:  # the outcomes already say it refuses
                values = None
    return Observed(tuple(outcomes), params, values)


@functools.lru_cache(maxsize=64)
def _solution(spec_id: str, source: str, name: str) -> nn.Module:
    import torch.nn.functional as F

    from .. import templates

    scope: dict[str, Any] = {"torch": torch, "nn": nn, "F": F,
                             **{k: getattr(templates, k) for k in dir(templates)
                                if not k.startswith("_")}}
    exec(source, scope)  # the kit's own solution text, not the student's
    return scope[name]


def _honest(answer: nn.Module) -> nn.Module | None:
    model = copy.deepcopy(answer)
    for layer in model.modules():
        if malformed(layer):
            return None
        make_honest(layer)
    return model.cpu().eval()


_CONV = nn.modules.conv._ConvNd
_MAX = tuple(MAXPOOL) + tuple(t for t in ADAPTIVE if "Max" in t.__name__)
_AVG = tuple(AVGPOOL) + tuple(t for t in ADAPTIVE if "Avg" in t.__name__)
_ADAPTIVE = tuple(ADAPTIVE)


def _type_code(spec: LayerSpec, answer: nn.Module) -> str | None:
    """Codes for a layer of the wrong kind (torch's own classes: a student's names mean nothing)."""
    if isinstance(answer, spec.layer_types + spec.container_types):
        return None  # a subclass of the right layer: tampering, not a misconception
    if any(issubclass(t, _CONV) for t in spec.layer_types) and not isinstance(answer, _CONV):
        return "layer.not_a_convolution"
    if any(issubclass(t, _MAX + _AVG) for t in spec.layer_types):
        if type(answer) in CONVS:
            return "layer.not_a_pool"
        if type(answer) in _MAX + _AVG:
            return "layer.wrong_pool"
    return None


def _swapped_pool(ref: nn.Module, student: nn.Module) -> str | None:
    r, s = type(ref), type(student)
    if r in _ADAPTIVE and s in POOLS:
        return "pool.fixed_window"
    if (r in _MAX and s in _AVG) or (r in _AVG and s in _MAX):
        return "layer.wrong_pool"
    return None


def _replace(model: nn.Module, name: str, new: nn.Module) -> nn.Module:
    if not name:
        return new
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, new)
    return model


def _mutants(ref: nn.Module, spec: LayerSpec, student_leaves: list[nn.Module],
             error: em.LayerError) -> list[nn.Module]:
    ids = {id(m): i for i, m in enumerate(leaves(ref, spec.container_types))}
    named = [(n, m) for n, m in ref.named_modules() if id(m) in ids]
    changed = []
    for name, layer in named:
        i = ids[id(layer)]
        theirs = student_leaves[i] if len(student_leaves) == len(ids) else None
        try:
            new = error.change(layer, theirs)
        except (AttributeError, TypeError, ValueError, IndexError):  # not this kind of layer
            new = None
        if new is not None:
            changed.append((name, new))
    out = []
    for subset in ([changed] if len(changed) > 1 else []) + [[c] for c in changed]:
        model = copy.deepcopy(ref)
        for name, new in subset:
            model = _replace(model, name, copy.deepcopy(new))
        out.append(model.eval())
    return out


def layer_code(spec: LayerSpec, answer: Any, hidden: bool, structural: bool) -> str | None:
    """The misconception a failing layer answer shows, or None."""
    if not isinstance(answer, nn.Module):
        return None
    ref = _solution(spec.id, spec.solution, spec.answer_name)
    if type(answer) not in spec.layer_types + spec.container_types:
        return _type_code(spec, answer)
    if structural:
        return None  # hooks, subclasses, overridden forward: not a misconception
    student = _honest(answer)
    if student is None:
        return None
    if type(ref) in spec.layer_types:
        swapped = _swapped_pool(ref, student)
        if swapped:
            return swapped
    shapes = [tuple(v.input_shape) for v in spec.all_variants(hidden)]
    seen = _observe(student, shapes)
    if seen.same(_observe(ref, shapes)):
        return None  # what recomputation sees is right (a causal stack padded on both sides)
    theirs = leaves(student, spec.container_types)
    for error in em.LAYER_ERRORS:
        if any(_observe(m, shapes).same(seen) for m in _mutants(ref, spec, theirs, error)):
            return error.code
    right = _observe(ref, shapes).outcomes
    if seen.outcomes[0] == right[0] and seen.outcomes != right:
        return "size.hard_coded"
    return None


# --- values and functions ------------------------------------------------------------------


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, torch.Tensor) or isinstance(got, torch.Tensor):
        if not (isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor)
                and got.dtype == want.dtype and got.shape == want.shape):
            return False
        got = got.detach().cpu()
        if got.is_floating_point():  # sums in another order (loops) round differently
            return bool(torch.allclose(got, want, atol=1e-4, rtol=1e-4))
        return torch.equal(got, want)
    return type(got) is type(want) and got == want


def value_code(spec: ValueSpec, probe: ve.Probe | None, got: Any) -> str | None:
    """The misconception a wrong value (or quiz item) shows, or None."""
    if probe is None:
        return None
    ref = probe.make()
    # partial binds each loop's values (mypy cannot type a lambda's default argument).
    candidates: list[tuple[str, Callable[[], Any]]] = [
        (code, functools.partial(fn, ref)) for code, fn in probe.extra]
    for error in em.LAYER_ERRORS:
        new = error.change(ref, None)
        if new is not None:
            candidates.append((error.code, functools.partial(ve.measure, new, probe.measure)))
    for code, value in candidates:
        try:
            if _same(got, spec.normalize(value())):
                return code
        except Exception:  # an error model that does not apply to this layer
            continue
    return None


def _function_code(spec: FunctionSpec, calls: list[Call]) -> str | None:
    if not calls:
        return None
    for code, mutant in ve.FUNCTION_ERRORS.get(spec.id, ()):
        if all(_agrees(mutant, c) for c in calls):
            return code
    return None


def _agrees(mutant: Callable[..., Any], call: Call) -> bool:
    try:
        want = mutant(*call.args, **call.kwargs)
    except Exception as exc:
        return not call.ok and type(exc).__name__ == call.value
    return call.ok and _same(call.value, want)
