"""Error models for layers: each misconception as a change to a solution's hyperparameters.

``convdojo.checks.diagnose`` compares a failing answer with the solution changed this way
on every input it was checked on. Value and function answers: ``value_errors``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from torch import nn

from ..layer_kinds import AVGPOOL, CONV, CONVS, MAXPOOL, POOLS, TRANSPOSED, axes, spatial_dims
from ..shapes import ntuple

__all__ = ["LayerError", "LAYER_ERRORS", "rebuild", "pad_of"]

_ZERO_PADS: dict[int, type[nn.Module]] = {1: nn.ZeroPad1d, 2: nn.ZeroPad2d, 3: nn.ZeroPad3d}


def pad_of(layer: nn.Module) -> tuple[int, ...] | None:
    """A layer's padding per side, one int per axis ((ph, pw) in 2-D), or None when it is
    asymmetric or unknown."""
    pad = getattr(layer, "padding", 0)
    if isinstance(pad, str):
        rev = getattr(layer, "_reversed_padding_repeated_twice", None)
        if not rev or any(rev[i] != rev[i + 1] for i in range(0, len(rev), 2)):
            return None
        return tuple(int(v) for v in reversed(rev[::2]))
    return ntuple(pad, spatial_dims(layer), "padding")


def rebuild(layer: nn.Module, **changes: Any) -> nn.Module | None:
    """A fresh layer of the same type with some hyperparameters changed; None if torch refuses."""
    kind = type(layer)
    try:
        if kind in CONVS:
            pad = pad_of(layer)
            if pad is None:
                return None
            args: dict[str, Any] = dict(
                in_channels=layer.in_channels, out_channels=layer.out_channels,
                kernel_size=layer.kernel_size, stride=layer.stride, padding=pad,
                dilation=layer.dilation, groups=layer.groups, bias=layer.bias is not None,
                padding_mode=layer.padding_mode)
            if kind in TRANSPOSED:
                args["output_padding"] = layer.output_padding
        elif kind in MAXPOOL:
            args = dict(kernel_size=layer.kernel_size, stride=layer.stride,
                        padding=layer.padding, dilation=layer.dilation,
                        ceil_mode=layer.ceil_mode)
        elif kind in AVGPOOL:
            args = dict(kernel_size=layer.kernel_size, stride=layer.stride,
                        padding=layer.padding, ceil_mode=layer.ceil_mode,
                        count_include_pad=layer.count_include_pad)
        else:
            return None
        return kind(**{**args, **changes})
    except (ValueError, RuntimeError, TypeError):
        return None


Change = Callable[[nn.Module, nn.Module | None], nn.Module | None]


@dataclass(frozen=True)
class LayerError:
    """One misconception as a change to a solution's layer (given the student's, if alike)."""

    code: str
    change: Change


def _has_pad(layer: nn.Module) -> bool:
    pad = pad_of(layer)
    return pad is not None and max(pad) > 0


def _no_pad(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    return rebuild(ref, padding=0) if _has_pad(ref) else None


def _alike(student: nn.Module | None, ref: nn.Module) -> TypeGuard[nn.Module]:
    """The student's layer is there and of the solution's type."""
    return student is not None and type(student) is type(ref)


def _own_pad(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    """Padding where the rule wants none: the solution with the student's padding."""
    if _has_pad(ref) or not _alike(student, ref):
        return None
    pad = pad_of(student)
    return rebuild(ref, padding=pad) if pad and max(pad) > 0 else None


def _other_pad(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    """Another amount of padding: the solution with the student's padding."""
    if not _has_pad(ref) or not _alike(student, ref):
        return None
    pad = pad_of(student)
    return rebuild(ref, padding=pad) if pad and max(pad) > 0 and pad != pad_of(ref) else None


def _other_kernel(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    """Another kernel size (with the padding that came with it)."""
    if type(ref) not in CONVS + POOLS or not _alike(student, ref) \
            or axes(student, "kernel_size") == axes(ref, "kernel_size"):
        return None
    pad = pad_of(student)
    return rebuild(ref, kernel_size=student.kernel_size, padding=pad) if pad else None


def _their_out_channels(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    if type(ref) not in CONVS or not _alike(student, ref):
        return None
    cout = student.out_channels
    return rebuild(ref, out_channels=cout) if cout != ref.out_channels else None


def _their_output_padding(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    if type(ref) not in TRANSPOSED or not _alike(student, ref):
        return None
    op = student.output_padding
    same = axes(student, "output_padding") == axes(ref, "output_padding")
    return rebuild(ref, output_padding=op) if not same else None


def _double_pad(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    pad = pad_of(ref)
    return rebuild(ref, padding=tuple(2 * p for p in pad)) if _has_pad(ref) and pad else None


def _dilated(ref: nn.Module) -> tuple[int, ...] | None:
    d = axes(ref, "dilation", 1)
    return d if max(d) > 1 else None


def _pad_undilated(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    d, pad = _dilated(ref), pad_of(ref)
    return rebuild(ref, padding=tuple(p // x for p, x in zip(pad, d))) if d and pad else None


def _undilated(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    return rebuild(ref, dilation=1) if _dilated(ref) else None


def _bigger_kernel(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    d = _dilated(ref)
    if not d or type(ref) not in CONVS:
        return None
    k = axes(ref, "kernel_size")
    return rebuild(ref, kernel_size=tuple(x * (y - 1) + 1 for x, y in zip(d, k)), dilation=1)


def _no_stride(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) not in CONVS or max(axes(ref, "stride")) < 2:
        return None
    return rebuild(ref, stride=1)


def _pool_default_stride(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) not in POOLS or axes(ref, "stride") == axes(ref, "kernel_size"):
        return None
    return rebuild(ref, stride=ref.kernel_size)


def _pool_stride_one(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) not in POOLS or max(axes(ref, "stride")) == 1:
        return None
    return rebuild(ref, stride=1)


def _other_rounding(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) in POOLS:
        return rebuild(ref, ceil_mode=not ref.ceil_mode)
    if type(ref) in CONV and max(axes(ref, "stride")) > 1:
        # ceil((L - span)/s) = floor((L - span + s - 1)/s): pad s - 1 at the end
        ends = tuple(x for s in reversed(axes(ref, "stride")) for x in (0, s - 1))
        rebuilt = rebuild(ref)
        if rebuilt is None:  # not reached: a strided convolution's padding is numeric
            return None
        return nn.Sequential(_ZERO_PADS[spatial_dims(ref)](ends), rebuilt)
    return None


def _other_output_padding(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) not in TRANSPOSED or max(axes(ref, "stride")) < 2:
        return None
    return rebuild(ref, output_padding=tuple(1 - min(o, 1) for o in axes(ref, "output_padding")))


def _no_bias(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    return rebuild(ref, bias=False) if getattr(ref, "bias", None) is not None else None


def _no_groups(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    return rebuild(ref, groups=1) if getattr(ref, "groups", 1) > 1 else None


def _counts_pad(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) not in AVGPOOL or not _has_pad(ref):
        return None
    return rebuild(ref, count_include_pad=not ref.count_include_pad)


def _their_in_channels(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    if type(ref) not in CONVS or student is None or type(student) is not type(ref):
        return None
    cin = student.in_channels
    return rebuild(ref, in_channels=cin) if cin != ref.in_channels else None


# Order matters: the first consistent error names the answer.
LAYER_ERRORS = (
    LayerError("padding.missing", _no_pad),
    LayerError("padding.total_vs_per_side", _double_pad),
    LayerError("dilation.forgotten", _pad_undilated),
    LayerError("dilation.forgotten", _undilated),
    LayerError("dilation.bigger_kernel", _bigger_kernel),
    LayerError("stride.forgotten", _no_stride),
    LayerError("stride.pool_default", _pool_default_stride),
    LayerError("stride.pool_default", _pool_stride_one),
    LayerError("rounding.floor_vs_ceil", _other_rounding),
    LayerError("transposed.output_padding", _other_output_padding),
    LayerError("pool.count_include_pad", _counts_pad),
    LayerError("params.bias_forgotten", _no_bias),
    LayerError("params.groups_forgotten", _no_groups),
    LayerError("channels.in_mismatch", _their_in_channels),
    LayerError("channels.out_mismatch", _their_out_channels),
    LayerError("transposed.output_padding", _their_output_padding),
    LayerError("padding.unneeded", _own_pad),
    LayerError("padding.miscounted", _other_pad),
    LayerError("kernel.wrong_size", _other_kernel),
)
