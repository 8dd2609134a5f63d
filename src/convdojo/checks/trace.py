"""Following a shape through a container answer, to say where and why it goes wrong.

``walk`` predicts each layer's output shape from the formulas (no tensors) and
stops at the first layer that cannot take what reaches it: a Linear whose
``in_features`` do not match the flattened size, a convolution with the wrong
``in_channels``, the two branches of a ``DownBlock`` that disagree. A ``Stop``
carries a ``cause`` without numbers (safe for hidden inputs) and a ``detail`` with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import torch
from torch import nn
from torch.nn.modules.padding import _ConstantPadNd

from ..specs.answers import with_article
from ..layer_kinds import BATCHNORMS, DIM_NAMES, SPATIAL
from ..specs.rules import Shape
from ..templates import DownBlock
from .explain import _spatial
from .structure import type_name

__all__ = ["Trail", "Stop", "walk", "why_it_fails", "shape_story", "has_templates",
           "explain_layer"]

_SAME = (nn.ReLU, nn.Identity, nn.Dropout, nn.Sigmoid, nn.Tanh, nn.LeakyReLU)
_PADS = (nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d, nn.ConstantPad1d, nn.ConstantPad3d)


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
        block = cast(DownBlock, module)  # t is DownBlock
        main, short = Trail(), Trail()
        a = walk(block.main, shape, containers, main)
        b = walk(block.shortcut, shape, containers, short)
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
    if type(layer) in BATCHNORMS:
        if len(shape) < 2 or shape[1] != layer.num_features:
            raise Stop(f"a {name}'s num_features does not match the channels reaching it",
                       f"{name}({layer.num_features}) receives {shape}: num_features must "
                       "equal the channels coming in.")
        return shape
    if type(layer) in SPATIAL:
        return _spatial_leaf(layer, shape, trail)
    if type(layer) in _PADS:
        # (left, right) of the last axis first, as F.pad takes them; _PADS are all
        # constant pads (a zero pad is one).
        pads = cast(_ConstantPadNd, layer).padding
        sizes = list(shape)
        for i in range(len(pads) // 2):
            sizes[-1 - i] += pads[2 * i] + pads[2 * i + 1]
        trail.lines.append(f"{name} → {tuple(sizes)}")
        return tuple(sizes)
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
    n_axes = SPATIAL[type(layer)]
    names = DIM_NAMES[n_axes + 2]
    if len(shape) != n_axes + 2:
        layout = f"({', '.join(names)})"
        raise Stop(f"{with_article(name)} receives a tensor that is not {layout}",
                   f"{name} receives {shape}, which is not {layout}.")
    n, c, *sizes = shape
    cin = getattr(layer, "in_channels", None)
    if cin is not None and cin != c:
        raise Stop("a convolution's in_channels does not match the channels reaching it",
                   f"{name} has in_channels={cin}, but {c} channels reach it: in_channels "
                   "must equal the channels coming in.")
    outs, notes = [], []
    try:
        for axis, size in enumerate(sizes):
            out_size, formula = _spatial(layer, size, axis)
            outs.append(out_size)
            if out_size != size:
                notes.append(f"{names[axis + 2]}: {formula}")
    except ValueError as exc:
        raise Stop(f"{with_article(name)} cannot take the size that reaches it",
                   f"{name}: {exc}") from None
    out = (n, getattr(layer, "out_channels", c), *outs)
    trail.lines.append(f"{name} → {out}" + (f" [{notes[0]}]" if notes else ""))
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
