"""Functional references: what each allowed layer must compute, from its own weights."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..templates import DownBlock

__all__ = ["reference_tree", "has_tree_reference"]


def _conv(layer: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    if layer.padding_mode != "zeros":
        pad = layer._reversed_padding_repeated_twice  # what torch pads with, per side
        x = F.pad(x, pad, mode=layer.padding_mode)
        padding: object = 0
    else:
        padding = layer.padding
    return F.conv2d(x, layer.weight, layer.bias, layer.stride, padding, layer.dilation,
                    layer.groups)


def _conv_t(layer: nn.ConvTranspose2d, x: torch.Tensor) -> torch.Tensor:
    return F.conv_transpose2d(x, layer.weight, layer.bias, layer.stride, layer.padding,
                              layer.output_padding, layer.groups, layer.dilation)


_REFS: dict[type, Callable[[nn.Module, torch.Tensor], torch.Tensor]] = {
    nn.Conv2d: _conv,
    nn.ConvTranspose2d: _conv_t,
    nn.MaxPool2d: lambda m, x: F.max_pool2d(x, m.kernel_size, m.stride, m.padding, m.dilation,
                                            ceil_mode=m.ceil_mode),
    nn.AvgPool2d: lambda m, x: F.avg_pool2d(x, m.kernel_size, m.stride, m.padding, m.ceil_mode,
                                            m.count_include_pad, m.divisor_override),
    nn.AdaptiveAvgPool2d: lambda m, x: F.adaptive_avg_pool2d(x, m.output_size),
    nn.AdaptiveMaxPool2d: lambda m, x: F.adaptive_max_pool2d(x, m.output_size),
    nn.Linear: lambda m, x: F.linear(x, m.weight, m.bias),
    nn.Flatten: lambda m, x: torch.flatten(x, m.start_dim, m.end_dim),
    nn.ReLU: lambda m, x: F.relu(x),
    nn.Identity: lambda m, x: x,
    nn.ZeroPad2d: lambda m, x: F.pad(x, m.padding),
    nn.BatchNorm2d: lambda m, x: F.batch_norm(
        x, m.running_mean, m.running_var, m.weight, m.bias, False, 0.0, m.eps),
}


def _sequential(module: nn.Module, containers: tuple[type, ...], x: torch.Tensor) -> torch.Tensor:
    for child in module.children():
        x = reference_tree(child, containers, x)
    return x


# The fixed forward pass of every container an answer may use, recomputed from its children.
_CONTAINERS: dict[type, Callable[[nn.Module, tuple[type, ...], torch.Tensor], torch.Tensor]] = {
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
