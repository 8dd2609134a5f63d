"""1-D and 3-D layers on the 2-D drawing: pure functions, no widget state.

A 1-D input (C, L) is drawn as one row: each channel becomes a 1×L plane and each kernel
a 1×k one. A 3-D input (C, T, H, W) is drawn one output frame at a time: the frames the
window reads along T (``Geometry.depth``) become planes, one per (frame, channel), so the
H×W drawing and its arithmetic are the 2-D ones, summed (or maxed, averaged) over frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

from . import geometry as geo

__all__ = ["as_plane_values", "as_plane_weight", "Planes", "frame_planes", "output_at"]


def as_plane_values(spec: geo.Spec, values: Sequence) -> list:
    """(C, L) -> (C, 1, L) for 1-D; other inputs are already what the drawing reads."""
    return [[list(row)] for row in values] if spec.dims == 1 else list(values)


def as_plane_weight(spec: geo.Spec, weight: Union[Sequence, None]) -> Union[list, None]:
    """(O, C, k) -> (O, C, 1, k) for 1-D (transposed: (C, O, k) likewise)."""
    if weight is None or spec.dims != 1:
        return None if weight is None else list(weight)
    return [[[list(k)] for k in w] for w in weight]


@dataclass(frozen=True)
class Planes:
    """What the drawing shows for one output frame of a 3-D layer."""

    frames: list[int]  # drawn T coordinate of each tap the window reads (not cut off)
    taps: list[int]  # index of that tap in the kernel's T extent
    kinds: list[int]  # geometry kind of each frame: INPUT, ZERO (transposed) or PAD
    values: list  # per frame, a (C, H, W) list the 2-D arithmetic reads


def _frame_weight(spec: geo.Spec, weight: Union[Sequence, None], tap: int) -> Union[list, None]:
    """The (.., .., kh, kw) slice of a 3-D weight that meets frame tap ``tap``."""
    if weight is None:
        return None
    if spec.mode == "transposed":  # drawn as a flipped kernel: T is flipped too
        kt = len(weight[0][0])
        return [[w[kt - 1 - tap] for w in wc] for wc in weight]
    return [[wc[tap] for wc in wo] for wo in weight]


def frame_planes(geom: geo.Geometry, values: Sequence, frame: int) -> Planes:
    """The input frames output frame ``frame`` reads, as (C, H, W) planes."""
    depth, spec = geom.depth, geom.spec
    assert depth is not None, "frame_planes is for 3-D layers"
    h, w = spec.input_size
    frames, taps, kinds, planes = [], [], [], []
    for tap, t in enumerate(depth.taps(frame)):
        kind = depth.kind(t)
        if kind == geo.OUTSIDE:  # ceil_mode's overhang, or cropped: never read
            continue
        src = depth.source(t, spec.padding_mode)
        if src >= 0:
            plane = [values[c][src] for c in range(len(values))]
        else:
            fill = 0.0 if kind == geo.ZERO else geo.pad_value(spec)
            plane = [[[fill] * w for _ in range(h)] for _ in values]
        frames.append(t)
        taps.append(tap)
        kinds.append(kind)
        planes.append(plane)
    return Planes(frames, taps, kinds, planes)


def output_at(geom: geo.Geometry, values: Sequence, weight: Union[Sequence, None],
              bias: Union[Sequence, None], step: int, out_channel: int, frame: int) -> float:
    """The output value of a 3-D layer at output frame ``frame`` and plane ``step``."""
    spec = geom.spec
    planes = frame_planes(geom, values, frame)
    parts = [geo.cell_arithmetic(geom, plane, _frame_weight(spec, weight, tap), None, step,
                                 out_channel)
             for plane, tap in zip(planes.values, planes.taps)]
    if spec.mode == "maxpool":
        return max(p.total for p in parts)
    if spec.mode == "avgpool":
        total = sum(p.channel_totals[0] for p in parts)
        if spec.divisor_override:
            return total / spec.divisor_override
        count = 0
        for p, kind in zip(parts, planes.kinds):
            if kind == geo.INPUT or spec.count_include_pad:
                count += _counted(geom, step)
        return total / count
    b = float(bias[out_channel]) if bias is not None else 0.0
    return sum(p.total for p in parts) + b


def _counted(geom: geo.Geometry, step: int) -> int:
    """Cells of the H×W window an average counts (its padding only with count_include_pad)."""
    oy, ox = geom.cell(step)
    keep = (geo.INPUT, geo.PAD) if geom.spec.count_include_pad else (geo.INPUT,)
    return sum(geom.kind(y, x) in keep for y in geom.rows.taps(oy) for x in geom.cols.taps(ox))
