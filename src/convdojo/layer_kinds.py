"""The ``nn`` layer families convdojo checks, each with its number of spatial dimensions.

One table, so the checks, the specs' error models and the explanations treat Conv1d,
Conv2d and Conv3d (and their pools) alike; per-axis values come from ``shapes.ntuple``.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from .shapes import ntuple

__all__ = ["CONV", "TRANSPOSED", "MAXPOOL", "AVGPOOL", "ADAPTIVE", "SPATIAL", "CONVS", "POOLS",
           "BATCHNORMS", "DIM_NAMES", "spatial_dims", "axes"]

CONV: dict[type, int] = {nn.Conv1d: 1, nn.Conv2d: 2, nn.Conv3d: 3}
TRANSPOSED: dict[type, int] = {nn.ConvTranspose1d: 1, nn.ConvTranspose2d: 2,
                               nn.ConvTranspose3d: 3}
MAXPOOL: dict[type, int] = {nn.MaxPool1d: 1, nn.MaxPool2d: 2, nn.MaxPool3d: 3}
AVGPOOL: dict[type, int] = {nn.AvgPool1d: 1, nn.AvgPool2d: 2, nn.AvgPool3d: 3}
ADAPTIVE: dict[type, int] = {nn.AdaptiveAvgPool1d: 1, nn.AdaptiveAvgPool2d: 2,
                             nn.AdaptiveAvgPool3d: 3, nn.AdaptiveMaxPool1d: 1,
                             nn.AdaptiveMaxPool2d: 2, nn.AdaptiveMaxPool3d: 3}
SPATIAL: dict[type, int] = {**CONV, **TRANSPOSED, **MAXPOOL, **AVGPOOL, **ADAPTIVE}
CONVS = tuple(CONV) + tuple(TRANSPOSED)
POOLS = tuple(MAXPOOL) + tuple(AVGPOOL)
BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
# Names of the dimensions of a batched input, by its number of dimensions.
DIM_NAMES: dict[int, tuple[str, ...]] = {3: ("N", "C", "L"), 4: ("N", "C", "H", "W"),
                                         5: ("N", "C", "T", "H", "W")}


def spatial_dims(layer: Any) -> int:
    """1, 2 or 3 for a known spatial layer (or its type); 2 for anything else."""
    cls = layer if isinstance(layer, type) else type(layer)
    return SPATIAL.get(cls, 2)


def axes(layer: nn.Module, attr: str, default: Any = None) -> tuple[int, ...]:
    """``layer.attr`` as one int per spatial axis (a pool's stride None is its kernel)."""
    value = getattr(layer, attr, default)
    if attr == "stride" and value in (None, ()):
        value = layer.kernel_size
    return ntuple(value, spatial_dims(layer), attr)
