"""Following a shape through a container answer, to say where and why it goes wrong.

``walk`` predicts each layer's output shape from the formulas (no tensors) and
stops at the first layer that cannot take what reaches it: a Linear whose
``in_features`` do not match the flattened size, a convolution with the wrong
``in_channels``, the two branches of a ``DownBlock`` that disagree. A ``Stop``
carries a ``cause`` without numbers (safe for hidden inputs) and a ``detail`` with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from ..specs.rules import Shape
from ..templates import DownBlock
from .explain import _spatial
from .structure import type_name

__all__ = ["Trail", "Stop", "walk", "why_it_fails", "shape_story", "has_templates",
           "explain_layer"]

_SAME = (nn.ReLU, nn.Identity, nn.Dropout, nn.Sigmoid, nn.Tanh, nn.LeakyReLU)
_SPATIAL = (nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
            nn.AdaptiveMaxPool2d)


@dataclass
class Trail:
    """The shape changes seen so far, and the feature map the last Flatten flattened."""

    lines: list[str] = field(default_factory=list)
    flattened: Shape | None = None

    def story(self) -> str:
        return " → ".join(self.lines)


class Stop(Exception):
    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(detail)
        self.cause = cause
        self.detail = detail


def has_templates(model: nn.Module, containers: tuple[type, ...]) -> bool:
    return any(type(m) in containers and type(m) is not nn.Sequential for m in model.modules())


def walk(module: nn.Module, shape: Shape, containers: tuple[type, ...], trail: Trail) -> Shape:
    """The output shape of ``module`` on ``shape``; appends one line per shape change."""
    t = type(module)
    if t is nn.Sequential and t in containers:
        for child in module.children():
            shape = walk(child, shape, containers, trail)
        return shape
    if t is DownBlock and t in containers:
        main, short = Trail(), Trail()
        a = walk(module.main, shape, containers, main)
        b = walk(module.shortcut, shape, containers, short)
        story = (f"main branch: {main.story() or 'unchanged'}; "
                 f"shortcut: {short.story() or 'unchanged'}")
        if a != b:
            raise Stop("the main branch and the shortcut give different shapes, so they "
                       "cannot be added",
                       f"The main branch gives {a} but the shortcut gives {b}: both must give "
                       f"the same shape to be added ({story}).")
        trail.lines.append(f"DownBlock → {a} ({story})")
        return a
    return _leaf(module, tuple(shape), trail)


def _leaf(layer: nn.Module, shape: Shape, trail: Trail) -> Shape:
    name = type_name(layer)
    if type(layer) in _SAME:
        return shape
    if type(layer) is nn.BatchNorm2d:
        if len(shape) != 4 or shape[1] != layer.num_features:
            raise Stop("a BatchNorm2d's num_features does not match the channels reaching it",
                       f"{name}({layer.num_features}) receives {shape}: num_features must "
                       "equal the channels coming in.")
        return shape
    if type(layer) in _SPATIAL:
        return _spatial_leaf(layer, shape, trail)
    if type(layer) is nn.Flatten:
        out = tuple(torch.empty(shape, device="meta").flatten(layer.start_dim, layer.end_dim).shape)
        note = (" (start_dim=0 folds the batch into the features; nn.Flatten() starts at 1)"
                if layer.start_dim == 0 else "")
        trail.lines.append(f"{name} → {out}{note}")
        trail.flattened = shape
        return out
    if type(layer) is nn.Linear:
        if not shape or shape[-1] != layer.in_features:
            got = shape[-1] if shape else 0
            f = trail.flattened
            source = (f" (= {f[1]}×{f[2]}×{f[3]}, flattened from {f})"
                      if f is not None and len(f) == 4 and f[1] * f[2] * f[3] == got else "")
            raise Stop("an nn.Linear's in_features does not match the number of features "
                       "that reach it",
                       f"{name}(in_features={layer.in_features}) receives {got} features"
                       f"{source}. in_features must equal C×H×W of the last feature map.")
        out = shape[:-1] + (layer.out_features,)
        trail.lines.append(f"{name} → {out}")
        return out
    raise LookupError(name)


def _spatial_leaf(layer: nn.Module, shape: Shape, trail: Trail) -> Shape:
    name = type_name(layer)
    if len(shape) != 4:
        raise Stop(f"a {name} receives a tensor that is not (N, C, H, W)",
                   f"{name} receives {shape}, which is not (N, C, H, W).")
    n, c, h, w = shape
    cin = getattr(layer, "in_channels", None)
    if cin is not None and cin != c:
        raise Stop("a convolution's in_channels does not match the channels reaching it",
                   f"{name} has in_channels={cin}, but {c} channels reach it: in_channels "
                   "must equal the channels coming in.")
    try:
        out_h, formula = _spatial(layer, h, 0)
        out_w, _ = _spatial(layer, w, 1)
    except ValueError as exc:
        raise Stop(f"a {name} cannot take the size that reaches it",
                   f"{name}: {exc}") from None
    out = (n, getattr(layer, "out_channels", c), out_h, out_w)
    trail.lines.append(f"{name} → {out}" + (f" [H: {formula}]" if out_h != h else ""))
    return out


def why_it_fails(model: nn.Module, containers: tuple[type, ...], shape: Shape,
                 hidden: bool) -> str:
    """The first layer that cannot take what reaches it, or '' if the formulas see none."""
    trail = Trail()
    try:
        walk(model, shape, containers, trail)
    except Stop as stop:
        if hidden:
            return f"Probably {stop.cause}."
        story = f" Shapes so far: {trail.story()}." if trail.lines else ""
        return stop.detail + story
    except LookupError:
        return ""
    return ""


def shape_story(model: nn.Module, containers: tuple[type, ...], shape: Shape) -> str:
    """'Shapes through your layers: ...' for a container whose output shape is wrong."""
    trail = Trail()
    try:
        walk(model, shape, containers, trail)
    except (Stop, LookupError):
        pass
    return f"Shapes through your layers: {trail.story()}." if trail.lines else ""


def explain_layer(layer: nn.Module, shape: Shape) -> str | None:
    """Why one layer cannot take ``shape``, with the formula and numbers; None if the
    formulas see no problem or do not know the layer."""
    try:
        _leaf(layer, tuple(shape), Trail())
    except Stop as stop:
        return stop.detail
    except LookupError:
        return None
    return None
