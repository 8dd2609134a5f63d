"""The core four (channels, padding, stride, combination) and the lesson's worked examples.

Drawn from the course activity "Convolution activity" and the AI Summer lesson
"Convolution in Practice" (see ../shared/seeds), with their known defects fixed:
exercise 3 asks for a 5x5 kernel and now checks it, the checks live outside the
student's cell, and the variants include batch 1, odd and non-square sizes.
"""

from __future__ import annotations

from torch import nn

from .answers import as_count, as_shape
from .model import ZEROS, Assignment, LayerSpec, Mistake, ValueSpec, WrittenSpec, defining
from .rules import HALVE, KEEP, RAISES, Rule, shrink, spatial
from .variants import hidden, public, random_hidden

CONV = (nn.Conv2d,)


def _bigger(value: tuple[int, int]) -> bool:
    return min(value) > 1


CHANNELS_RULE = spatial(16, KEEP)
channels = LayerSpec(
    id="channels",
    title="Channels",
    prompt=(
        "Create a convolution layer with a 3×3 kernel that turns the 3-channel input into a "
        "16-channel output, keeping the spatial size (H and W) of the input."
    ),
    answer_name="conv",
    points=2,
    solution="conv = nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3, padding=1)",
    hints=(
        "out_channels sets the number of output channels; in_channels must match the input's C.",
        "A 3×3 kernel loses one pixel on each side unless you pad.",
    ),
    input_shape=(4, 3, 16, 16),
    rule=CHANNELS_RULE,
    layer_types=CONV,
    constraints=(
        defining("in_channels", (3,), "in_channels 3, the input's channel count"),
        defining("out_channels", (16,), "16 output channels"),
        defining("kernel_size", ((3, 3),), "a 3×3 kernel"),
        ZEROS,
    ),
    variants=public(((1, 3, 17, 17), "batch 1, odd size"), ((2, 3, 12, 20), "non-square"))
    + hidden(((3, 3, 5, 5), "a small size"), ((2, 3, 1, 1), "a 1×1 image"),
             ((1, 3, 9, 31), "non-square, odd"))
    + random_hidden(CHANNELS_RULE, 3, seed=101),
)

PADDING_RULE = Rule(
    "channels kept (16), spatial size shrinks by 4: a 5×5 kernel fits 16 − 5 + 1 = 12 times",
    lambda s: RAISES if min(s[2:]) < 5 else (s[0], s[1], s[2] - 4, s[3] - 4),
    lambda s: min(s[2:]) >= 5,
    "sizes of at least 5",
)
padding = LayerSpec(
    id="padding",
    title="Padding",
    prompt=(
        "Create a convolution layer with a 5×5 kernel, the same number of input and output "
        "channels, and 'valid' padding (no padding at all)."
    ),
    answer_name="conv",
    points=2,
    solution='conv = nn.Conv2d(16, 16, kernel_size=5, padding="valid")',
    hints=("'valid' means the kernel must fit entirely inside the input.",),
    input_shape=(4, 16, 16, 16),
    rule=PADDING_RULE,
    layer_types=CONV,
    constraints=(
        defining("in_channels", (16,), "in_channels 16, the input's channel count"),
        defining("out_channels", (16,), "as many output channels as input channels"),
        defining("kernel_size", ((5, 5),), "a 5×5 kernel"),
        defining("padding_px", (((0, 0), (0, 0)),), "'valid' padding, i.e. none"),
        ZEROS,
    ),
    variants=public(((1, 16, 5, 5), "batch 1, the smallest size that fits"),
                    ((2, 16, 9, 20), "non-square"),
                    ((1, 16, 4, 4), "too small: torch must refuse it"))
    + hidden(((3, 16, 7, 11), "non-square, odd"), ((1, 16, 13, 13), "odd size"))
    + random_hidden(PADDING_RULE, 16, seed=202, low=5),
)

STRIDE_RULE = spatial(None, HALVE)
stride = LayerSpec(
    id="stride",
    title="Stride",
    prompt=(
        "Create a strided convolution layer with a 5×5 kernel and as many output channels "
        "as input channels that exactly halves the spatial size, for any even H and W."
    ),
    answer_name="conv",
    points=2,
    solution="conv = nn.Conv2d(3, 3, kernel_size=5, stride=2, padding=2)",
    hints=(
        "Stride 2 moves the window two pixels at a time.",
        "Write out floor((H + 2·padding − 5) / 2) + 1 = H / 2 and solve for padding.",
    ),
    input_shape=(4, 3, 64, 64),
    rule=STRIDE_RULE,
    layer_types=CONV,
    constraints=(
        defining("in_channels", (3,), "in_channels 3, the input's channel count"),
        defining("out_channels", (3,), "as many output channels as input channels"),
        defining("kernel_size", ((5, 5),), "a 5×5 kernel"),
        defining("stride", _bigger, "a strided convolution (stride above 1)"),
        ZEROS,
    ),
    variants=public(((1, 3, 100, 100), "batch 1, a size that is not a power of two"),
                    ((2, 3, 38, 62), "non-square"))
    + hidden(((1, 3, 6, 6), "a small even size"), ((3, 3, 10, 30), "non-square"))
    + random_hidden(STRIDE_RULE, 3, seed=303, count=4, low=2, high=60),
)

COMBINATION_RULE = spatial(16, HALVE)
combination = LayerSpec(
    id="combination",
    title="Combination",
    prompt=(
        "Combine what you used above: create a convolution layer with a 3×3 kernel that turns "
        "the 3-channel input into 16 channels and exactly halves the spatial size, "
        "for any even H and W."
    ),
    answer_name="conv",
    points=2,
    solution=(
        "conv = nn.Conv2d(in_channels=3, out_channels=16, kernel_size=3, stride=2, padding=1)"
    ),
    hints=("Channels come from out_channels; the size comes from stride and padding together.",),
    input_shape=(4, 3, 32, 32),
    rule=COMBINATION_RULE,
    layer_types=CONV,
    constraints=(
        defining("in_channels", (3,), "in_channels 3, the input's channel count"),
        defining("out_channels", (16,), "16 output channels"),
        defining("kernel_size", ((3, 3),), "a 3×3 kernel"),
        ZEROS,
    ),
    variants=public(((1, 3, 64, 64), "batch 1"), ((1, 3, 20, 48), "non-square"))
    + hidden(((2, 3, 2, 2), "the smallest even size"), ((3, 3, 14, 6), "non-square"))
    + random_hidden(COMBINATION_RULE, 3, seed=404, count=4, low=2, high=60),
)

SEVEN_RULE = spatial(None, shrink(2))
worked_7x7 = LayerSpec(
    id="worked_7x7",
    title="Worked example: a 7×7 image and a 3×3 filter",
    prompt=(
        "The lesson's worked example: a one-channel 7×7 image and one 3×3 filter, no padding, "
        "stride 1. Build that layer; its output should be 5×5."
    ),
    answer_name="conv7",
    points=1,
    solution="conv7 = nn.Conv2d(1, 1, kernel_size=3)",
    input_shape=(1, 1, 7, 7),
    rule=SEVEN_RULE,
    layer_types=CONV,
    constraints=(
        defining("in_channels", (1,), "one input channel"),
        defining("out_channels", (1,), "one filter, so one output channel"),
        defining("kernel_size", ((3, 3),), "a 3×3 filter"),
        ZEROS,
    ),
    variants=public(((2, 1, 3, 3), "batch 2, the smallest size a 3×3 filter fits"),
                    ((1, 1, 7, 12), "non-square"))
    + random_hidden(SEVEN_RULE, 1, seed=505, low=3),
)


def _lesson_layer() -> nn.Conv2d:
    return nn.Conv2d(in_channels=3, out_channels=5, kernel_size=5)


weight_shape = ValueSpec(
    id="weight_shape",
    title="Weight shape of nn.Conv2d(3, 5, 5)",
    prompt=(
        "The lesson defines `nn.Conv2d(in_channels=3, out_channels=5, kernel_size=5)`. "
        "Without running it, write the shape of its `weight` as a tuple."
    ),
    answer_name="weight_shape",
    points=1,
    solution="weight_shape = (5, 3, 5, 5)",
    expected=lambda: tuple(_lesson_layer().weight.shape),
    normalize=as_shape,
    mistakes=(
        Mistake(lambda v: v == (5, 5, 3, 5),
                "That is TensorFlow's (kh, kw, in, out) order; PyTorch stores "
                "(out_channels, in_channels, kh, kw)."),
        Mistake(lambda v: v == (3, 5, 5, 5),
                "The first dimension counts filters, that is output channels."),
        Mistake(lambda v: v == (5, 5, 5),
                "Each filter spans every input channel, so it has a channel dimension too."),
    ),
)

param_count = ValueSpec(
    id="param_count",
    title="Parameters of nn.Conv2d(3, 5, 5)",
    prompt="How many learnable parameters does that layer have? Count the bias too.",
    answer_name="n_params",
    points=1,
    solution="n_params = 5 * 3 * 5 * 5 + 5",
    expected=lambda: sum(p.numel() for p in _lesson_layer().parameters()),
    normalize=as_count,
    mistakes=(
        Mistake(lambda v: v == 375, "You counted the weights; each filter also has a bias."),
        Mistake(lambda v: v in (25, 26, 125, 130),
                "A '5×5 kernel' is shorthand: each filter is 5×5×3, spanning all input channels, "
                "and there are 5 filters."),
        Mistake(lambda v: v == 80, "Count the weights of all 5 filters, not one (and its bias)."),
    ),
)

explain_valid = WrittenSpec(
    id="explain_valid",
    title="Why did the size change?",
    prompt=(
        "In the padding exercise a 16×16 input became 12×12. Explain why, and give the general "
        "formula for the output size of a 'valid' convolution."
    ),
    rubric=(
        "Full marks: the kernel must fit entirely inside the input, so it has 16 − 5 + 1 = 12 "
        "positions per row and column; equivalently (k − 1)/2 = 2 pixels are lost on each side. "
        "General: H_out = H − k + 1 (stride 1, no padding). Half marks: correct number without "
        "the reason, or the reason without the formula."
    ),
    points=2,
)

halving_padding = WrittenSpec(
    id="halving_padding",
    title="Padding that halves",
    prompt=(
        "With a 3×3 kernel and stride 2 instead of 5×5, how much padding makes the layer exactly "
        "halve an even input size? Show how you get it from PyTorch's formula."
    ),
    rubric=(
        "Full marks: padding 1. From floor((H + 2p − 3)/2) + 1 = H/2 for even H, "
        "p = 1 (in general p = (k − 1)/2 for odd k: 5×5 needs 2). Half marks: the right "
        "number without a derivation."
    ),
    points=2,
)

SPECS = (worked_7x7, channels, padding, stride, combination, weight_shape, param_count)
WRITTEN = (explain_valid, halving_padding)
ASSIGNMENT = Assignment(
    name="conv_shapes",
    title="Convolution shapes: channels, padding and stride",
    notebook="conv_shapes.ipynb",
    exercises=tuple(s.id for s in SPECS),
    written=tuple(w.id for w in WRITTEN),
    minutes=45,
)
