"""Explaining a wrong shape: the formula with the student's numbers, and what to reconsider."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import cast

from torch import nn

from .. import shapes
from ..layer_kinds import ADAPTIVE, AVGPOOL, CONV, DIM_NAMES, MAXPOOL, TRANSPOSED, axes
from ..specs.rules import Shape
from .structure import type_name

__all__ = ["explain_dims", "reconsider"]


def _conv_params(layer: nn.Module, axis: int) -> dict[str, object]:
    pad = layer.padding if isinstance(layer.padding, str) else axes(layer, "padding")[axis]
    return dict(kernel_size=axes(layer, "kernel_size")[axis], stride=axes(layer, "stride")[axis],
                padding=pad, dilation=axes(layer, "dilation")[axis])


def _transposed_params(layer: nn.Module, axis: int) -> dict[str, object]:
    return {a: axes(layer, a)[axis] for a in ("kernel_size", "stride", "padding",
                                               "output_padding", "dilation")}


def _pool_params(layer: nn.Module, axis: int) -> dict[str, object]:
    """A pool's settings along one axis; AvgPool has no dilation, so none is given."""
    params: dict[str, object] = {a: axes(layer, a)[axis] for a in ("kernel_size", "stride",
                                                                    "padding")}
    params["ceil_mode"] = bool(layer.ceil_mode)
    if type(layer) in MAXPOOL:
        params["dilation"] = axes(layer, "dilation", 1)[axis]
    return params


# torch's adaptive pools (ADAPTIVE's keys): output_size is an int or one per axis, None
# keeping that axis's size.
_Adaptive = (nn.AdaptiveAvgPool1d | nn.AdaptiveAvgPool2d | nn.AdaptiveAvgPool3d
             | nn.AdaptiveMaxPool1d | nn.AdaptiveMaxPool2d | nn.AdaptiveMaxPool3d)
_Axis = tuple[Callable[..., int], dict[str, object]]

# Layer family -> its settings along one axis, PyTorch's size function and its formula text.
_FORMULAS: tuple[tuple[dict[type, int], Callable[[nn.Module, int], dict[str, object]],
                       Callable[..., int], Callable[..., str]], ...] = (
    (CONV, _conv_params, shapes.conv_out, shapes.conv_formula),
    (TRANSPOSED, _transposed_params, shapes.conv_transpose_out, shapes.conv_transpose_formula),
    (MAXPOOL, _pool_params, shapes.pool_out, shapes.pool_formula),
    (AVGPOOL, _pool_params, shapes.avgpool_out, shapes.avgpool_formula),
)


def _spatial(layer: nn.Module, size: int, axis: int) -> tuple[int, str]:
    """(output size, formula text) along one axis; raises ValueError like torch would."""
    t = type(layer)
    for table, params, out, formula in _FORMULAS:
        if t in table:
            p = params(layer, axis)
            return out(size, **p), formula(size, **p)
    if t in ADAPTIVE:
        sizes = cast(_Adaptive, layer).output_size  # t in ADAPTIVE
        out_size = sizes[axis] if isinstance(sizes, (tuple, list)) else sizes
        out_size = size if out_size is None else out_size
        return out_size, f"output_size fixes it at {out_size}"
    if t in (nn.ReLU, nn.Identity, nn.Dropout) or isinstance(layer, nn.modules.batchnorm._BatchNorm):
        return size, f"{type_name(layer)} keeps it at {size}"
    raise LookupError(type_name(layer))


def explain_dims(layers: Sequence[nn.Module], shape: Shape, got: Shape, want: Shape) -> list[str]:
    """One line per wrong dimension, with the formula filled in with the student's numbers.

    (N, C, L), (N, C, H, W) and (N, C, T, H, W) outputs are named; each spatial axis is
    traced through the layers with PyTorch's formula for that axis."""
    lines: list[str] = []
    if len(got) != len(want):
        return [f"the output has {len(got)} dimensions {tuple(got)}, but {len(want)} are "
                f"expected {tuple(want)}"]
    names = DIM_NAMES.get(len(want))
    wrong: list[str] = []
    for axis, (g, e) in enumerate(zip(got, want)):
        if g == e:
            continue
        name = names[axis] if names else f"dim {axis}"
        wrong.append(name)
        line = f"{name}: expected {e}, got {g}."
        if names and axis == 1:
            line += " out_channels of the last convolution sets how many channels come out."
        elif names and axis == 0:
            line += " The batch dimension must pass through unchanged."
        elif names:
            line += " " + _trace_axis(layers, shape[axis], axis - 2)
        lines.append(line)
    rests = {line.split(":", 1)[1] for line in lines}
    if len(lines) >= 2 and len(rests) == 1 and "N" not in wrong and "C" not in wrong:
        joined = ", ".join(wrong[:-1]) + " and " + wrong[-1]
        return [f"{joined}:{rests.pop()}"]
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


def _axis(layer: nn.Module, axis: int) -> _Axis | None:
    """The size function of a layer type and its hyperparameters along one axis."""
    t = type(layer)
    if t in CONV:
        return shapes.conv_out, _conv_params(layer, axis)
    if t in TRANSPOSED:
        return shapes.conv_transpose_out, _transposed_params(layer, axis)
    if t in AVGPOOL:
        return shapes.avgpool_out, _pool_params(layer, axis)
    if t in MAXPOOL:
        params = _pool_params(layer, axis)
        # A dilated pooling window is rare; never suggest it, but honour the layer's own.
        dilation = cast(int, params.pop("dilation"))  # from axes(): an int
        return partial(shapes.pool_out, dilation=dilation), params
    return None


def reconsider(
    layer: nn.Module,
    cases: Sequence[tuple[Shape, Shape]],
    fixed: set[str],
) -> list[str]:
    """Hyperparameters of a conv, transposed conv or pooling layer that, changed alone,
    would make every case right. Axes are independent, so each axis may take its own
    value (a per-axis tuple): stride (2, 2, 2) -> (1, 2, 2) counts as changing stride."""
    n = DIM_NAMES.get(len(cases[0][1]) if cases else 0)
    found = [_axis(layer, a) for a in range(len(n) - 2)] if n else []
    if not found or any(p is None for p in found):
        return []
    per_axis = cast("list[_Axis]", found)  # no None, as just checked
    if _all_right(_with(per_axis, "", None), cases):
        return []  # the sizes are right already: the problem lies elsewhere (channels)
    fits: list[str] = []
    for attr, values in _SEARCH.items():
        if attr not in per_axis[0][1] or attr in fixed or (
                attr == "padding" and "padding_px" in fixed):
            continue
        if all(_axis_right(_with(per_axis, "", None), cases, a) or any(
                _axis_right(_with(per_axis, attr, v), cases, a)
                for v in values) for a in range(len(per_axis))):
            fits.append(attr)
    return fits


def _with(per_axis: list[_Axis], attr: str,
          value: object) -> Callable[[int, int], int]:
    def size(n: int, axis: int) -> int:
        fn, params = per_axis[axis]
        p = dict(params)
        if attr:
            p[attr] = value
        return fn(n, **p)

    return size


def _all_right(size: Callable[[int, int], int], cases: Sequence[tuple[Shape, Shape]]) -> bool:
    return all(_axis_right(size, cases, axis) for axis in range(len(cases[0][0]) - 2))


def _axis_right(size: Callable[[int, int], int], cases: Sequence[tuple[Shape, Shape]],
                axis: int) -> bool:
    try:
        return all(size(s[axis + 2], axis) == w[axis + 2] for s, w in cases)
    except ValueError:
        return False
