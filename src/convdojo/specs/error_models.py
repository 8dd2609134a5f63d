"""Error models: what an answer would be under each known misconception, recomputed.

``convdojo.checks.diagnose`` compares a failing answer with these on every input it was
checked on. Layer errors are changes to one layer's hyperparameters (applied to the
exercise's solution); value and function errors are per exercise, built from the same
layers and references as the specs, so nothing here restates an expected number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from . import matchers as m
from . import pooling, shape_quiz
from .extras import outcome

__all__ = ["LayerError", "LAYER_ERRORS", "Probe", "PROBES", "FUNCTION_ERRORS", "rebuild",
           "measure"]

CONVS = (nn.Conv2d, nn.ConvTranspose2d)
POOLS = (nn.MaxPool2d, nn.AvgPool2d)


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def pad_of(layer: nn.Module) -> tuple[int, int] | None:
    """A layer's padding per side as (ph, pw), or None when it is asymmetric or unknown."""
    pad = getattr(layer, "padding", 0)
    if isinstance(pad, str):
        rev = getattr(layer, "_reversed_padding_repeated_twice", None)
        if not rev or rev[0] != rev[1] or rev[2] != rev[3]:
            return None
        return (int(rev[2]), int(rev[0]))
    return _pair(pad)


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
            if kind is nn.ConvTranspose2d:
                args["output_padding"] = layer.output_padding
        elif kind is nn.MaxPool2d:
            args = dict(kernel_size=layer.kernel_size, stride=layer.stride,
                        padding=layer.padding, dilation=layer.dilation,
                        ceil_mode=layer.ceil_mode)
        elif kind is nn.AvgPool2d:
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


def _alike(ref: nn.Module, student: nn.Module | None) -> bool:
    return student is not None and type(student) is type(ref)


def _own_pad(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    """Padding where the rule wants none: the solution with the student's padding."""
    if _has_pad(ref) or not _alike(ref, student):
        return None
    pad = pad_of(student)
    return rebuild(ref, padding=pad) if pad and max(pad) > 0 else None


def _other_pad(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    """Another amount of padding: the solution with the student's padding."""
    if not _has_pad(ref) or not _alike(ref, student):
        return None
    pad = pad_of(student)
    return rebuild(ref, padding=pad) if pad and max(pad) > 0 and pad != pad_of(ref) else None


def _other_kernel(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    """Another kernel size (with the padding that came with it)."""
    if type(ref) not in CONVS + POOLS or not _alike(ref, student) \
            or _pair(student.kernel_size) == _pair(ref.kernel_size):
        return None
    pad = pad_of(student)
    return rebuild(ref, kernel_size=student.kernel_size, padding=pad) if pad else None


def _their_out_channels(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    if type(ref) not in CONVS or not _alike(ref, student):
        return None
    cout = student.out_channels
    return rebuild(ref, out_channels=cout) if cout != ref.out_channels else None


def _their_output_padding(ref: nn.Module, student: nn.Module | None) -> nn.Module | None:
    if type(ref) is not nn.ConvTranspose2d or not _alike(ref, student):
        return None
    op = student.output_padding
    return rebuild(ref, output_padding=op) if _pair(op) != _pair(ref.output_padding) else None


def _double_pad(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    pad = pad_of(ref)
    return rebuild(ref, padding=(2 * pad[0], 2 * pad[1])) if _has_pad(ref) and pad else None


def _dilated(ref: nn.Module) -> tuple[int, int] | None:
    d = _pair(getattr(ref, "dilation", 1))
    return d if max(d) > 1 else None


def _pad_undilated(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    d, pad = _dilated(ref), pad_of(ref)
    return rebuild(ref, padding=(pad[0] // d[0], pad[1] // d[1])) if d and pad else None


def _undilated(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    return rebuild(ref, dilation=1) if _dilated(ref) else None


def _bigger_kernel(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    d = _dilated(ref)
    if not d or type(ref) not in CONVS:
        return None
    k = _pair(ref.kernel_size)
    return rebuild(ref, kernel_size=(d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1), dilation=1)


def _no_stride(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) not in CONVS or max(_pair(ref.stride)) < 2:
        return None
    return rebuild(ref, stride=1)


def _pool_default_stride(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) not in POOLS or _pair(ref.stride) == _pair(ref.kernel_size):
        return None
    return rebuild(ref, stride=ref.kernel_size)


def _pool_stride_one(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) not in POOLS or _pair(ref.stride) == (1, 1):
        return None
    return rebuild(ref, stride=1)


def _other_rounding(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) in POOLS:
        return rebuild(ref, ceil_mode=not ref.ceil_mode)
    if type(ref) is nn.Conv2d and max(_pair(ref.stride)) > 1:
        # ceil((L - span)/s) = floor((L - span + s - 1)/s): pad s - 1 at the end
        sh, sw = _pair(ref.stride)
        return nn.Sequential(nn.ZeroPad2d((0, sw - 1, 0, sh - 1)), rebuild(ref))
    return None


def _other_output_padding(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) is not nn.ConvTranspose2d or max(_pair(ref.stride)) < 2:
        return None
    op = _pair(ref.output_padding)
    return rebuild(ref, output_padding=(1 - min(op[0], 1), 1 - min(op[1], 1)))


def _no_bias(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    return rebuild(ref, bias=False) if getattr(ref, "bias", None) is not None else None


def _no_groups(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    return rebuild(ref, groups=1) if getattr(ref, "groups", 1) > 1 else None


def _counts_pad(ref: nn.Module, _: nn.Module | None) -> nn.Module | None:
    if type(ref) is not nn.AvgPool2d or not _has_pad(ref):
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


# --- plain values: what is measured on which layer ----------------------------------------


@dataclass(frozen=True)
class Probe:
    """A value answer's source: a layer, and what the answer reports about it.

    ``measure`` is "params", "weight" (the weight's shape) or an input shape (the output's
    shape, or the exception's name). ``extra`` are errors that are not a layer change:
    (code, the layer -> the value under that error).
    """

    make: Callable[[], nn.Module]
    measure: str | tuple[int, ...]
    extra: tuple[tuple[str, Callable[[nn.Module], Any]], ...] = ()


def measure(layer: nn.Module, what: str | tuple[int, ...]) -> Any:
    if what == "params":
        return sum(p.numel() for p in layer.parameters())
    if what == "weight":
        return tuple(layer.weight.shape)
    return outcome(lambda: layer, what)


def _lesson() -> nn.Conv2d:
    return nn.Conv2d(3, 5, 5)


def _tf_order(layer: nn.Module) -> tuple[int, ...]:
    o, i, kh, kw = layer.weight.shape
    return (kh, kw, i, o)


def _kernel_only(layer: nn.Module) -> int:
    kh, kw = layer.kernel_size
    return kh * kw


def _with_buffers(layer: nn.Module) -> int:
    return measure(layer, "params") + sum(b.numel() for b in layer.buffers()
                                          if b.is_floating_point())


def _quiz_probes() -> dict[str, Probe]:
    probes = {}
    for key, (_, make, shape) in shape_quiz.SHAPE_ITEMS.items():
        probes[key] = Probe(make, tuple(shape))
    # padding='same' with stride 2 cannot be built: the error is believing it pads (k - 1)/2
    probes["a"] = Probe(lambda: nn.Conv2d(3, 8, 3, stride=2), (1, 3, 8, 8),
                        (("padding.same_strided",
                          lambda layer: measure(rebuild(layer, padding=1), (1, 3, 8, 8))),))
    return probes


PROBES: dict[str, dict[str | None, Probe]] = {
    "weight_shape": {None: Probe(_lesson, "weight", (
        ("weights.tf_order", _tf_order),
        ("weights.channels_forgotten", lambda l: (l.out_channels, *l.kernel_size))))},
    "param_count": {None: Probe(_lesson, "params", (
        ("params.kernel_only", _kernel_only),))},
    "tconv_weight_shape": {None: Probe(lambda: nn.ConvTranspose2d(64, 32, 2, stride=2), "weight",
                                       (("weights.transposed_order",
                                         lambda l: (l.out_channels, l.in_channels,
                                                    *l.kernel_size)),))},
    "pool_vs_conv": {"conv_params": Probe(pooling._conv, "params"),
                     "pool_shape": Probe(pooling._pool, (1, 64, 112, 112))},
    "predict_shapes": dict(_quiz_probes()),
    "predict_params": {key: Probe(make, "params", (("params.buffers_counted", _with_buffers),)
                                  if key == "batchnorm" else ())
                       for key, (_, make) in shape_quiz.PARAM_ITEMS.items()},
}


# --- functions: the reference under each error ---------------------------------------------


def _params_with(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[..., Any]:
    def mutant(*args: Any, **kwargs: Any) -> int:
        return m.real_conv_params(**change(m._bound(args, kwargs)))
    return mutant


def _rf_with(change: Callable[[int, int, int], tuple[int, int, int]]) -> Callable[..., Any]:
    def mutant(layers: list) -> int:
        return m.measured_rf([change(k, s, d) for k, s, d in layers])
    return mutant


def _rf_own_stride(layers: list) -> int:
    field, jump = 1, 1
    for k, s, d in layers:
        jump *= s
        field += d * (k - 1) * jump
    return field


def _nchw_reshaped(image: np.ndarray) -> torch.Tensor:
    want = m.to_nchw(image)
    return torch.from_numpy(np.ascontiguousarray(image)).to(torch.float32).reshape(want.shape)


def _nchw_swapped(image: np.ndarray) -> torch.Tensor:
    return m.to_nchw(image).transpose(2, 3)


def _nchw_no_float(image: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(image))
    return t.permute(2, 0, 1).unsqueeze(0) if t.dim() == 3 else t.permute(0, 3, 1, 2)


def _nchw_no_batch(image: np.ndarray) -> torch.Tensor:
    want = m.to_nchw(image)
    return want[0] if np.ndim(image) == 3 else want


FUNCTION_ERRORS: dict[str, tuple[tuple[str, Callable[..., Any]], ...]] = {
    "conv_params": (
        ("params.bias_forgotten", _params_with(lambda a: {**a, "bias": False})),
        ("params.groups_forgotten", _params_with(lambda a: {**a, "groups": 1})),
        ("kernel.assumed_square",
         _params_with(lambda a: {**a, "kernel_size": m._pair(a["kernel_size"])[0]})),
    ),
    "receptive_field": (
        ("rf.stride_ignored", _rf_with(lambda k, s, d: (k, 1, d))),
        ("dilation.forgotten", _rf_with(lambda k, s, d: (k, s, 1))),
        ("rf.own_stride", _rf_own_stride),
    ),
    "channels_last": (
        ("layout.reshape_not_permute", _nchw_reshaped),
        ("layout.hw_swapped", _nchw_swapped),
        ("dtype.not_float", _nchw_no_float),
        ("layout.batch_missing", _nchw_no_batch),
    ),
}
