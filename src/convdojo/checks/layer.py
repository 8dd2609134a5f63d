"""Checking a layer answer: structure, constraints, shapes, values and liveness."""

from __future__ import annotations

import copy
import re
import functools
from typing import cast

import torch
from torch import nn

from ..specs.answers import a_type
from ..layer_kinds import DIM_NAMES
from ..specs.model import LayerSpec, Variant
from ..specs.rules import RAISES, Shape
from . import hints
from .explain import explain_dims, reconsider
from .extras import gate_findings, model_findings, target_findings
from .integrity import REBUILD, frozen, inconsistent, make_honest, malformed
from .reference import has_tree_reference, reference_tree
from .result import SEEN_ONLY, CheckResult, Finding
from .structure import attribute, leaves, tampering, type_name
from .trace import has_templates, shape_story, why_it_fails

__all__ = ["check_layer", "fits"]


def _allowed(spec: LayerSpec) -> str:
    names = [type_name(t) for t in spec.layer_types]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _structure(spec: LayerSpec, answer: nn.Module) -> tuple[list[Finding], list[nn.Module]]:
    fail: list[str] = []
    kinds = spec.layer_types + spec.container_types
    if type(answer) not in kinds:
        base = next((t for t in kinds if isinstance(answer, t)), None)
        if base is not None:
            fail.append(f"{spec.answer_name} is a {type_name(answer)}, a subclass of "
                        f"{type_name(base)}; use {type_name(base)} itself, unchanged.")
        else:
            want = (f"a single {_allowed(spec)} layer" if not spec.container_types
                    else f"{_allowed(spec)} layers")
            fail.append(f"{spec.answer_name} is a {type_name(answer)}; this exercise wants "
                        f"{want}.")
        return [Finding("structure", False, m) for m in fail], []
    layers = leaves(answer, spec.container_types)
    extra = [type_name(m) for m in layers if type(m) not in spec.layer_types]
    if extra:
        fail.append(f"{', '.join(sorted(set(extra)))} is not allowed here; use only "
                    f"{_allowed(spec)} layers.")
    if not spec.min_layers <= len(layers) <= spec.max_layers:
        want = (f"exactly {spec.min_layers}" if spec.min_layers == spec.max_layers
                else f"{spec.min_layers} to {spec.max_layers}")
        fail.append(f"the answer has {len(layers)} layers; this exercise wants {want}.")
    fail += [r[0].upper() + r[1:] + "." for r in tampering(answer)]
    return [Finding("structure", False, m) for m in fail], layers


def _constraints(spec: LayerSpec, layers: list[nn.Module]) -> list[Finding]:
    out = []
    for c in spec.constraints:
        if c.layer >= len(layers):
            continue
        value = attribute(layers[c.layer], c.attr)
        ok = c.accepts(value)
        shown = c.attr.replace("_px", "")
        out.append(Finding("constraints", ok,
                           f"{shown} is {value!r}{', as' if ok else ', but'} the prompt asks for "
                           f"{c.text}.", secondary=not c.defining))
    return out


def _honest_copy(answer: nn.Module) -> tuple[nn.Module, list[Finding]]:
    """The grader's own copy, its labels rewritten from its weights, and what disagreed.

    Hyperparameters that forward cannot compute with are structural failures; labels
    that disagree with the weights (a forged kernel_size, a swapped weight) break a
    defining requirement: the layer must be what it says it is.
    """
    model = copy.deepcopy(answer)
    broken: list[Finding] = []
    lies: list[str] = []
    for layer in model.modules():
        problems = malformed(layer)
        broken += [Finding("structure", False, text) for text in problems]
        if not problems:
            lies += inconsistent(layer)
            make_honest(layer)
    findings = broken
    if lies and not broken:
        findings = [Finding("constraints", False, " ".join(lies) + " " + REBUILD)]
    return model, findings


def _input(shape: Shape, device: torch.device, seed: int) -> torch.Tensor:
    if device.type == "meta":
        return torch.empty(shape, device=device)
    # Cloned from a cache: drawing Gaussians costs more than the convolutions here,
    # and a clone keeps an in-place layer from corrupting the cached copy.
    return _random(tuple(shape), seed).to(device, copy=True)


@functools.lru_cache(maxsize=256)
def _random(shape: Shape, seed: int) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _run(model: nn.Module, x: torch.Tensor) -> torch.Tensor | Exception:
    try:
        with torch.no_grad():
            return model(x)
    except Exception as exc:  # the student's layer may refuse the input: that is a finding
        return exc


def _with_input(model: nn.Module, v: Variant, device: torch.device,
                seed: int) -> tuple[torch.Tensor, torch.Tensor | Exception]:
    x = _input(v.input_shape, device, seed)
    return x, _run(model, x)


def _same_as_before(finding: Finding, said: set[str]) -> Finding:
    """Shorten an error already explained for an earlier input ('torch raised ...')."""
    if finding.passed or finding.hidden or " torch raised " not in finding.message:
        return finding
    where, body = finding.message.split(" torch raised ", 1)
    kind = re.sub(r"\d+", "#", body)  # the same error on another size is the same lesson
    if kind in said:
        same = "error" if body in said else "kind of error, for the same reason"
        return Finding(finding.group, False, f"{where} torch raised the same {same}.")
    said.update((kind, body))
    return finding


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _variant(spec: LayerSpec, model: nn.Module, layers: list[nn.Module], v: Variant,
             device: torch.device, seed: int) -> Finding:
    group = "shape" if v.label == "shown input" else "variants"
    want = spec.expected(v)
    got = _run(model, _input(v.input_shape, device, seed))
    where = (f"On a hidden input ({v.label})" if v.hidden
             else f"On input {tuple(v.input_shape)} ({v.label})")
    if want is RAISES:
        if isinstance(got, Exception):
            return Finding(group, True, f"{where} torch refuses, as it should.", v.hidden)
        returned = "an output" if v.hidden else f"{tuple(got.shape)}"  # hidden shapes stay hidden
        return Finding(group, False, f"{where} torch should refuse the input (it does not "
                       f"fit the layers), but your answer returned {returned}.", v.hidden)
    if isinstance(got, Exception):
        first = layers[0] if layers else None
        cin = getattr(first, "in_channels", None)
        if cin is not None and cin != v.input_shape[1]:
            msg = (f"in_channels is {cin}, but the input has {v.input_shape[1]} channels: "
                   "in_channels must equal the input's C.")
        else:
            # torch's message may quote the input's sizes: for a hidden input, only its type.
            msg = f"torch raised {type(got).__name__ if v.hidden else _first_line(got)}"
            why = why_it_fails(model, spec.container_types, tuple(v.input_shape), v.hidden)
            msg += f". {why}" if why else ""
        return Finding(group, False, f"{where} {msg}", v.hidden)
    if not isinstance(got, torch.Tensor):
        return Finding(group, False, f"{where} the layer returned {a_type(got)}, "
                       "not a tensor.", v.hidden)
    want = cast(Shape, want)  # expected() types its result as object; not RAISES: a Shape
    got_shape = tuple(got.shape)
    if got_shape == tuple(want):
        text = f"{where} the output is {got_shape}, as the rule says."
        return Finding(group, True, text, v.hidden)
    if v.hidden:
        names = DIM_NAMES.get(len(want), ())
        wrong = [n for n, g, e in zip(names, got_shape, want) if g != e]
        assert spec.rule is not None  # expected() asserted it above
        return Finding(group, False, f"{where} the output has the wrong "
                       f"{', '.join(wrong) or 'number of dimensions'} (rule: {spec.rule.text}). "
                       f"{SEEN_ONLY}", True)
    if has_templates(model, spec.container_types):
        details = [shape_story(model, spec.container_types, tuple(v.input_shape))]
    else:
        details = explain_dims(layers, tuple(v.input_shape), got_shape, tuple(want))
    return Finding(group, False, f"{where} expected {tuple(want)}, got {got_shape}. "
                   + " ".join(details), False)


def _values(model: nn.Module, layers: list[nn.Module], spec: LayerSpec,
            device: torch.device) -> list[Finding]:
    x = _input(spec.input_shape, device, seed=1)
    out: list[Finding] = []
    y = _run(model, x)
    if not isinstance(y, torch.Tensor):
        return out  # the shape findings already explain this
    if has_tree_reference(model, spec.container_types):
        with torch.no_grad():
            ref = reference_tree(model, spec.container_types, x)
        same = ref.shape == y.shape and torch.allclose(y, ref, rtol=1e-4, atol=1e-5)
        out.append(Finding("values", same,
                           "The values match the functional reference computed with your own "
                           "weights." if same else
                           "The output values differ from what the layers compute with their "
                           "own weights: something else changes the values."))
    if not y.is_floating_point():
        out.append(Finding("values", False, f"The output is {y.dtype}, not a float tensor."))
        return out
    # Perturbing one image shows both that the output depends on the input and
    # that the other images' outputs do not.
    x2 = x.clone()
    x2[0] += 1.0
    y2 = _run(model, x2)
    if isinstance(y2, torch.Tensor) and y2.shape == y.shape:
        live = not torch.equal(y2[0], y[0])
        out.append(Finding("values", live, "The output depends on the input." if live else
                           "The output did not change when the input did: it ignores x."))
        if y.shape[0] > 1:
            indep = torch.equal(y2[1:], y[1:])
            out.append(Finding("values", indep, "Each batch row is computed on its own."
                               if indep else "Changing one image changed the output of "
                               "others: batch rows must stay independent."))
    out.append(_gradients(model, x[:1]))
    return out


def _frozen(model: nn.Module) -> Finding | None:
    """One secondary finding for weights that cannot learn, whichever way they were frozen."""
    names = [f"{name + '.' if name else ''}{t}" for name, layer in model.named_modules()
             for t in frozen(layer)]
    if not names:
        return None
    return Finding("constraints", False, f"{', '.join(names)} cannot learn (frozen: "
                   "requires_grad is False, or it is not an nn.Parameter). Leave the weights as "
                   "the layer creates them.", secondary=True)


def _gradients(model: nn.Module, x: torch.Tensor) -> Finding:
    x = x.clone().requires_grad_(True)
    model.zero_grad(set_to_none=True)
    try:
        model(x).float().sum().backward()
    except Exception as exc:  # e.g. an output detached from the graph
        return Finding("values", False, f"Gradients do not flow: {_first_line(exc)}")
    # Frozen weights are reported once, by _frozen; here only trainable ones must learn.
    dead = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    if x.grad is None or not bool(x.grad.abs().sum() > 0):
        return Finding("values", False, "No gradient reaches the input: the output does not "
                       "depend on x in a differentiable way.")
    if dead:
        return Finding("values", False, f"No gradient reaches {', '.join(dead)}: those weights "
                       "could never learn.")
    return Finding("values", True, "Gradients reach the input and every weight.")


def fits(spec: LayerSpec, answer: nn.Module, device: torch.device) -> bool:
    """A necessary condition for passing: the structure, every constraint and the output
    shape of each visible input.  Cheap (no copy, no explanations, no gradients): the
    grader tries an answer on many classmates' numbers with it, and checks in full
    only where it holds."""
    findings, layers = _structure(spec, answer)
    if findings or not all(f.passed for f in _constraints(spec, layers)):
        return False
    for i, v in enumerate(spec.all_variants(False)):
        # expected() types its result as object: a Shape unless RAISES.
        want, got = spec.expected(v), _run(answer, _input(v.input_shape, device, 100 + i))
        if want is RAISES:
            if not isinstance(got, Exception):
                return False
        elif not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(cast(Shape, want)):
            return False
    return True


def check_layer(spec: LayerSpec, answer: nn.Module, device: torch.device,
                hidden: bool) -> CheckResult:
    findings, layers = _structure(spec, answer)
    if not findings:
        findings = gate_findings(spec, answer)
    if not findings:
        model, findings = _honest_copy(answer)
    if any(f.group == "structure" for f in findings):
        return CheckResult.from_findings(spec.id, spec.points, findings, on_pass=[],
                                         on_fail=[])
    layers = leaves(model, spec.container_types)
    findings += _constraints(spec, layers) + model_findings(spec, model)
    still = _frozen(model)  # a property of the layer, so judged on every device
    findings += [still] if still else []
    model = model.to(device).eval()
    layers = leaves(model, spec.container_types)
    variants = spec.all_variants(hidden)
    said: set[str] = set()
    for i, v in enumerate(variants):
        findings.append(_same_as_before(_variant(spec, model, layers, v, device, seed=100 + i),
                                        said))
    shape_failed = any(not f.passed for f in findings if f.group in ("shape", "variants"))
    on_fail: list[str] = []
    if shape_failed and len(layers) == 1:
        # expected() types its result as object; without RAISES, each is a Shape.
        cases = cast("list[tuple[Shape, Shape]]",
                     [(v.input_shape, spec.expected(v)) for v in variants
                      if spec.expected(v) is not RAISES])
        fixed = {c.attr for c in spec.constraints}
        names = reconsider(layers[0], cases, fixed)
        if names:
            on_fail.append(f"Reconsider {' or '.join(names)}: changing "
                           f"{'it' if len(names) == 1 else 'one of them'} alone can make every "
                           "size right.")
    if device.type == "meta":
        on_fail.append("Values and gradients are not checked on the meta device.")
    else:
        findings += _values(model, layers, spec, device)
        findings += target_findings(
            spec, variants, lambda v: _with_input(model, v, device, 100 + variants.index(v)))
    hint = hints.current(spec)
    if shape_failed and hint:
        on_fail.append("Hint: " + hint)
    seen = [v for v in variants if not v.hidden and v.label != "shown input"]
    n_hidden = sum(v.hidden for v in variants)
    on_pass = [f"All checks passed: the shown input {tuple(spec.input_shape)} → "
               f"{spec.target_shape}, and {len(seen)} other "
               f"{'input' if len(seen) == 1 else 'inputs'} "
               f"({'; '.join(v.label for v in seen)})."]
    if n_hidden:
        on_pass.append(f"It also passed {n_hidden} hidden inputs.")
    else:
        assert spec.rule is not None  # expected() asserted it for every variant
        on_pass.append("The grader will also test other input sizes you have not seen, so "
                       f"make sure the layer follows the rule ({spec.rule.text}) for any "
                       "input, not just this one.")
    if device.type == "meta":
        on_pass.append("Values and gradients are not checked on the meta device.")
    return CheckResult.from_findings(spec.id, spec.points, findings, on_pass=on_pass,
                                     on_fail=on_fail)
