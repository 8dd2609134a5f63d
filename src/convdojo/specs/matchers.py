"""Mistake recognisers, model checks and references for the modern_convs and stacking specs.

Each mistake matcher takes what ``check`` passes it: ``(args, kwargs, result)`` for a
function answer. Each model check takes the answer's module tree and returns
``(ok, message)``. References run real torch layers.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..templates import DownBlock
from ..vocab import pair as _pair
from .answers import a_type
from .extras import convs, measure_receptive_field
from .rules import RAISES

__all__ = [
    "real_conv_params", "params_if", "square_kernel",
    "to_nchw", "same_tensor", "arange_image", "random_image", "reshaped", "swapped_hw",
    "wrong_dtype", "no_batch", "scaled",
    "PLAN", "lenet_plan", "lenet_convs", "lenet_rule", "flatten_shapes",
    "measured_rf", "no_jump", "no_dilation", "own_stride", "rf_is", "rf_is_11", "only_3x3",
    "is_downblock", "main_convs_for", "main_convs", "shortcut_1x1",
]


# --- parameter counting (modern_convs) ----------------------------------------------------


def counted_params(cls: type, *args: Any, **kwargs: Any) -> int:
    """What a real layer of ``cls`` with these arguments counts (built on the meta device)."""
    layer = cls(*args, **kwargs, device="meta")
    return sum(p.numel() for p in layer.parameters())


def real_conv_params(in_channels: int, out_channels: int, kernel_size: Any,
                     bias: bool = True, groups: int = 1) -> int:
    """What a real nn.Conv2d with these arguments counts."""
    return counted_params(nn.Conv2d, in_channels, out_channels, kernel_size, bias=bias,
                          groups=groups)


def bound(fn: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """A call's arguments by name, defaults filled in (to recompute it with one changed)."""
    b = inspect.signature(fn).bind(*args, **kwargs)
    b.apply_defaults()
    return dict(b.arguments)


def _bound(args: tuple, kwargs: dict) -> dict[str, Any]:
    return bound(real_conv_params, args, kwargs)


def params_if(change: dict[str, Any]) -> Callable[[tuple], bool]:
    """A matcher: the result equals the count with some arguments changed (a mistake)."""
    def matches(case: tuple) -> bool:
        args, kwargs, got = case
        a = _bound(args, kwargs)
        b = {**a, **change}
        return a != b and got == real_conv_params(**b)
    return matches


def square_kernel(case: tuple) -> bool:
    args, kwargs, got = case
    a = _bound(args, kwargs)
    kh, kw = _pair(a["kernel_size"])
    if kh == kw:
        return False
    return got in (real_conv_params(**{**a, "kernel_size": kh}),
                   real_conv_params(**{**a, "kernel_size": kw}))


# --- channels-last (stacking) ------------------------------------------------------------


def to_nchw(image: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(image))
    t = t.permute(2, 0, 1).unsqueeze(0) if t.dim() == 3 else t.permute(0, 3, 1, 2)
    return t.to(torch.float32)


def same_tensor(got: Any, want: torch.Tensor) -> bool:
    return (isinstance(got, torch.Tensor) and got.dtype == torch.float32
            and got.shape == want.shape and torch.equal(got.cpu(), want))


def arange_image(*shape: int, dtype: Any = np.uint8) -> np.ndarray:
    return (np.arange(int(np.prod(shape))) % 251).astype(dtype).reshape(shape)


_RNG = np.random.default_rng(808)


def random_image(*shape: int, dtype: Any) -> np.ndarray:
    return (_RNG.integers(0, 256, size=shape)).astype(dtype)


def _case_got(case: tuple) -> tuple[np.ndarray, torch.Tensor, Any]:
    args, kwargs, got = case
    image = args[0] if args else kwargs.get("image")
    return image, to_nchw(image), got


def reshaped(case: tuple) -> bool:
    image, want, got = _case_got(case)
    if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(want.shape):
        return False
    flat = torch.from_numpy(np.ascontiguousarray(image)).to(torch.float32)
    return torch.equal(got.detach().float().cpu().flatten(), flat.flatten())


def swapped_hw(case: tuple) -> bool:
    image, want, got = _case_got(case)
    return (isinstance(got, torch.Tensor) and got.dim() == 4 and want.shape[2] != want.shape[3]
            and tuple(got.shape) == (want.shape[0], want.shape[1], want.shape[3],
                                     want.shape[2]))


def wrong_dtype(case: tuple) -> bool:
    image, want, got = _case_got(case)
    return (isinstance(got, torch.Tensor) and got.dtype != torch.float32
            and got.shape == want.shape and torch.equal(got.cpu().to(torch.float32), want))


def no_batch(case: tuple) -> bool:
    image, want, got = _case_got(case)
    return isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(want.shape[1:])


def scaled(case: tuple) -> bool:
    image, want, got = _case_got(case)
    return (isinstance(got, torch.Tensor) and got.shape == want.shape
            and torch.allclose(got.cpu().double(), want.double() / 255))


# --- LeNet (stacking) ---------------------------------------------------------------------


PLAN = ((nn.Conv2d,), (nn.ReLU,), (nn.MaxPool2d, nn.AvgPool2d), (nn.Conv2d,), (nn.ReLU,),
        (nn.MaxPool2d, nn.AvgPool2d), (nn.Flatten,), (nn.Linear,), (nn.ReLU,), (nn.Linear,),
        (nn.ReLU,), (nn.Linear,))


def lenet_plan(model: nn.Module) -> tuple[bool, str]:
    layers = [m for m in model.modules() if type(m) is not nn.Sequential]
    names = [type(m).__name__ for m in layers]
    if len(layers) != len(PLAN):
        return False, (f"The network has {len(layers)} layers ({', '.join(names)}); the "
                       f"prompt lists {len(PLAN)}.")
    for i, (layer, allowed) in enumerate(zip(layers, PLAN)):
        if type(layer) not in allowed:
            want = " or ".join(f"nn.{t.__name__}" for t in allowed)
            return False, f"Layer {i} is nn.{type(layer).__name__}; the prompt puts {want} there."
    return True, "The layers come in the order the prompt lists."


def lenet_convs(model: nn.Module) -> tuple[bool, str]:
    c = convs(model)
    if len(c) != 2:
        return False, "LeNet has two convolutions."
    want = [(1, 6, (5, 5), (2, 2)), (6, 16, (5, 5), (0, 0))]
    got = [(m.in_channels, m.out_channels, tuple(m.kernel_size),
            m.padding if isinstance(m.padding, str) else tuple(m.padding)) for m in c]
    if got != want:
        return False, (f"The convolutions are {got} as (in, out, kernel, padding); the prompt "
                       f"asks for {want}.")
    return True, "Both convolutions are as the prompt asks."


def lenet_rule(shape: tuple[int, ...]) -> Any:
    n, c, h, w = shape
    return (n, 10) if 28 <= h <= 31 and 28 <= w <= 31 else RAISES


def flatten_shapes(batch: int = 25, size: int = 4) -> dict[str, object]:
    features = torch.zeros(batch, 16, size, size)
    return {"view": tuple(features.view(-1, 400).shape),
            "flatten": tuple(features.flatten(1).shape)}


# --- receptive field (stacking) -----------------------------------------------------------


def measured_rf(layers: list) -> int:
    """The receptive field of a 1-D stack of (k, s, d) convolutions, measured with autograd."""
    stacked = [nn.Conv2d(1, 1, (k, 1), stride=(s, 1), dilation=(d, 1), bias=False)
               for k, s, d in layers]
    stack = nn.Sequential(*stacked).double()  # .double() converts these very layers
    for conv in stacked:
        nn.init.ones_(conv.weight)
    n = 1
    while True:
        x = torch.ones(1, 1, n, 1, dtype=torch.float64, requires_grad=True)
        try:
            out = stack(x)
            break
        except RuntimeError:  # too small for the stack yet
            n *= 2
    out[0, 0, 0, 0].backward()
    assert x.grad is not None  # x requires grad and the output depends on it
    rows = torch.nonzero(x.grad[0, 0, :, 0]).flatten()
    return int(rows.max() - rows.min() + 1)


def _rf_layers(case: tuple) -> list:
    args, kwargs, _ = case
    return list(args[0] if args else kwargs["layers"])


def no_jump(case: tuple) -> bool:
    layers, got = _rf_layers(case), case[2]
    return any(s > 1 for _, s, _ in layers[:-1]) and got == 1 + sum(
        d * (k - 1) for k, _, d in layers)


def no_dilation(case: tuple) -> bool:
    layers, got = _rf_layers(case), case[2]
    return any(d > 1 for *_, d in layers) and got == measured_rf(
        [(k, s, 1) for k, s, _ in layers])


def own_stride(case: tuple) -> bool:
    layers, got = _rf_layers(case), case[2]
    field, jump = 1, 1
    for k, s, d in layers:
        jump *= s
        field += d * (k - 1) * jump
    return got == field and got != measured_rf(layers)


def rf_is(target: int, in_channels: int = 3) -> Callable[[nn.Module], tuple[bool, str]]:
    """The model check: the stack's measured receptive field is target×target."""
    def check(model: nn.Module) -> tuple[bool, str]:
        h, w = measure_receptive_field(model, in_channels=in_channels)
        if (h, w) == (target, target):
            return True, f"The measured receptive field is {target}×{target}, as asked."
        more = " (or more)" if max(h, w) >= 65 else ""
        return False, (f"The measured receptive field is {h}×{w}{more}, not "
                       f"{target}×{target}: each 3×3 layer with dilation d adds 2·d pixels; a "
                       "stride also widens every later layer's reach.")
    return check


rf_is_11 = rf_is(11)


def only_3x3(model: nn.Module) -> tuple[bool, str]:
    bad = [tuple(c.kernel_size) for c in convs(model) if tuple(c.kernel_size) != (3, 3)]
    if bad:
        return False, f"Only 3×3 kernels are allowed, but the stack has {bad}."
    return True, "Every kernel is 3×3."


# --- residual block (stacking) ------------------------------------------------------------


def is_downblock(model: nn.Module) -> tuple[bool, str]:
    if type(model) is DownBlock:
        return True, "The answer is a DownBlock."
    return False, (f"block is {a_type(model)}; build it as "
                   "DownBlock(main=..., shortcut=...) so that the branches are added.")


def _branch(model: nn.Module, name: str) -> nn.Module:
    """``model.main`` or ``model.shortcut``: a layer, or why the branch cannot be checked."""
    branch = getattr(model, name)
    if not isinstance(branch, nn.Module):  # None, if set so after DownBlock(...)
        raise TypeError(f"block.{name} is {a_type(branch)}, not a layer")
    return branch


def main_convs_for(c_in: int, c_out: int) -> Callable[[nn.Module], tuple[bool, str]]:
    """The model check: the main branch is a stride-2 3×3 c_in → c_out, then c_out → c_out."""
    want = [(c_in, c_out, (3, 3), (2, 2)), (c_out, c_out, (3, 3), (1, 1))]

    def check(model: nn.Module) -> tuple[bool, str]:
        c = [(m.in_channels, m.out_channels, tuple(m.kernel_size), tuple(m.stride))
             for m in convs(_branch(model, "main"))]
        if c != want:
            return False, (f"The main branch's convolutions are {c} as (in, out, kernel, "
                           f"stride); the prompt asks for {want}.")
        return True, "The main branch has the two 3×3 convolutions the prompt asks for."
    return check


main_convs = main_convs_for(64, 128)


def shortcut_1x1(model: nn.Module) -> tuple[bool, str]:
    c = convs(_branch(model, "shortcut"))
    if len(c) == 1 and tuple(c[0].kernel_size) == (1, 1):
        return True, "The shortcut is a 1×1 convolution."
    return False, "The shortcut should be one 1×1 convolution (a cheap channel projection)."
