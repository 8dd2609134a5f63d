"""Counted compute and memory: what torch itself counts, the reference for MAC exercises.

MACs (multiply-accumulates) are ``torch.utils.flop_counter.FlopCounterMode``'s FLOPs
halved: it counts a convolution or a matrix product as 2 FLOPs per multiply-add.
Layers it does not count (pooling, ReLU, BatchNorm) cost 0 MACs here.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["counted_macs", "conv_layer_macs", "activation_bytes"]


def counted_macs(module: nn.Module, input_shape: Sequence[int]) -> int:
    """The MACs of one forward pass of ``module`` on an input of ``input_shape``, counted."""
    x = torch.zeros(tuple(input_shape))
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(x)
    return counter.get_total_flops() // 2


def conv_layer_macs(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                    input_hw: tuple[int, int], stride: int = 1, padding: int = 0,
                    groups: int = 1, batch: int = 1) -> int:
    """MACs of ``nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
    groups=groups)`` on a (batch, in_channels, H, W) input, counted by torch."""
    layer = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, groups=groups,
                      device="meta")
    x = torch.empty(batch, in_channels, *input_hw, device="meta")
    counter = FlopCounterMode(display=False)
    with counter:
        layer(x)
    return counter.get_total_flops() // 2


def activation_bytes(module: nn.Sequential, input_shape: Sequence[int],
                     dtype: torch.dtype = torch.float32) -> int:
    """Bytes of every output a ``Sequential`` keeps for backward: the sum over its layers'
    outputs (the input excluded), measured by running it on the meta device."""
    probe = copy.deepcopy(module).to(device="meta", dtype=dtype)
    x = torch.empty(tuple(input_shape), device="meta", dtype=dtype)
    total = 0
    for layer in probe:
        x = layer(x)
        total += x.numel() * x.element_size()
    return total
