"""Error models for value and function answers, built from the specs' own layers and references.

A value answer reports something about a layer (a ``Probe``): the error models are the
layer changes of ``error_models`` plus per-exercise ones; a function's are its reference
under the error. Nothing here restates an expected number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from ..layer_kinds import axes
from . import compute_matchers as cm
from . import matchers as m
from . import beyond_2d, pooling_strided, shape_quiz
from .error_models import rebuild
from .extras import outcome

__all__ = ["Probe", "Measure", "PROBES", "BY_NUMBERS", "probes", "FUNCTION_ERRORS", "measure"]

# What a value answer reports about its layer: see ``Probe``.
Measure = Literal["params", "weight"] | tuple[int, ...]


@dataclass(frozen=True)
class Probe:
    """A value answer's source: a layer, and what the answer reports about it.

    ``measure`` is "params", "weight" (the weight's shape) or an input shape (the output's
    shape, or the exception's name). ``extra`` are errors that are not a layer change:
    (code, the layer -> the value under that error).
    """

    make: Callable[[], nn.Module]
    measure: Measure
    extra: tuple[tuple[str, Callable[[nn.Module], Any]], ...] = ()


def measure(layer: nn.Module, what: Measure) -> Any:
    if what == "params":
        return sum(p.numel() for p in layer.parameters())
    if what == "weight":
        return tuple(_weight(layer).shape)
    return outcome(lambda: layer, what)


def _weight(layer: nn.Module) -> torch.Tensor:
    """``layer.weight`` as a tensor (an AttributeError when the layer has none)."""
    weight = layer.weight
    if not isinstance(weight, torch.Tensor):  # a submodule called "weight": no shape
        raise TypeError(f"{type(layer).__name__}.weight is {type(weight).__name__}")
    return weight


def _tf_order(layer: nn.Module) -> tuple[int, ...]:
    o, i, kh, kw = _weight(layer).shape
    return (kh, kw, i, o)


def _kernel_only(layer: nn.Module) -> int:
    kh, kw = axes(layer, "kernel_size")
    return kh * kw


def _with_buffers(layer: nn.Module) -> int:
    return measure(layer, "params") + sum(b.numel() for b in layer.buffers()
                                          if b.is_floating_point())


def _quiz_probes(**numbers: Any) -> dict[str | None, Probe]:
    items = shape_quiz.shape_items(**(numbers or shape_quiz.SHAPE_DEFAULTS))
    probes: dict[str | None, Probe] = {}
    for key, (_, make, shape) in items.items():
        probes[key] = Probe(make, tuple(shape))
    # padding='same' with a stride cannot be built: the error is believing it pads (k - 1)/2
    k, s = numbers.get("a", shape_quiz.SHAPE_DEFAULTS["a"])

    def same_strided(layer: nn.Module) -> Any:
        padded = rebuild(layer, padding=(k - 1) // 2)
        if padded is None:  # not reached: torch takes any whole padding with a stride
            raise ValueError(f"no {type(layer).__name__} with padding {(k - 1) // 2}")
        return measure(padded, (1, 3, 8, 8))

    probes["a"] = Probe(lambda: nn.Conv2d(3, 8, k, stride=s), (1, 3, 8, 8),
                        (("padding.same_strided", same_strided),))
    return probes


def _param_probes(**numbers: Any) -> dict[str | None, Probe]:
    items = shape_quiz.param_items(**(numbers or shape_quiz.PARAM_DEFAULTS))
    return {key: Probe(make, "params", (("params.buffers_counted", _with_buffers),)
                       if key == "batchnorm" else ())
            for key, (_, make) in items.items()}


def _pool_vs_conv_probes(c: int = 64, k: int = 3, h: int = 112) -> dict[str | None, Probe]:
    return {"conv_params": Probe(lambda: pooling_strided._conv(c, k), "params"),
            "pool_shape": Probe(lambda: pooling_strided._pool(k), (1, c, h, h))}


def _weight_probes(c_in: int = 3, c_out: int = 5, k: int = 5) -> dict[str | None, Probe]:
    return {None: Probe(lambda: nn.Conv2d(c_in, c_out, k), "weight", (
        ("weights.tf_order", _tf_order),
        ("weights.channels_forgotten",
         lambda layer: (layer.out_channels, *axes(layer, "kernel_size")))))}


def _count_probes(c_in: int = 3, c_out: int = 5, k: int = 5) -> dict[str | None, Probe]:
    return {None: Probe(lambda: nn.Conv2d(c_in, c_out, k), "params", (
        ("params.kernel_only", _kernel_only),))}


def _tconv_probes(c_in: int = 64, c_out: int = 32, k: int = 2) -> dict[str | None, Probe]:
    return {None: Probe(lambda: nn.ConvTranspose2d(c_in, c_out, k, stride=k), "weight",
                        (("weights.transposed_order",
                          lambda t: (t.out_channels, t.in_channels,
                                     *axes(t, "kernel_size"))),))}


PROBES: dict[str, dict[str | None, Probe]] = {
    "weight_shape": _weight_probes(),
    "param_count": _count_probes(),
    "tconv_weight_shape": _tconv_probes(),
    "pool_vs_conv": _pool_vs_conv_probes(),
    "predict_shapes": _quiz_probes(),
    "predict_params": _param_probes(),
}
# Varying value specs: their probes built with a student's numbers (``probes``).
BY_NUMBERS: dict[str, Callable[..., dict[str | None, Probe]]] = {
    "weight_shape": _weight_probes,
    "param_count": _count_probes,
    "tconv_weight_shape": _tconv_probes,
    "pool_vs_conv": _pool_vs_conv_probes,
    "predict_shapes": _quiz_probes,
    "predict_params": _param_probes,
}


def probes(spec: Any) -> dict[str | None, Probe]:
    """The probes of ``spec`` with its own numbers (a student's variant), else the fixed ones."""
    build = BY_NUMBERS.get(spec.id)
    if build is not None and spec.numbers:
        return build(**dict(spec.numbers))
    return PROBES.get(spec.id, {})


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


def _im2col_with(rows: Callable[[torch.Tensor], torch.Tensor], swap: bool) -> Callable[..., Any]:
    def mutant(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        h, wd = x.shape[2] - w.shape[2] + 1, x.shape[3] - w.shape[3] + 1
        product = rows(w) @ torch.nn.functional.unfold(x, tuple(w.shape[2:]))
        return product.view(x.shape[0], w.shape[0], *((wd, h) if swap else (h, wd)))
    return mutant


def _strided_short(x: torch.Tensor, w: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    out = cm.ref_strided(x, w, stride, padding)
    h = (x.shape[1] + 2 * padding - w.shape[2] - 1) // stride + 1
    wd = (x.shape[2] + 2 * padding - w.shape[3] - 1) // stride + 1
    return out[:, :h, :wd]


FUNCTION_ERRORS: dict[str, tuple[tuple[str, Callable[..., Any]], ...]] = {
    "conv_single": (("conv.flipped_kernel",
                     lambda x, w: cm.ref_single(x, w.flip(-1, -2))),),
    "conv_multi": (("weights.channels_forgotten", lambda x, w: cm.ref_multi(x[:1], w[:, :1])),
                   ("conv.flipped_kernel", lambda x, w: cm.ref_multi(x, w.flip(-1, -2)))),
    "conv_strided": (
        ("padding.missing", lambda x, w, s, p: cm.ref_strided(x, w, s, 0)),
        ("stride.forgotten", lambda x, w, s, p: cm.ref_strided(x, w, 1, p)),
        ("conv.positions_off_by_one", _strided_short),
        ("conv.flipped_kernel", lambda x, w, s, p: cm.ref_strided(x, w.flip(-1, -2), s, p)),
    ),
    "im2col": (
        ("layout.hw_swapped", _im2col_with(lambda w: w.flatten(1), swap=True)),
        ("im2col.weight_order",
         _im2col_with(lambda w: w.permute(0, 2, 3, 1).reshape(w.shape[0], -1), swap=False)),
    ),
    **beyond_2d.FUNCTION_ERRORS,
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
