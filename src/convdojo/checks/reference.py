"""Functional references: what each allowed layer must compute, from its own weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd, _ConvTransposeNd

from ..layer_kinds import AVGPOOL, BATCHNORMS, CONV, MAXPOOL, TRANSPOSED
from ..templates import DownBlock

__all__ = ["reference_tree", "has_tree_reference"]


_CONV_F = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T_F = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX_F = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_ADAPTIVE_F: dict[type, Callable[..., torch.Tensor]] = {
    nn.AdaptiveAvgPool1d: F.adaptive_avg_pool1d,
    nn.AdaptiveAvgPool2d: F.adaptive_avg_pool2d,
    nn.AdaptiveAvgPool3d: F.adaptive_avg_pool3d,
    nn.AdaptiveMaxPool1d: F.adaptive_max_pool1d,
    nn.AdaptiveMaxPool2d: F.adaptive_max_pool2d,
    nn.AdaptiveMaxPool3d: F.adaptive_max_pool3d}


def _conv(layer: _ConvNd, x: torch.Tensor) -> torch.Tensor:
    if layer.padding_mode != "zeros":
        pad = layer._reversed_padding_repeated_twice  # what torch pads with, per side
        x = F.pad(x, pad, mode=layer.padding_mode)
        padding: int | str | tuple[int, ...] = 0
    else:
        padding = layer.padding
    return _CONV_F[CONV[type(layer)]](x, layer.weight, layer.bias, layer.stride, padding,
                                       layer.dilation, layer.groups)


def _conv_t(layer: _ConvTransposeNd, x: torch.Tensor) -> torch.Tensor:
    # _ConvNd types padding as str | tuple; a transposed convolution refuses a string
    # (and integrity.malformed rejects one set by hand).
    padding = cast("tuple[int, ...]", layer.padding)
    return _CONV_T_F[TRANSPOSED[type(layer)]](x, layer.weight, layer.bias, layer.stride,
                                              padding, layer.output_padding,
                                              layer.groups, layer.dilation)


def _max(m: nn.MaxPool1d | nn.MaxPool2d | nn.MaxPool3d, x: torch.Tensor) -> torch.Tensor:
    return _MAX_F[MAXPOOL[type(m)]](x, m.kernel_size, m.stride, m.padding, m.dilation,
                                    ceil_mode=m.ceil_mode)


def _avg(m: nn.AvgPool1d | nn.AvgPool2d | nn.AvgPool3d, x: torch.Tensor) -> torch.Tensor:
    if AVGPOOL[type(m)] == 1:  # avg_pool1d has no divisor_override
        return F.avg_pool1d(x, m.kernel_size, m.stride, m.padding, m.ceil_mode,
                            m.count_include_pad)
    pool = cast("nn.AvgPool2d | nn.AvgPool3d", m)  # the table said 2 or 3 axes
    fn = F.avg_pool2d if AVGPOOL[type(m)] == 2 else F.avg_pool3d
    return fn(x, pool.kernel_size, pool.stride, pool.padding, pool.ceil_mode,
              pool.count_include_pad, pool.divisor_override)


def _batch_norm(m: _BatchNorm, x: torch.Tensor) -> torch.Tensor:
    return F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias, False, 0.0, m.eps)


def _adaptive(f: Callable[..., torch.Tensor]) -> Callable[[Any, torch.Tensor], torch.Tensor]:
    return lambda m, x: f(x, m.output_size)  # f bound here: mypy cannot type a lambda's default


# Each reference takes an instance of its key (dispatched on the exact type), a pairing
# mypy cannot express: hence Any.
_REFS: dict[type, Callable[[Any, torch.Tensor], torch.Tensor]] = {
    **{t: _conv for t in CONV},
    **{t: _conv_t for t in TRANSPOSED},
    **{t: _max for t in MAXPOOL},
    **{t: _avg for t in AVGPOOL},
    **{t: _adaptive(f) for t, f in _ADAPTIVE_F.items()},
    **{t: _batch_norm for t in BATCHNORMS},
    nn.Linear: lambda m, x: F.linear(x, m.weight, m.bias),
    nn.Flatten: lambda m, x: torch.flatten(x, m.start_dim, m.end_dim),
    nn.ReLU: lambda m, x: F.relu(x),
    nn.Identity: lambda m, x: x,
    **{t: (lambda m, x: F.pad(x, m.padding, value=float(m.value)))
       for t in (nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d, nn.ConstantPad1d, nn.ConstantPad3d)},
}


def _sequential(module: nn.Module, containers: tuple[type, ...], x: torch.Tensor) -> torch.Tensor:
    for child in module.children():
        x = reference_tree(child, containers, x)
    return x


# The fixed forward pass of every container an answer may use, recomputed from its children.
_CONTAINERS: dict[type, Callable[[Any, tuple[type, ...], torch.Tensor], torch.Tensor]] = {
    nn.Sequential: _sequential,
    DownBlock: lambda m, c, x: F.relu(reference_tree(m.main, c, x)
                                      + reference_tree(m.shortcut, c, x)),
}


def reference_tree(module: nn.Module, containers: tuple[type, ...],
                   x: torch.Tensor) -> torch.Tensor:
    """Recompute a module tree: containers by their fixed forward, leaves by their reference."""
    t = type(module)
    if t in containers:
        return _CONTAINERS[t](module, containers, x)
    return _REFS[t](module, x)


def has_tree_reference(module: nn.Module, containers: tuple[type, ...]) -> bool:
    """Whether every container and leaf of the tree has a reference."""
    t = type(module)
    if t in containers:
        return t in _CONTAINERS and all(has_tree_reference(c, containers)
                                        for c in module.children())
    return t in _REFS
