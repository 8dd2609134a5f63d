"""Strided pooling: AlexNet's overlapping pool, ResNet's padded pool, and pooling against a
strided convolution (catalogue PL-3 to PL-5), plus the helpers the pooling specs share.
"""

from __future__ import annotations

import torch
from torch import nn

from .answers import plain
from .extras import key_is
from .model import Constraint, LayerSpec, Mistake, ValueSpec, defining
from .rules import CEIL_HALF, SizeRule, ceil_div, spatial
from .variants import Draw, public, varying

__all__ = ["MAX", "NO_PADDING", "WORDS", "window", "other_channels", "overlap_pool",
           "padded_pool", "pool_vs_conv"]

MAX = (nn.MaxPool2d,)
NO_PADDING = defining("padding_px", (((0, 0), (0, 0)),), "no padding")
WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


def window(k: int) -> Constraint:
    """The kernel size the prompt names: the point of every pooling exercise."""
    return defining("kernel_size", ((k, k),), f"a {k}×{k} window")


def other_channels(c: int, usual: int, instead: int) -> int:
    """A channel count other than the shown input's: pooling must not care about C."""
    return usual if c != usual else instead


def _overlap_pool(c: int, k: int, s: int, h: int) -> LayerSpec:
    out = (h - k) // s + 1
    alexnet = (k, s, h) == (3, 2, 55)
    shared = k - s
    return LayerSpec(
        id="overlap_pool",
        title="Overlapping pooling (AlexNet)",
        prompt=(
            "AlexNet pools with 3×3 windows that move 2 pixels at a time, so neighbouring "
            + ("windows overlap by one pixel. Create that max-pooling layer, without padding: "
               "it maps AlexNet's 55×55 feature maps to 27×27." if alexnet else
               f"windows overlap. Create an overlapping max-pooling layer whose {k}×{k} "
               f"windows move {s} pixels at a time, so that neighbouring windows share "
               f"{WORDS[shared]} pixel{'s' if shared > 1 else ''}, without padding: it maps "
               f"{h}×{h} feature maps to {out}×{out}.")
        ),
        answer_name="pool",
        points=2,
        solution=f"pool = nn.MaxPool2d(kernel_size={k}, stride={s})",
        hints=("A pooling layer's stride defaults to its kernel size; here they differ.",),
        input_shape=(1, c, h, h),
        rule=spatial(None, SizeRule(f"floor((H − {k}) / {s}) + 1", lambda n: (n - k) // s + 1,
                                    lambda n: n >= k, f"sizes of at least {k}")),
        layer_types=MAX,
        constraints=(window(k),
                     defining("stride", ((s, s),), f"windows {s} pixels apart (stride {s})"),
                     NO_PADDING),
        variants=public(((1, 4, 13, 13), "another channel count, odd size"),
                        ((2, 4, 8, 10), "non-square, even")),
        hidden_draws=(Draw('the smallest size', k, k),
                      Draw('non-square, small', 1, 15, square=False),
                      Draw("another size", k, 48, count=3)),
    )


overlap_pool = varying(_overlap_pool, {"c": (32, 64, 96), "k": (3, 4, 5), "s": (2, 3),
                                       "h": (27, 31, 55, 57)},
                       {"c": 96, "k": 3, "s": 2, "h": 55}, lambda c, k, s, h: s < k)


def _padded_pool(c: int, k: int, s: int, h: int) -> LayerSpec:
    out = -(-h // s)
    resnet = (k, s, h) == (3, 2, 112)
    return LayerSpec(
        id="padded_pool",
        title="Pooling with padding (the ResNet stem)",
        prompt=(
            "ResNet's stem halves 112×112 to 56×56 with a 3×3 max pool of stride 2. "
            + ("Choose its padding: the layer must give ceil(H/2) for every H, odd or even."
               if resnet else
               f"Yours is a {k}×{k} max pool of stride {s} that maps {h}×{h} to {out}×{out}. "
               f"Choose its padding: the layer must give ceil(H/{s}) for every H, "
               + ("odd or even." if s == 2 else f"whether {s} divides it or not."))
        ),
        answer_name="pool",
        points=2,
        solution=f"pool = nn.MaxPool2d(kernel_size={k}, stride={s}, padding={(k - 1) // 2})",
        hints=(
            "Pooling pads with −∞, so padding never wins the max; it only adds windows.",
            f"Solve floor((H + 2·padding − {k}) / {s}) + 1 = H / {s} for "
            + ("an even H, then try an odd H." if s == 2 else
               f"an H that {s} divides, then try one it does not."),
        ),
        input_shape=(1, c, h, h),
        rule=spatial(None, CEIL_HALF if s == 2 else ceil_div(s)),
        layer_types=MAX,
        constraints=(window(k), defining("stride", ((s, s),), f"stride {s}")),
        variants=public(((1, 2, 7, 7), "another channel count, odd size"),
                        ((2, 2, 15, 20), "non-square")),
        hidden_draws=(Draw('a 1×1 image', 1, 1),
                      Draw('non-square, small', 1, 16, square=False),
                      Draw("another size", 2, 48, count=3)),
    )


# Odd windows only: an even one has no padding that gives ceil(H/s) for every H.
padded_pool = varying(_padded_pool, {"c": (16, 32, 64), "k": (3, 5, 7), "s": (2, 3),
                                     "h": (56, 64, 112)},
                      {"c": 64, "k": 3, "s": 2, "h": 112})


def _conv(c: int = 64, k: int = 3) -> nn.Conv2d:
    return nn.Conv2d(c, c, kernel_size=k, stride=2, padding=(k - 1) // 2)


def _pool(k: int = 3) -> nn.MaxPool2d:
    return nn.MaxPool2d(kernel_size=k, stride=2, padding=(k - 1) // 2)


def _pool_vs_conv(c: int, k: int, h: int) -> ValueSpec:
    pad = (k - 1) // 2
    conv, pool = (f"nn.Conv2d({c}, {c}, kernel_size={k}, stride=2, padding={pad})",
                  f"nn.MaxPool2d(kernel_size={k}, stride=2, padding={pad})")

    def expected() -> dict[str, object]:
        x = torch.randn(1, c, h, h)
        return {"conv_params": sum(p.numel() for p in _conv(c, k).parameters()),
                "pool_params": sum(p.numel() for p in _pool(k).parameters()),
                "pool_shape": tuple(_pool(k)(x).shape)}

    unpadded = (h - k) // 2 + 1
    return ValueSpec(
        id="pool_vs_conv",
        title="A pooling layer has nothing to learn",
        prompt=(
            f"`{conv}` and `{pool}` both halve a (1, {c}, {h}, {h}) input. Without running "
            "them, fill in the dictionary: the number of learnable parameters of each, and "
            "the output shape of the pooling layer.\n\n"
            "```python\nanswers = {\"conv_params\": ..., \"pool_params\": ..., "
            "\"pool_shape\": (..., ..., ..., ...)}\n```"
        ),
        answer_name="answers",
        points=2,
        solution=(
            f'answers = {{"conv_params": {c} * {c} * {k} * {k} + {c}, "pool_params": 0, '
            f'"pool_shape": (1, {c}, {h // 2}, {h // 2})}}'
        ),
        hints=("A max is a fixed function of its window: there is no weight to multiply by.",),
        expected=expected,
        normalize=plain,
        mistakes=(
            Mistake(key_is("conv_params", lambda v: v == c * c * k * k),
                    f"That counts the weights; each of the {c} filters also has a bias."),
            Mistake(key_is("conv_params",
                           lambda v: v in (c * k * k, c * k * k + c, k * k * c + 1)),
                    f"Each of the {c} filters spans all {c} input channels: {c}×{k}×{k} "
                    f"weights per filter, times {c} filters, plus {c} biases."),
            Mistake(key_is("pool_params", lambda v: v != 0),
                    "Pooling has no weights: the max of a window is fixed, nothing is learned. "
                    "Check with sum(p.numel() for p in pool.parameters())."),
            Mistake(key_is("pool_shape", lambda v: isinstance(v, tuple) and len(v) == 4
                        and v[1] != c),
                    "Pooling works on each channel separately, so the channel count does not "
                    "change."),
            Mistake(key_is("pool_shape", lambda v: v == (1, c, unpadded, unpadded)),
                    f"Without padding you would get {unpadded}; padding {pad} gives "
                    f"floor(({h} + {2 * pad} − {k})/2) + 1."),
        ),
    )


# Even sizes only: the prompt says both layers halve the input.
pool_vs_conv = varying(_pool_vs_conv, {"c": (16, 32, 48, 64, 96), "k": (3, 5),
                                       "h": (56, 64, 96, 112, 128)},
                       {"c": 64, "k": 3, "h": 112})

