"""Functional references: what each allowed layer must compute, from its own weights."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..layer_kinds import AVGPOOL, BATCHNORMS, CONV, MAXPOOL, TRANSPOSED
from ..templates import DownBlock

__all__ = ["reference_tree", "has_tree_reference"]


_CONV_F = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T_F = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_MAX_F = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_ADAPTIVE_F = {nn.AdaptiveAvgPool1d: F.adaptive_avg_pool1d,
               nn.AdaptiveAvgPool2d: F.adaptive_avg_pool2d,
               nn.AdaptiveAvgPool3d: F.adaptive_avg_pool3d,
               nn.AdaptiveMaxPool1d: F.adaptive_max_pool1d,
               nn.AdaptiveMaxPool2d: F.adaptive_max_pool2d,
               nn.AdaptiveMaxPool3d: F.adaptive_max_pool3d}


def _conv(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    if layer.padding_mode != "zeros":
        pad = layer._reversed_padding_repeated_twice  # what torch pads with, per side
        x = F.pad(x, pad, mode=layer.padding_mode)
        padding: object = 0
    else:
        padding = layer.padding
    return _CONV_F[CONV[type(layer)]](x, layer.weight, layer.bias, layer.stride, padding,
                                       layer.dilation, layer.groups)


def _conv_t(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return _CONV_T_F[TRANSPOSED[type(layer)]](x, layer.weight, layer.bias, layer.stride,
                                              layer.padding, layer.output_padding,
                                              layer.groups, layer.dilation)


def _max(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return _MAX_F[MAXPOOL[type(m)]](x, m.kernel_size, m.stride, m.padding, m.dilation,
                                    ceil_mode=m.ceil_mode)


def _avg(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    if AVGPOOL[type(m)] == 1:  # avg_pool1d has no divisor_override
        return F.avg_pool1d(x, m.kernel_size, m.stride, m.padding, m.ceil_mode,
                            m.count_include_pad)
    fn = F.avg_pool2d if AVGPOOL[type(m)] == 2 else F.avg_pool3d
    return fn(x, m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad,
              m.divisor_override)


def _batch_norm(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias, False, 0.0, m.eps)


_REFS: dict[type, Callable[[nn.Module, torch.Tensor], torch.Tensor]] = {
    **{t: _conv for t in CONV},
    **{t: _conv_t for t in TRANSPOSED},
    **{t: _max for t in MAXPOOL},
    **{t: _avg for t in AVGPOOL},
    **{t: (lambda m, x, f=f: f(x, m.output_size)) for t, f in _ADAPTIVE_F.items()},
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
