"""Explaining a wrong shape: the formula with the student's numbers, and what to reconsider."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial

from torch import nn

from .. import shapes
from ..vocab import pair as _pair
from ..specs.rules import Shape
from .structure import type_name

__all__ = ["explain_dims", "reconsider"]

DIM_NAMES = ("N", "C", "H", "W")


def _conv_params(layer: nn.Module, axis: int) -> dict[str, object]:
    pad = layer.padding if isinstance(layer.padding, str) else _pair(layer.padding)[axis]
    return dict(kernel_size=_pair(layer.kernel_size)[axis], stride=_pair(layer.stride)[axis],
                padding=pad, dilation=_pair(layer.dilation)[axis])


def _spatial(layer: nn.Module, size: int, axis: int) -> tuple[int, str]:
    """(output size, formula text) along one axis; raises ValueError like torch would."""
    t = type(layer)
    if t is nn.Conv2d:
        p = _conv_params(layer, axis)
        return shapes.conv_out(size, **p), shapes.conv_formula(size, **p)  # type: ignore[arg-type]
    if t is nn.ConvTranspose2d:
        q = dict(kernel_size=_pair(layer.kernel_size)[axis], stride=_pair(layer.stride)[axis],
                 padding=_pair(layer.padding)[axis],
                 output_padding=_pair(layer.output_padding)[axis],
                 dilation=_pair(layer.dilation)[axis])
        return (shapes.conv_transpose_out(size, **q),
                shapes.conv_transpose_formula(size, **q))
    if t in (nn.MaxPool2d, nn.AvgPool2d):
        k = _pair(layer.kernel_size)[axis]
        s = _pair(layer.stride if layer.stride is not None else layer.kernel_size)[axis]
        d = _pair(getattr(layer, "dilation", 1))[axis]
        p = _pair(layer.padding)[axis]
        shown = d if t is nn.MaxPool2d else None  # AvgPool2d has no dilation
        return (shapes.pool_out(size, k, s, p, d, layer.ceil_mode),
                shapes.pool_formula(size, k, s, p, shown, layer.ceil_mode))
    if t in (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d):
        out = _pair(layer.output_size)[axis]
        out = size if out is None else out
        return out, f"output_size fixes it at {out}"
    if t in (nn.ReLU, nn.Identity, nn.BatchNorm2d, nn.Dropout):
        return size, f"{type_name(layer)} keeps it at {size}"
    raise LookupError(type_name(layer))


def explain_dims(layers: Sequence[nn.Module], shape: Shape, got: Shape, want: Shape) -> list[str]:
    """One line per wrong dimension, with the formula filled in with the student's numbers."""
    lines: list[str] = []
    if len(got) != len(want):
        return [f"the output has {len(got)} dimensions {tuple(got)}, but {len(want)} are "
                f"expected {tuple(want)}"]
    for axis, (g, e) in enumerate(zip(got, want)):
        if g == e:
            continue
        name = DIM_NAMES[axis] if len(want) == 4 else f"dim {axis}"
        line = f"{name}: expected {e}, got {g}."
        if len(want) == 4 and axis == 1:
            line += " out_channels of the last convolution sets how many channels come out."
        elif len(want) == 4 and axis == 0:
            line += " The batch dimension must pass through unchanged."
        elif len(want) == 4:
            line += " " + _trace_axis(layers, shape[axis], axis - 2)
        lines.append(line)
    if len(lines) == 2 and lines[0][1:] == lines[1][1:]:
        return ["H and W" + lines[0][1:]]
    return lines


def _trace_axis(layers: Sequence[nn.Module], size: int, axis: int) -> str:
    steps = []
    for layer in layers:
        try:
            out, formula = _spatial(layer, size, axis)
        except LookupError:
            break
        except ValueError as exc:
            steps.append(f"{type_name(layer)}: {exc}")
            break
        steps.append(f"Your {type_name(layer)} gives {formula}" if len(layers) == 1
                     else f"{type_name(layer)}: {formula}")
        size = out
    return "; then ".join(steps) + "." if steps else ""


_SEARCH: dict[str, Iterable[object]] = {
    "padding": range(0, 12),
    "stride": range(1, 9),
    "kernel_size": range(1, 12),
    "dilation": range(1, 6),
    "output_padding": range(0, 8),
    "ceil_mode": (False, True),
}


def _axis(layer: nn.Module, axis: int) -> tuple[Callable[..., int], dict[str, object]] | None:
    """The size function of a layer type and its hyperparameters along one axis."""
    t = type(layer)
    if t is nn.Conv2d:
        return shapes.conv_out, _conv_params(layer, axis)
    if t is nn.ConvTranspose2d:
        return shapes.conv_transpose_out, dict(
            kernel_size=_pair(layer.kernel_size)[axis], stride=_pair(layer.stride)[axis],
            padding=_pair(layer.padding)[axis], dilation=_pair(layer.dilation)[axis],
            output_padding=_pair(layer.output_padding)[axis])
    if t in (nn.MaxPool2d, nn.AvgPool2d):
        stride = layer.stride if layer.stride is not None else layer.kernel_size
        params: dict[str, object] = dict(
            kernel_size=_pair(layer.kernel_size)[axis], stride=_pair(stride)[axis],
            padding=_pair(layer.padding)[axis], ceil_mode=bool(layer.ceil_mode))
        if t is nn.AvgPool2d:
            return shapes.avgpool_out, params
        # A dilated pooling window is rare; never suggest it, but honour the layer's own.
        return partial(shapes.pool_out, dilation=_pair(layer.dilation)[axis]), params
    return None


def reconsider(
    layer: nn.Module,
    cases: Sequence[tuple[Shape, Shape]],
    fixed: set[str],
) -> list[str]:
    """Hyperparameters of a conv, transposed conv or pooling layer that, changed alone,
    would make every case right."""
    per_axis = [_axis(layer, 0), _axis(layer, 1)]
    if per_axis[0] is None or per_axis[1] is None:
        return []
    if _all_right(_with(per_axis, "", None), cases):  # type: ignore[arg-type]
        return []  # the sizes are right already: the problem lies elsewhere (channels)
    fits: list[str] = []
    for attr, values in _SEARCH.items():
        if attr not in per_axis[0][1] or attr in fixed or (
                attr == "padding" and "padding_px" in fixed):
            continue
        if any(_all_right(_with(per_axis, attr, v), cases) for v in values):  # type: ignore[arg-type]
            fits.append(attr)
    return fits


def _with(per_axis: list[tuple[Callable[..., int], dict[str, object]]], attr: str,
          value: object) -> Callable[[int, int], int]:
    def size(n: int, axis: int) -> int:
        fn, params = per_axis[axis]
        p = dict(params)
        if attr:
            p[attr] = value
        return fn(n, **p)

    return size


def _all_right(size: Callable[[int, int], int], cases: Sequence[tuple[Shape, Shape]]) -> bool:
    try:
        return all(size(s[2], 0) == w[2] and size(s[3], 1) == w[3] for s, w in cases)
    except ValueError:
        return False
