"""Trust nothing a layer says about itself: derive its hyperparameters from what it computes with.

A convolution's forward pass reads its weight, bias, stride, padding, dilation and groups;
``kernel_size``, ``in_channels`` and ``out_channels`` are only labels, which a student can
overwrite, and ``.weight`` can be swapped for a tensor of another size. ``malformed`` finds
values the layer cannot compute with, ``inconsistent`` labels that disagree with the weight,
and ``make_honest`` rewrites the labels of the grader's own copy from the weight, so every
later check and explanation describes the layer that actually runs. Pooling layers have no
weights: their attributes are what forward computes with.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd

from ..layer_kinds import BATCHNORMS, CONV, CONVS, MAXPOOL, POOLS, TRANSPOSED, spatial_dims
from .structure import type_name

__all__ = ["malformed", "inconsistent", "make_honest", "frozen", "REBUILD"]

LEARNABLE = CONVS + BATCHNORMS + (nn.Linear,)
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
REBUILD = ("Build the layer you mean with its constructor arguments (nn.Conv2d(in, out, kernel_size, "
           "...)) "
           "instead of changing its attributes or replacing its weight.")


def _is_int(v: Any, low: int) -> bool:
    return type(v) is int and v >= low


def _ints_of(v: Any, low: int, n: int) -> bool:
    """An int or ``n`` ints (one per spatial axis), each at least ``low``."""
    if _is_int(v, low):
        return True
    return isinstance(v, (tuple, list)) and len(v) == n and all(_is_int(x, low) for x in v)


def _per_axis(v: Any, n: int) -> tuple[int, ...]:
    return (v,) * n if isinstance(v, int) else tuple(int(x) for x in v)


def _shown(v: Any) -> str:
    text = repr(tuple(v) if isinstance(v, list) else v)
    return text if len(text) <= 60 else text[:57] + "..."


def _cannot(layer: nn.Module, attr: str, value: Any, want: str) -> str:
    return (f"{type_name(layer)}.{attr} is {_shown(value)}, which it cannot compute with "
            f"({want}). {REBUILD}")


def _tensor(layer: nn.Module, name: str) -> Any:
    return getattr(layer, name, None)


def malformed(layer: nn.Module) -> list[str]:
    """Values the layer's forward pass cannot use: each is a structural failure."""
    out: list[str] = []
    d = vars(layer)
    n = spatial_dims(layer)
    if type(layer) in CONVS:
        w = _tensor(layer, "weight")
        if not isinstance(w, torch.Tensor) or w.dim() != n + 2 or not w.is_floating_point():
            out.append(f"{type_name(layer)}.weight is not a {n + 2}-D float tensor "
                       f"({type(w).__name__}). {REBUILD}")
        b = _tensor(layer, "bias")
        if b is not None and (not isinstance(b, torch.Tensor) or b.dim() != 1):
            out.append(f"{type_name(layer)}.bias is not None or a 1-D tensor. {REBUILD}")
        for attr in ("stride", "dilation"):
            if not _ints_of(d.get(attr), 1, n):
                out.append(_cannot(layer, attr, d.get(attr), "positive whole numbers"))
        pad = d.get("padding")
        if not (_ints_of(pad, 0, n) or (type(layer) in CONV and pad in ("same", "valid"))):
            out.append(_cannot(layer, "padding", pad, "whole numbers of pixels"))
        if not _is_int(d.get("groups"), 1):
            out.append(_cannot(layer, "groups", d.get("groups"), "a positive whole number"))
        if d.get("padding_mode") not in PADDING_MODES:
            out.append(_cannot(layer, "padding_mode", d.get("padding_mode"),
                               "one of " + ", ".join(PADDING_MODES)))
        if type(layer) in TRANSPOSED and not _ints_of(d.get("output_padding"), 0, n):
            out.append(_cannot(layer, "output_padding", d.get("output_padding"),
                               "whole numbers of pixels"))
    elif type(layer) in POOLS:
        if not _ints_of(d.get("kernel_size"), 1, n):
            out.append(_cannot(layer, "kernel_size", d.get("kernel_size"),
                               "positive whole numbers"))
        stride = d.get("stride")
        if stride not in (None, ()) and not _ints_of(stride, 1, n):
            out.append(_cannot(layer, "stride", stride, "positive whole numbers"))
        if not _ints_of(d.get("padding"), 0, n):
            out.append(_cannot(layer, "padding", d.get("padding"), "whole numbers of pixels"))
        if type(layer) in MAXPOOL and not _ints_of(d.get("dilation"), 1, n):
            out.append(_cannot(layer, "dilation", d.get("dilation"), "positive whole numbers"))
        if type(d.get("ceil_mode")) is not bool:
            out.append(_cannot(layer, "ceil_mode", d.get("ceil_mode"), "True or False"))
    elif type(layer) is nn.Linear:
        w = _tensor(layer, "weight")
        if not isinstance(w, torch.Tensor) or w.dim() != 2 or not w.is_floating_point():
            out.append(f"nn.Linear.weight is not a 2-D float tensor. {REBUILD}")
    return out


def _derived_channels(layer: _ConvNd) -> tuple[int, int, tuple[int, ...]]:
    """(in_channels, out_channels, kernel_size) of a convolution, from its weight."""
    w, g = layer.weight, layer.groups
    kernel = tuple(int(k) for k in w.shape[2:])
    if type(layer) in TRANSPOSED:
        return int(w.shape[0]), int(w.shape[1]) * g, kernel
    return int(w.shape[1]) * g, int(w.shape[0]), kernel


def _same_pads(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[int, ...]:
    pads: list[int] = []
    for k, d in zip(reversed(kernel), reversed(dilation)):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


def _label(value: Any, n: int) -> Any:
    return _per_axis(value, n) if _ints_of(value, 0, n) else value


def inconsistent(layer: nn.Module) -> list[str]:
    """Labels that disagree with what the layer computes with (call after ``malformed``)."""
    out: list[str] = []
    d = vars(layer)
    if type(layer) in CONVS:
        conv = cast(_ConvNd, layer)  # type(layer) in CONVS: one of torch's convolutions
        cin, cout, k = _derived_channels(conv)
        n = len(k)
        what = "transposed convolution" if type(layer) in TRANSPOSED else "convolution"
        if _label(d.get("kernel_size"), n) != k:
            size = "×".join(map(str, k))
            out.append(f"kernel_size says {_shown(d.get('kernel_size'))} but the weight is "
                       f"{size}: the layer computes with its weight, so it is a "
                       f"{size} {what}.")
        if d.get("in_channels") != cin:
            out.append(f"in_channels says {_shown(d.get('in_channels'))} but the weight "
                       f"{tuple(conv.weight.shape)} with groups={conv.groups} takes {cin} "
                       "input channels.")
        if d.get("out_channels") != cout:
            out.append(f"out_channels says {_shown(d.get('out_channels'))} but the weight "
                       f"{tuple(conv.weight.shape)} makes {cout} output channels.")
        if type(layer) in CONV and cout % conv.groups:
            out.append(f"groups is {conv.groups}, which does not divide the {cout} output "
                       "channels of the weight.")
        b = conv.bias
        if b is not None and tuple(b.shape) != (cout,):
            out.append(f"the bias has {b.numel()} values but the weight makes {cout} output "
                       "channels.")
        if d.get("transposed") is not (type(layer) in TRANSPOSED):
            out.append(f"transposed says {_shown(d.get('transposed'))}, but this is an "
                       f"{type_name(layer)}.")
        if d.get("padding_mode") != "zeros":
            pad = d.get("padding")
            want = ((0,) * 2 * n if pad == "valid" else
                    _same_pads(k, _per_axis(conv.dilation, n)) if pad == "same" else
                    tuple(x for p in reversed(_per_axis(pad, n)) for x in (p, p)))
            got = d.get("_reversed_padding_repeated_twice")
            if not isinstance(got, (tuple, list)) or tuple(got) != want:
                out.append(f"padding says {_shown(pad)} but with padding_mode "
                           f"{d.get('padding_mode')!r} the layer pads by {_shown(got)} "
                           "(left, right, top, bottom).")
    elif type(layer) is nn.Linear:
        w = layer.weight
        if d.get("in_features") != w.shape[1] or d.get("out_features") != w.shape[0]:
            out.append(f"nn.Linear says {_shown(d.get('in_features'))} → "
                       f"{_shown(d.get('out_features'))} features but its weight "
                       f"{tuple(w.shape)} maps {w.shape[1]} → {w.shape[0]}.")
        b = layer.bias
        if b is not None and tuple(b.shape) != (w.shape[0],):
            out.append(f"nn.Linear's bias has {b.numel()} values for {w.shape[0]} outputs.")
    return out


def make_honest(layer: nn.Module) -> None:
    """Rewrite the labels of the grader's copy from what it computes with (in place)."""
    for name in ("weight", "bias"):
        value = vars(layer).get(name)
        if isinstance(value, torch.Tensor):  # a plain attribute: keep it, movable with .to()
            del layer.__dict__[name]
            layer.register_buffer(name, value)
    if type(layer) in CONVS:
        conv = cast(_ConvNd, layer)  # type(layer) in CONVS: one of torch's convolutions
        cin, cout, k = _derived_channels(conv)
        conv.in_channels, conv.out_channels, conv.kernel_size = cin, cout, k
    elif type(layer) is nn.Linear:
        layer.in_features, layer.out_features = layer.weight.shape[1], layer.weight.shape[0]
    elif type(layer) in POOLS and vars(layer).get("stride") in (None, ()):
        layer.stride = layer.kernel_size  # what forward does with stride None


def frozen(layer: nn.Module) -> list[str]:
    """Names of the layer's weights that could never learn, however they were frozen."""
    if type(layer) not in LEARNABLE:
        return []
    out = []
    for name in ("weight", "bias"):
        t = getattr(layer, name, None)
        if isinstance(t, torch.Tensor) and not (isinstance(t, nn.Parameter) and t.requires_grad):
            out.append(name)
    return out
