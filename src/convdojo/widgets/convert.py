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


def parse_control(name: str, text: str) -> Union[int, tuple[int, int], str]:
    """Read a control's text: '3', '3, 2', '(3, 2)', 'same' or 'valid'."""
    t = text.strip().strip("()[]").strip()
    if name == "padding" and t in ("same", "valid"):
        return t
    try:
        nums = [int(p) for p in t.replace(",", " ").split()]
    except ValueError:
        nums = []
    if len(nums) == 1:
        return nums[0]
    if len(nums) == 2:
        return nums[0], nums[1]
    extra = ", 'same' or 'valid'" if name == "padding" else ""
    raise ValueError(f"could not read {name} {text!r}: write an int like 3 or a pair like 3, 2{extra}")


def json_numbers(x: Any) -> Any:
    """JSON has no inf/nan (max pooling over padding alone gives -inf): send them as strings JS's Number() reads."""
    if isinstance(x, dict):
        return {k: json_numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [json_numbers(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    return x


def norm(value: Any) -> Any:
    return value if isinstance(value, str) else geo.pair("value", value)


def layer_kwargs(layer: Any, shape: tuple[int, ...], input: Any) -> tuple[dict, str]:
    """Constructor arguments that reproduce ``layer`` on ``shape``, and why torch would refuse it."""
    import torch  # imported only here: the widget itself does not need torch
    from torch import nn

    modes = ((nn.Conv2d, "conv"), (nn.ConvTranspose2d, "transposed"),
             (nn.MaxPool2d, "maxpool"), (nn.AvgPool2d, "avgpool"))
    mode = next((m for t, m in modes if isinstance(layer, t)), None)
    if mode is None:
        raise TypeError("from_layer takes an nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d or "
                        f"nn.ConvTranspose2d, got {type(layer).__name__}")
    expected = getattr(layer, "in_channels", None)
    dims = shape[1:] if len(shape) == 4 else ((expected or 1,) + shape if len(shape) == 2 else shape)
    if len(dims) != 3:
        raise TypeError(f"input_shape must be (H, W), (C, H, W) or (N, C, H, W), got {shape}")
    c, h, w = (int(d) for d in dims)
    args: dict[str, Any] = dict(input_size=(h, w), kernel_size=layer.kernel_size, stride=layer.stride,
                                padding=layer.padding, mode=mode, in_channels=c, ceil_mode=False)
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
                    divisor_override=layer.divisor_override)
    if input is not None:
        args["input"] = torch.as_tensor(input, dtype=torch.float32).reshape(c, h, w).tolist()
    return args, problem


def show(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return str(value[0]) if value[0] == value[1] else f"{value[0]}, {value[1]}"
    return str(value)
