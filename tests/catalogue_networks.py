"""Catalogue rows of the networks assignment (MC-1..3, TR-1): test_catalogue reads CASES.

Each exercise: its correct answers in several forms, then (answer, words, points) mistakes.
"""

from __future__ import annotations

import copy
import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from convdojo import shapes
from convdojo.specs import networks, project


def _run(source: str, name: str) -> Any:
    ns: dict[str, Any] = {"nn": nn, "torch": torch}
    exec(source, ns)
    return ns[name]


# --- conv_macs ----------------------------------------------------------------------------

def _sides(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def macs_with_shapes(in_channels, out_channels, kernel_size, input_size, stride=1, padding=0,
                     groups=1):
    (kh, kw), (h, w) = _sides(kernel_size), _sides(input_size)
    out = [shapes.conv_out(n, k, stride, padding) for n, k in ((h, kh), (w, kw))]
    return out_channels * out[0] * out[1] * (in_channels // groups) * kh * kw


def macs_numpy(cin, cout, k, size, stride=1, padding=0, groups=1):
    k, size = np.broadcast_to(k, 2), np.broadcast_to(size, 2)
    out = (size + 2 * padding - k) // stride + 1
    return np.int64(cout * np.prod(out) * (cin // groups) * np.prod(k))


def macs_flops(*args, **kwargs):
    return 2 * macs_with_shapes(*args, **kwargs)


def macs_no_groups(cin, cout, k, size, stride=1, padding=0, groups=1):
    return macs_with_shapes(cin, cout, k, size, stride, padding, 1)


def macs_no_stride(cin, cout, k, size, stride=1, padding=0, groups=1):
    return macs_with_shapes(cin, cout, k, size, 1, padding, groups)


def macs_on_input(cin, cout, k, size, stride=1, padding=0, groups=1):
    (kh, kw), (h, w) = _sides(k), _sides(size)
    return cout * h * w * (cin // groups) * kh * kw


def _fn(f: Callable[..., Any]) -> Callable[[], Callable[..., Any]]:
    return lambda: f


# --- activation memory -------------------------------------------------------------------

def bytes_by_hooks() -> int:
    block, sizes = networks.vgg_block(), []
    for layer in block:
        layer.register_forward_hook(lambda m, i, o: sizes.append(o.numel() * o.element_size()))
    block(torch.zeros(32, 3, 64, 64))
    return sum(sizes)


PER_MAP = 32 * 64 * 64 * 64 * 4
POOLED = 32 * 64 * 32 * 32 * 4

# --- fix_network ---------------------------------------------------------------------------

def fixed_in_place() -> nn.Sequential:
    net = _run(networks.BROKEN, "net")
    net[4] = nn.Conv2d(32, 64, 3, stride=2, padding=1)
    return net


def fixed_named() -> nn.Sequential:
    return nn.Sequential(OrderedDict([
        ("stem", nn.Conv2d(3, 16, 3, padding=1)), ("act1", nn.ReLU()),
        ("down1", nn.Conv2d(16, 32, 3, 2, 1)), ("act2", nn.ReLU()),
        ("down2", nn.Conv2d(32, 64, 3, 2, 1)), ("act3", nn.ReLU()),
        ("mix", nn.Conv2d(64, 64, 3, padding=1)), ("act4", nn.ReLU()),
        ("pool", nn.AdaptiveAvgPool2d((1, 1))), ("flat", nn.Flatten()),
        ("head", nn.Linear(64, 10))]))


def _broken(old: str, new: str) -> Callable[[], nn.Module]:
    return lambda: _run(networks.BROKEN.replace(old, new), "net")


def _fixed(old: str, new: str) -> Callable[[], nn.Module]:
    return lambda: _run(networks.fix_network.solution.replace(old, new), "net")


STEM = networks.stem_counts()

# exercise -> (correct answers, [(answer, words in the feedback, points)])
CASES: dict[str, tuple[list[Callable[[], Any]], list[tuple[Callable[[], Any], list[str], float]]]] = {
    "conv_macs": ([_fn(macs_with_shapes), _fn(macs_numpy),
                   lambda: _run(networks.conv_macs.solution, "conv_macs")], [
        (_fn(macs_flops), ["returned 884736, expected 442368", "2 FLOPs"], 0),
        (_fn(macs_no_groups), ["groups is ignored"], 1.5),
        (_fn(macs_no_stride), ["stride is ignored"], 1.5),
        (_fn(macs_on_input), ["returned 92160, expected 61440. The count uses the input's"],
         1),
    ]),
    "stem_macs": ([lambda: dict(STEM), lambda: {k: torch.tensor(v) for k, v in STEM.items()}], [
        ({**STEM, "stride2": STEM["stride1"] // 2}.copy, ["drop 4×, not 2×"], 1),
        ({**STEM, "stride2": STEM["stride1"]}.copy, ["count the output positions"], 1),
        ({k: 2 * v for k, v in STEM.items()}.copy, ["that is FLOPs"], 0),
    ]),
    "activation_memory": ([bytes_by_hooks, lambda: float(4 * PER_MAP + POOLED),
                           lambda: np.int64(4 * PER_MAP + POOLED)], [
        (lambda: (4 * PER_MAP + POOLED) // 4, ["numbers, not bytes"], 0),
        (lambda: (4 * PER_MAP + POOLED) // 32, ["one image"], 0),
        (lambda: 4 * PER_MAP, ["max pool's output counts too"], 0),
    ]),
    "fix_network": ([fixed_in_place, fixed_named,
                     lambda: _run(networks.fix_network.solution, "net")], [
        (lambda: _run(networks.BROKEN, "net"),
         ["nn.Conv2d has in_channels=16, but 32 channels reach it", "Layer 3 besides"], 0.37),
        (_broken("nn.Conv2d(16, 32", "nn.Conv2d(16, 16"),
         ["Layer 2 besides ReLU and Flatten is nn.Conv2d(16, 16", "Change only the layer"], 1.5),
        (_fixed("nn.AdaptiveAvgPool2d(1)", "nn.AvgPool2d(8)"),
         ["window spans 8 pixels but the padded input is only 7", "nn.AdaptiveAvgPool2d"], 0.75),
        (_fixed("nn.Linear(64, 10)", "nn.Linear(64, 100)"), ["expected 10, got 100"], 0.37),
    ]),
}


# --- mini_project ---------------------------------------------------------------------------

def train_briefly(model: nn.Module) -> nn.Module:
    """The reduced training (8000 glyphs, 5 epochs: a few CPU seconds; the notebook runs 12)."""
    from convdojo import glyphs

    images, labels = glyphs.make(8000, seed=0)
    glyphs.fit(model, images, labels, epochs=5, verbose=False)
    return model


@functools.lru_cache(maxsize=1)
def _trained_reference() -> nn.Sequential:
    torch.manual_seed(0)
    return train_briefly(_run(project.mini_project.solution, "model"))


def trained() -> nn.Sequential:
    return copy.deepcopy(_trained_reference())


def trained_named() -> nn.Sequential:
    """The same trained layers, named."""
    ref = trained()
    named = nn.Sequential(OrderedDict((f"layer{i}", m) for i, m in enumerate(ref)))
    return named


def _identity_head(width: int, bias: torch.Tensor | None = None) -> list[nn.Module]:
    """Linear(5, width) then Linear(width, 5) that together change nothing (no ReLU)."""
    up, down = nn.Linear(5, width), nn.Linear(width, 5)
    with torch.no_grad():
        up.weight.zero_()
        up.weight[:5].copy_(torch.eye(5))
        up.bias.zero_()
        down.weight.zero_()
        down.weight[:, :5].copy_(torch.eye(5))
        down.bias.copy_(bias if bias is not None else torch.zeros(5))
    return [up, down]


def over_budget() -> nn.Sequential:
    return nn.Sequential(*trained(), *_identity_head(500))


def never_cross() -> nn.Sequential:
    """Never answers 'cross': about a fifth of the glyphs wrong."""
    return nn.Sequential(*trained(), *_identity_head(5, torch.tensor([0, 0, 0, 0, -1e4])))


CASES["mini_project"] = ([trained, trained_named], [
    (lambda: _run(project.mini_project.solution, "model"),
     ["below every band", "Confusion matrix"], 0),
    (over_budget, ["10,358 parameters: over the budget of 5,000",
                   "halved since the network is over its parameter budget"], 2.5),
    (never_cross, ["in the band from 70%: 50 % of the points", "Confusion matrix"], 2.5),
    (lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(100, 5)),
     ["cannot classify a batch", "receives 784 features"], 0),
    (lambda: nn.Sequential(nn.Flatten(), nn.Linear(256, 5), nn.Softmax(dim=1)),
     ["nn.Softmax is not allowed here"], 0),
])
