"""Pooling: max and average pooling, ceil_mode, overlapping and padded windows, global pooling.

Catalogue items PL-1 to PL-5 and W9/W10. Pooling is channel-agnostic, so every rule
keeps C and the variants use other channel counts than the shown input.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .extras import ExtraLayerSpec, Target
from .model import Assignment, LayerSpec, WrittenSpec, defining
from .pooling_strided import (MAX, NO_PADDING, WORDS, other_channels, overlap_pool,
                              padded_pool, pool_vs_conv, window)
from .rules import CEIL_HALF, KEEP, ceil_div, const, floor_div, spatial
from .variants import Draw, public, varying


def _max_pool(c: int, k: int, h: int) -> LayerSpec:
    halves = k == 2
    return LayerSpec(
        id="max_pool",
        title="Max pooling halves the size" if halves else f"Max pooling divides the size by {k}",
        prompt=(
            f"Create a max-pooling layer with a {k}×{k} window that "
            + ("halves H and W, rounding down for odd sizes" if halves else
               f"divides H and W by {k}, rounding down when {k} does not divide them")
            + " (PyTorch's default). It must work for any number of channels."
        ),
        answer_name="pool",
        points=2,
        solution=f"pool = nn.MaxPool2d(kernel_size={k})",
        hints=(
            "nn.MaxPool2d's stride defaults to its kernel size.",
            f"Fill in floor((H + 2·padding − kernel_size) / stride) + 1 = floor(H / {k}).",
        ),
        input_shape=(4, c, h, h),
        rule=spatial(None, floor_div(k)),
        layer_types=MAX,
        constraints=(window(k),),
        variants=public(((1, c, 7, 7), "batch 1, odd size"),
                        ((2, other_channels(c, 5, 3), 10, 30),
                         "another channel count, non-square")),
        hidden_draws=(Draw('odd size, 3 channels', 6, 15, square=True, parity="odd",
                           channels=(1, 9)),
                      Draw('the smallest size', k, k + 1, square=False),
                      Draw('non-square, odd height', 5, 21, square=False, parity="mixed"),
                      Draw("another size", k, 48, count=3)),
    )


# No 3×3: the lesson's worked example just before it is nn.MaxPool2d(kernel_size=3).
max_pool = varying(_max_pool, {"c": (8, 16, 32, 64), "k": (2, 4, 5), "h": (24, 28, 32, 36)},
                   {"c": 16, "k": 2, "h": 32})


def _box_blur(k: int) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda x: F.avg_pool2d(x, k, 1, (k - 1) // 2, count_include_pad=False)


def _avg_pool_blur(c: int, k: int, h: int) -> ExtraLayerSpec:
    pad = (k - 1) // 2
    return ExtraLayerSpec(
        id="avg_pool_blur",
        title="Average pooling as a box blur",
        prompt=(
            f"Create an average-pooling layer with a {k}×{k} window that keeps H and W (a box "
            f"blur). Each output pixel must be the mean of the *real* pixels in its {k}×{k} "
            "neighbourhood: at the border the window overhangs the image, and padding zeros "
            "must not count in the mean."
        ),
        answer_name="blur",
        points=2,
        solution=(f"blur = nn.AvgPool2d(kernel_size={k}, stride=1, padding={pad}, "
                  "count_include_pad=False)"),
        hints=(
            "To keep the size the window must move one pixel at a time and overhang by "
            f"{WORDS[pad]}.",
            "Look up count_include_pad in the nn.AvgPool2d documentation.",
        ),
        input_shape=(2, c, h, h),
        rule=spatial(None, KEEP),
        layer_types=(nn.AvgPool2d,),
        constraints=(window(k),),
        variants=public(((1, c, 7, 7), "batch 1, odd size"),
                        ((2, other_channels(c, 8, 5), 5, 12),
                         "another channel count, non-square")),
        hidden_draws=(Draw('a 1×1 image', 1, 1),
                      Draw('non-square, odd', 1, 15, square=False, parity="mixed"),
                      Draw("another size", 2, 48, count=3)),
        targets=(Target(
            f"the mean of the real pixels in each {k}×{k} neighbourhood",
            _box_blur(k),
            ((lambda x: F.avg_pool2d(x, k, 1, pad, count_include_pad=True),
              f"At the border your layer divides by {k * k} although some of the {k * k} window "
              "positions are padding zeros, so edges come out too dark: average pooling counts "
              "the padding unless count_include_pad=False."),),
        ),),
    )


# No 5×5: the lesson's demonstration just before it is a 5×5 average pool with padding 2.
avg_pool_blur = varying(_avg_pool_blur, {"c": (3, 4, 6, 16), "k": (3, 7, 9), "h": (24, 28, 32)},
                        {"c": 3, "k": 3, "h": 32})


def _ceil_mode_pool(c: int, k: int, h: int) -> LayerSpec:
    out = -(-h // k)
    halves = k == 2
    return LayerSpec(
        id="ceil_mode_pool",
        title="ceil_mode: keep the last, partial window",
        prompt=(
            f"Create a {k}×{k} max-pooling layer that maps {h}×{h} to {out}×{out}: it "
            + ("halves H and W" if halves else f"divides H and W by {k}")
            + ", rounding **up**, so the "
            + ("last row and column of an odd image get" if halves else
               f"rows and columns left over when {k} does not divide the size get")
            + " a window of their own instead of being dropped."
        ),
        answer_name="pool",
        points=2,
        solution=f"pool = nn.MaxPool2d(kernel_size={k}, ceil_mode=True)",
        hints=(
            "Padding also adds a window, but on even sizes it adds one too many." if halves else
            f"Padding also adds windows, but no padding of a {k}×{k} window gives ceil(H/{k}) "
            "for every H.",
            "PyTorch's pooling layers can round the formula up instead of down: see ceil_mode.",
        ),
        input_shape=(1, c, h, h),
        rule=spatial(None, CEIL_HALF if halves else ceil_div(k)),
        layer_types=MAX,
        constraints=(window(k), defining("ceil_mode", (True,), "rounding up (ceil_mode=True)"),
                     NO_PADDING),
        variants=public(((1, 3, 8, 8), "even size, another channel count"),
                        ((2, 1, 9, 5), "non-square, odd")),
        hidden_draws=(Draw('a 1×1 image', 1, 1),
                      Draw('non-square, one odd side', 3, 17, square=False, parity="mixed"),
                      Draw('the smallest even size', 2, 2),
                      Draw("another size", 2, 48, count=3)),
    )


# Even windows only: with an odd k, padding (k − 1)/2 also gives ceil(H/k) for every H,
# so the exercise would not need ceil_mode.  The shown size is one k does not divide.
ceil_mode_pool = varying(_ceil_mode_pool, {"c": (8, 16, 32), "k": (2, 4),
                                           "h": (5, 7, 9, 11, 13)},
                         {"c": 16, "k": 2, "h": 7}, lambda c, k, h: h % k != 0)


def _mean(x: torch.Tensor) -> torch.Tensor:
    return x.mean(dim=(2, 3), keepdim=True)


GLOBAL_RULE = spatial(None, const(1))
# Cannot vary: global pooling gives 1×1 for every input, so its answer is everyone's.
global_pool = ExtraLayerSpec(
    id="global_pool",
    title="Global average pooling",
    prompt=(
        "Create a layer that turns each channel into one number, its average over all "
        "H×W positions, for **any** H and W: (N, C, H, W) → (N, C, 1, 1). Modern networks "
        "end with it, so they accept images of any size."
    ),
    answer_name="gap",
    points=2,
    solution="gap = nn.AdaptiveAvgPool2d(1)",
    hints=(
        "A fixed window fits only one input size.",
        "An adaptive pooling layer takes the output size and works out the windows itself.",
    ),
    input_shape=(4, 128, 7, 7),
    rule=GLOBAL_RULE,
    layer_types=(nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.AvgPool2d, nn.MaxPool2d),
    variants=public(((1, 128, 14, 14), "batch 1, a larger size"),
                    ((1, 128, 13, 9), "non-square, odd")),
    hidden_draws=(Draw('a 1×1 feature map', 1, 1),
                  Draw('another channel count', 2, 12, square=False, channels=(8, 16)),
                  Draw("another size", 1, 48, count=3)),
    targets=(Target(
        "the average of each channel over all H×W positions",
        _mean,
        ((lambda x: x.amax(dim=(2, 3), keepdim=True),
          "You take the maximum of each channel; global *average* pooling takes the mean."),
         (lambda x: F.avg_pool2d(x, 7),
          "You average only a fixed 7×7 window in the top-left corner: a fixed kernel "
          "covers the whole map for one input size only."),),
    ),),
)


why_no_params = WrittenSpec(
    id="why_no_params",
    title="What pooling keeps and what it throws away",
    prompt=(
        "Why does a pooling layer have no learnable parameters, and why does it keep the "
        "number of channels? Then explain why `nn.MaxPool2d(3)` shrinks AlexNet's 55×55 "
        "maps to 18×18 instead of 27×27."
    ),
    rubric=(
        "Full marks (3): (1) the max or mean of a window is a fixed function, so there is "
        "nothing to learn (0 parameters); (2) it is applied to every channel separately "
        "(d2l 7.5), unlike a convolution, which sums over all input channels, so C is "
        "unchanged; (3) the stride defaults to the kernel size: floor((55 − 3)/3) + 1 = 18; "
        "AlexNet's overlapping pool needs stride=2 explicitly. One point per part."
    ),
    points=3,
)

stride_vs_pool = WrittenSpec(
    id="stride_vs_pool",
    title="Strided convolution or pooling?",
    prompt=(
        "You want to halve H and W in the middle of a network. Compare a 3×3 convolution "
        "with stride 2 and a 3×3 max pool with stride 2 (both padding 1): output shape, "
        "parameters, what each can learn, and one reason to pick each."
    ),
    rubric=(
        "Full marks (2): same output H and W (ceil(H/2)); the convolution has "
        "C_in·C_out·9 + C_out parameters and can change the channel count and learn how to "
        "downsample, the pool has none, keeps C and is a fixed, cheap, slightly "
        "translation-tolerant summary. A reason for each (e.g. all-convolutional networks, "
        "or fewer parameters and a robust max; CS231n notes on pooling). One point for a "
        "correct comparison of shape and parameters, one for the trade-offs."
    ),
    points=2,
)

SPECS = (max_pool, avg_pool_blur, ceil_mode_pool, overlap_pool, padded_pool, global_pool,
         pool_vs_conv)
WRITTEN = (why_no_params, stride_vs_pool)
ASSIGNMENT = Assignment(
    name="pooling",
    title="Pooling: max, average, ceil_mode, padding and global pooling",
    notebook="pooling.ipynb",
    exercises=tuple(s.id for s in SPECS),
    written=tuple(w.id for w in WRITTEN),
    minutes=50,
)
