"""What an answer is made of: its leaf layers, their exact types, hooks and overrides."""

from __future__ import annotations

from typing import Any

from torch import nn
from torch.nn.modules import module as _module_mod

from ..layer_kinds import BATCHNORMS, SPATIAL, spatial_dims
from ..shapes import resolve_padding
from ..templates import TEMPLATES

__all__ = ["leaves", "lone_layer", "tampering", "attribute", "type_name"]

# Taken at import, so a later monkeypatch of nn.Conv2d.forward & co. is visible.
_PRISTINE_FORWARD = {
    cls: cls.__dict__.get("forward")
    for cls in tuple(SPATIAL) + BATCHNORMS + (nn.Linear, nn.Flatten, nn.ReLU, nn.Sequential,
                                              nn.Identity, nn.ZeroPad1d, nn.ZeroPad2d,
                                              nn.ZeroPad3d, nn.ConstantPad1d,
                                              nn.ConstantPad3d, nn.Dropout) + TEMPLATES
}
_PRISTINE_CALL = nn.Module.__call__
_HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
               "_backward_pre_hooks")


def type_name(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__
    if module.startswith("torch.nn"):
        return f"nn.{cls.__name__}"
    return cls.__name__


def leaves(module: nn.Module, containers: tuple[type, ...]) -> list[nn.Module]:
    """The layers inside the allowed containers, in order."""
    if type(module) in containers:
        out: list[nn.Module] = []
        for child in module.children():
            out.extend(leaves(child, containers))
        return out
    return [module]


def lone_layer(answer: Any, layer_types: tuple[type, ...],
               containers: tuple[type, ...]) -> Any:
    """The one layer inside ``nn.Sequential(layer)`` (nested or not), where the exercise
    wants a single layer: it computes exactly what that layer computes.  Otherwise (a
    container the exercise allows, more than one child, a hook, an override, or a
    parameter of the wrapper's own) the answer itself, judged as it is."""
    inner = answer
    while type(inner) is nn.Sequential and type(inner) not in containers:
        children = list(inner.children())
        if (len(children) != 1 or any(getattr(inner, d, None) for d in _HOOK_DICTS)
                or any(callable(v) and hasattr(nn.Sequential, k) and not isinstance(v, nn.Module)
                       for k, v in vars(inner).items())
                # bool(): else mypy types the buffers' list by the parameters' (Parameter)
                or bool(list(inner.parameters(recurse=False)))
                or list(inner.buffers(recurse=False))):
            return answer
        inner = children[0]
    return inner if inner is not answer and type(inner) in layer_types else answer


def tampering(module: nn.Module) -> list[str]:
    """Reasons the module's own forward pass cannot be trusted, or []."""
    reasons: list[str] = []
    for name, sub in module.named_modules():
        where = f"{type_name(sub)} {name}".strip() if name else type_name(sub)
        if any(getattr(sub, d, None) for d in _HOOK_DICTS):
            reasons.append(f"{where} has hooks registered; remove them, hooks change what a "
                           "layer returns")
        shadowed = [k for k, v in vars(sub).items()
                    if callable(v) and hasattr(type(sub), k) and not isinstance(v, nn.Module)]
        if shadowed:
            reasons.append(f"{where} overrides {', '.join(sorted(shadowed))} on the instance; "
                           "use the layer as PyTorch defines it")
        cls = type(sub)
        if cls in _PRISTINE_FORWARD and cls.__dict__.get("forward") is not _PRISTINE_FORWARD[cls]:
            reasons.append(f"{type_name(cls)}.forward has been replaced in this kernel; restart "
                           "the kernel and run the notebook from the top")
    if nn.Module.__call__ is not _PRISTINE_CALL:
        reasons.append("nn.Module.__call__ has been replaced in this kernel; restart the kernel")
    for name in ("_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks"):
        if getattr(_module_mod, name, None):
            reasons.append("global module hooks are registered in this kernel; restart the "
                           "kernel and run the notebook from the top")
            break
    return reasons


def attribute(layer: nn.Module, attr: str) -> Any:
    """A hyperparameter, normalised: one int per spatial axis for sizes, pixels per side
    for padding."""
    if attr == "params":  # what the layer computes with, frozen weights included
        buffers = [b for n, b in layer.named_buffers() if n.rsplit(".", 1)[-1] in
                   ("weight", "bias")]
        return sum(p.numel() for p in layer.parameters()) + sum(b.numel() for b in buffers)
    if attr == "bias":
        return getattr(layer, "bias", None) is not None
    if attr == "padding_px":
        return padding_px(layer)
    value = getattr(layer, attr, None)
    if attr in ("kernel_size", "stride", "dilation", "padding", "output_padding"):
        if isinstance(value, int):
            return (value,) * spatial_dims(layer)
        if isinstance(value, (tuple, list)):
            return tuple(value)
    return value


def padding_px(layer: nn.Module) -> tuple[tuple[int, int], ...]:
    """(before, after) pixels of zero padding per spatial axis: ((top, bottom), (left,
    right)) for a 2-D layer, one pair for 1-D, three (front/back first) for 3-D."""
    pad = getattr(layer, "padding", 0)
    k = attribute(layer, "kernel_size")
    n = spatial_dims(layer)
    d = attribute(layer, "dilation") if hasattr(layer, "dilation") else (1,) * n
    if isinstance(pad, str):
        return tuple(resolve_padding(pad, k[i], 1, d[i]) for i in range(n))
    p = (pad,) * n if isinstance(pad, int) else tuple(pad)
    return tuple((x, x) for x in p)
