"""Turning layers, control text and nested numbers into ``SlidingKernel`` arguments."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Union

from . import geometry as geo

__all__ = ["shape_of", "parse_control", "json_numbers", "norm", "layer_kwargs", "show"]


def shape_of(x: Any) -> tuple[int, ...]:
    """Shape of a nested list (or tensor-like)."""
    dims: list[int] = []
    while isinstance(x, Sequence) and not isinstance(x, str):
        dims.append(len(x))
        x = x[0] if len(x) else None
    return tuple(dims)


def parse_control(name: str, text: str) -> Union[int, tuple[int, ...], str]:
    """Read a control's text: '3', '3, 2', '(3, 2)', '1, 3, 3', 'same' or 'valid'."""
    t = text.strip().strip("()[]").strip()
    if name == "padding" and t in ("same", "valid"):
        return t
    try:
        nums = [int(p) for p in t.replace(",", " ").split()]
    except ValueError:
        nums = []
    if len(nums) == 1:
        return nums[0]
    if len(nums) in (2, 3):
        return tuple(nums)
    extra = ", 'same' or 'valid'" if name == "padding" else ""
    raise ValueError(f"could not read {name} {text!r}: write an int like 3, a pair like 3, 2 "
                     f"or a triple like 1, 3, 3{extra}")


def json_numbers(x: Any) -> Any:
    """JSON has no inf/nan (max pooling over padding alone gives -inf): send them as strings JS's Number() reads."""
    if isinstance(x, dict):
        return {k: json_numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [json_numbers(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def norm(value: Any, n: int = 2) -> Any:
    """A value as one int per axis (strings as they are), to compare control and trait."""
    return value if isinstance(value, str) else geo.per_axis("value", value, n)


def layer_kwargs(layer: Any, shape: tuple[int, ...], input: Any) -> tuple[dict, str]:
    """Constructor arguments that reproduce ``layer`` on ``shape``, and why torch would refuse it."""
    import torch  # imported only here: the widget itself does not need torch

    from convdojo.layer_kinds import AVGPOOL, CONV, MAXPOOL, TRANSPOSED

    kinds = ((CONV, "conv"), (TRANSPOSED, "transposed"), (MAXPOOL, "maxpool"),
             (AVGPOOL, "avgpool"))
    found = next(((m, table[type(layer)]) for table, m in kinds if type(layer) in table), None)
    if found is None:
        raise TypeError("from_layer takes an nn.Conv1d/2d/3d, MaxPool1d/2d/3d, AvgPool1d/2d/3d "
                        f"or ConvTranspose1d/2d/3d, got {type(layer).__name__}")
    mode, n = found
    expected = getattr(layer, "in_channels", None)
    dims = shape[1:] if len(shape) == n + 2 else (
        (expected or 1,) + shape if len(shape) == n else shape)
    if len(dims) != n + 1:
        sizes = {1: "L", 2: "H, W", 3: "T, H, W"}[n]
        raise TypeError(f"input_shape must be ({sizes}), (C, {sizes}) or (N, C, {sizes}) for "
                        f"{type(layer).__name__}, got {shape}")
    c, *sizes_ = (int(d) for d in dims)
    size = tuple(sizes_)
    args: dict[str, Any] = dict(input_size=size, kernel_size=layer.kernel_size,
                                stride=layer.stride, padding=layer.padding, mode=mode,
                                in_channels=c, ceil_mode=False)
    problem = ""
    if mode in ("conv", "transposed"):
        args.update(dilation=layer.dilation, in_channels=expected, out_channels=layer.out_channels,
                    groups=layer.groups, weight=layer.weight.detach().cpu().tolist(),
                    bias=None if layer.bias is None else layer.bias.detach().cpu().tolist())
        if mode == "conv":
            args["padding_mode"] = layer.padding_mode
        else:
            args["output_padding"] = layer.output_padding
        if c != expected:
            problem = (f"{type(layer).__name__} expects inputs with {expected} channels "
                       f"(in_channels={expected}), but input_shape {shape} has {c}.")
    elif mode == "maxpool":
        args.update(dilation=layer.dilation, ceil_mode=layer.ceil_mode)
    else:
        args.update(ceil_mode=layer.ceil_mode, count_include_pad=layer.count_include_pad,
                    divisor_override=getattr(layer, "divisor_override", None))
    if input is not None:
        args["input"] = torch.as_tensor(input, dtype=torch.float32).reshape(c, *size).tolist()
    return args, problem


def show(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return str(value[0]) if len(set(value)) == 1 else ", ".join(map(str, value))
    return str(value)
