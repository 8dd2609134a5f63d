"""Pooling: max and average pooling, ceil_mode, overlapping and padded windows, global pooling.

Catalogue items PL-1 to PL-5 and W9/W10. Pooling is channel-agnostic, so every rule
keeps C and the variants use other channel counts than the shown input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .answers import plain
from .extras import ExtraLayerSpec, Target, key_is
from .model import Assignment, LayerSpec, Mistake, ValueSpec, WrittenSpec, defining
from .rules import CEIL_HALF, KEEP, SizeRule, const, floor_div, spatial
from .variants import Draw, public

MAX = (nn.MaxPool2d,)
K2 = defining("kernel_size", ((2, 2),), "a 2×2 window")
K3 = defining("kernel_size", ((3, 3),), "a 3×3 window")

MAX_RULE = spatial(None, floor_div(2))
max_pool = LayerSpec(
    id="max_pool",
    title="Max pooling halves the size",
    prompt=(
        "Create a max-pooling layer with a 2×2 window that halves H and W, rounding down "
        "for odd sizes (PyTorch's default). It must work for any number of channels."
    ),
    answer_name="pool",
    points=2,
    solution="pool = nn.MaxPool2d(kernel_size=2)",
    hints=(
        "nn.MaxPool2d's stride defaults to its kernel size.",
        "Fill in floor((H + 2·padding − kernel_size) / stride) + 1 = floor(H / 2).",
    ),
    input_shape=(4, 16, 32, 32),
    rule=MAX_RULE,
    layer_types=MAX,
    constraints=(K2,),
    variants=public(((1, 16, 7, 7), "batch 1, odd size"),
                    ((2, 5, 10, 30), "another channel count, non-square")),
    hidden_draws=(Draw('odd size, 3 channels', 6, 15, square=True, parity="odd", channels=(1, 9)),
                  Draw('the smallest size', 2, 3, square=False),
                  Draw('non-square, odd height', 5, 21, square=False, parity="mixed"),
                  Draw("another size", 2, 48, count=3)),
)


def _blur(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)


BLUR_RULE = spatial(None, KEEP)
avg_pool_blur = ExtraLayerSpec(
    id="avg_pool_blur",
    title="Average pooling as a box blur",
    prompt=(
        "Create an average-pooling layer with a 3×3 window that keeps H and W (a box blur). "
        "Each output pixel must be the mean of the *real* pixels in its 3×3 neighbourhood: "
        "at the border the window overhangs the image, and padding zeros must not count "
        "in the mean."
    ),
    answer_name="blur",
    points=2,
    solution="blur = nn.AvgPool2d(kernel_size=3, stride=1, padding=1, count_include_pad=False)",
    hints=(
        "To keep the size the window must move one pixel at a time and overhang by one.",
        "Look up count_include_pad in the nn.AvgPool2d documentation.",
    ),
    input_shape=(2, 3, 32, 32),
    rule=BLUR_RULE,
    layer_types=(nn.AvgPool2d,),
    constraints=(K3,),
    variants=public(((1, 3, 7, 7), "batch 1, odd size"),
                    ((2, 8, 5, 12), "another channel count, non-square")),
    hidden_draws=(Draw('a 1×1 image', 1, 1),
                  Draw('non-square, odd', 1, 15, square=False, parity="mixed"),
                  Draw("another size", 2, 48, count=3)),
    targets=(Target(
        "the mean of the real pixels in each 3×3 neighbourhood",
        _blur,
        ((lambda x: F.avg_pool2d(x, 3, 1, 1, count_include_pad=True),
          "At the border your layer divides by 9 although some of the 9 window positions "
          "are padding zeros, so edges come out too dark: average pooling counts the "
          "padding unless count_include_pad=False."),),
    ),),
)

CEIL_RULE = spatial(None, CEIL_HALF)
ceil_mode_pool = LayerSpec(
    id="ceil_mode_pool",
    title="ceil_mode: keep the last, partial window",
    prompt=(
        "Create a 2×2 max-pooling layer that maps 7×7 to 4×4: it halves H and W, rounding "
        "**up**, so the last row and column of an odd image get a window of their own "
        "instead of being dropped."
    ),
    answer_name="pool",
    points=2,
    solution="pool = nn.MaxPool2d(kernel_size=2, ceil_mode=True)",
    hints=(
        "Padding also adds a window, but on even sizes it adds one too many.",
        "PyTorch's pooling layers can round the formula up instead of down: see ceil_mode.",
    ),
    input_shape=(1, 16, 7, 7),
    rule=CEIL_RULE,
    layer_types=MAX,
    constraints=(K2, defining("ceil_mode", (True,), "rounding up (ceil_mode=True)"),
                 defining("padding_px", (((0, 0), (0, 0)),), "no padding")),
    variants=public(((1, 3, 8, 8), "even size, another channel count"),
                    ((2, 1, 9, 5), "non-square, odd")),
    hidden_draws=(Draw('a 1×1 image', 1, 1),
                  Draw('non-square, one odd side', 3, 17, square=False, parity="mixed"),
                  Draw('the smallest even size', 2, 2),
                  Draw("another size", 2, 48, count=3)),
)

OVERLAP = SizeRule("floor((H − 3) / 2) + 1", lambda n: (n - 3) // 2 + 1, lambda n: n >= 3,
                   "sizes of at least 3")
OVERLAP_RULE = spatial(None, OVERLAP)
overlap_pool = LayerSpec(
    id="overlap_pool",
    title="Overlapping pooling (AlexNet)",
    prompt=(
        "AlexNet pools with 3×3 windows that move 2 pixels at a time, so neighbouring "
        "windows overlap by one pixel. Create that max-pooling layer, without padding: "
        "it maps AlexNet's 55×55 feature maps to 27×27."
    ),
    answer_name="pool",
    points=2,
    solution="pool = nn.MaxPool2d(kernel_size=3, stride=2)",
    hints=("A pooling layer's stride defaults to its kernel size; here they differ.",),
    input_shape=(1, 96, 55, 55),
    rule=OVERLAP_RULE,
    layer_types=MAX,
    constraints=(K3, defining("stride", ((2, 2),), "windows 2 pixels apart (stride 2)"),
                 defining("padding_px", (((0, 0), (0, 0)),), "no padding")),
    variants=public(((1, 4, 13, 13), "another channel count, odd size"),
                    ((2, 4, 8, 10), "non-square, even")),
    hidden_draws=(Draw('the smallest size', 3, 3),
                  Draw('non-square, small', 1, 15, square=False),
                  Draw("another size", 3, 48, count=3)),
)

padded_pool = LayerSpec(
    id="padded_pool",
    title="Pooling with padding (the ResNet stem)",
    prompt=(
        "ResNet's stem halves 112×112 to 56×56 with a 3×3 max pool of stride 2. Choose its "
        "padding: the layer must give ceil(H/2) for every H, odd or even."
    ),
    answer_name="pool",
    points=2,
    solution="pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)",
    hints=(
        "Pooling pads with −∞, so padding never wins the max; it only adds windows.",
        "Solve floor((H + 2·padding − 3) / 2) + 1 = H / 2 for an even H, then try an odd H.",
    ),
    input_shape=(1, 64, 112, 112),
    rule=CEIL_RULE,
    layer_types=MAX,
    constraints=(K3, defining("stride", ((2, 2),), "stride 2")),
    variants=public(((1, 2, 7, 7), "another channel count, odd size"),
                    ((2, 2, 15, 20), "non-square")),
    hidden_draws=(Draw('a 1×1 image', 1, 1),
                  Draw('non-square, small', 1, 16, square=False),
                  Draw("another size", 2, 48, count=3)),
)


def _mean(x: torch.Tensor) -> torch.Tensor:
    return x.mean(dim=(2, 3), keepdim=True)


GLOBAL_RULE = spatial(None, const(1))
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


def _conv() -> nn.Conv2d:
    return nn.Conv2d(64, 64, kernel_size=3, stride=2, padding=1)


def _pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(kernel_size=3, stride=2, padding=1)


def _pool_vs_conv() -> dict[str, object]:
    x = torch.randn(1, 64, 112, 112)
    return {
        "conv_params": sum(p.numel() for p in _conv().parameters()),
        "pool_params": sum(p.numel() for p in _pool().parameters()),
        "pool_shape": tuple(_pool()(x).shape),
    }


pool_vs_conv = ValueSpec(
    id="pool_vs_conv",
    title="A pooling layer has nothing to learn",
    prompt=(
        "`nn.Conv2d(64, 64, kernel_size=3, stride=2, padding=1)` and "
        "`nn.MaxPool2d(kernel_size=3, stride=2, padding=1)` both halve a (1, 64, 112, 112) "
        "input. Without running them, fill in the dictionary: the number of learnable "
        "parameters of each, and the output shape of the pooling layer.\n\n"
        "```python\nanswers = {\"conv_params\": ..., \"pool_params\": ..., "
        "\"pool_shape\": (..., ..., ..., ...)}\n```"
    ),
    answer_name="answers",
    points=2,
    solution=(
        'answers = {"conv_params": 64 * 64 * 3 * 3 + 64, "pool_params": 0, '
        '"pool_shape": (1, 64, 56, 56)}'
    ),
    hints=("A max is a fixed function of its window: there is no weight to multiply by.",),
    expected=_pool_vs_conv,
    normalize=plain,
    mistakes=(
        Mistake(key_is("conv_params", lambda v: v == 64 * 64 * 9),
                "That counts the weights; each of the 64 filters also has a bias."),
        Mistake(key_is("conv_params", lambda v: v in (64 * 9, 64 * 9 + 64, 9 * 64 + 1)),
                "Each of the 64 filters spans all 64 input channels: 64×3×3 weights per "
                "filter, times 64 filters, plus 64 biases."),
        Mistake(key_is("pool_params", lambda v: v != 0),
                "Pooling has no weights: the max of a window is fixed, nothing is learned. "
                "Check with sum(p.numel() for p in pool.parameters())."),
        Mistake(key_is("pool_shape", lambda v: isinstance(v, tuple) and len(v) == 4
                    and v[1] != 64),
                "Pooling works on each channel separately, so the channel count does not "
                "change."),
        Mistake(key_is("pool_shape", lambda v: v == (1, 64, 55, 55)),
                "Without padding you would get 55; padding 1 gives floor((112 + 2 − 3)/2) + 1."),
    ),
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
