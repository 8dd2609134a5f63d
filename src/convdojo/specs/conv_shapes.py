"""The core four (channels, padding, stride, combination) and the lesson's worked examples.

Drawn from the course activity "Convolution activity" and the AI Summer lesson
"Convolution in Practice" (see ../shared/seeds), with their known defects fixed:
exercise 3 asks for a 5x5 kernel and now checks it, the checks live outside the
student's cell, and the variants include batch 1, odd and non-square sizes.
"""

from __future__ import annotations

from torch import nn

from .answers import as_count, as_shape
from .model import ZEROS, Assignment, Constraint, LayerSpec, Mistake, ValueSpec, WrittenSpec, defining
from .rules import HALVE, KEEP, RAISES, Rule, shrink, spatial
from .variants import Draw, public, varying

CONV = (nn.Conv2d,)


def _bigger(value: tuple[int, int]) -> bool:
    return min(value) > 1


def _kernel_io(c_in: int, c_out: int, k: int, out_text: str) -> tuple[Constraint, ...]:
    """The defining constraints of a k×k convolution from c_in to c_out channels."""
    return (defining("in_channels", (c_in,), f"in_channels {c_in}, the input's channel count"),
            defining("out_channels", (c_out,), out_text),
            defining("kernel_size", ((k, k),), f"a {k}×{k} kernel"))


def _channels(c_in: int, c_out: int, k: int, h: int) -> LayerSpec:
    return LayerSpec(
        id="channels",
        title="Channels",
        prompt=(
            f"Create a convolution layer with a {k}×{k} kernel that turns the {c_in}-channel "
            f"input into a {c_out}-channel output, keeping the spatial size (H and W) of the "
            "input."
        ),
        answer_name="conv",
        points=2,
        solution=(f"conv = nn.Conv2d(in_channels={c_in}, out_channels={c_out}, kernel_size={k}, "
                  f"padding={(k - 1) // 2})"),
        hints=(
            "out_channels sets the number of output channels; in_channels must match the "
            "input's C.",
            f"A {k}×{k} kernel loses {(k - 1) // 2} pixel{'s' if k > 3 else ''} on each side "
            "unless you pad.",
        ),
        input_shape=(4, c_in, h, h),
        rule=spatial(c_out, KEEP),
        layer_types=CONV,
        constraints=(
            *_kernel_io(c_in, c_out, k, f"{c_out} output channels"),
            ZEROS,
        ),
        variants=public(((1, c_in, 17, 17), "batch 1, odd size"),
                        ((2, c_in, 12, 20), "non-square")),
        hidden_draws=(Draw("a small size", 3, 6, square=True), Draw("a 1×1 image", 1, 1),
                      Draw("non-square, odd", 5, 31, square=False, parity="odd"),
                      Draw("another size", 2, 48, count=3)),
    )


channels = varying(_channels, {"c_in": (1, 2, 3, 4), "c_out": (8, 12, 16, 24, 32),
                               "k": (3, 5), "h": (12, 14, 16, 18, 20)},
                   {"c_in": 3, "c_out": 16, "k": 3, "h": 16})


def _padding(c: int, k: int, h: int) -> LayerSpec:
    lost = k - 1
    rule = Rule(
        f"channels kept ({c}), spatial size shrinks by {lost}: a {k}×{k} kernel fits "
        f"{h} − {k} + 1 = {h - lost} times",
        lambda s: RAISES if min(s[2:]) < k else (s[0], s[1], s[2] - lost, s[3] - lost),
        lambda s: min(s[2:]) >= k,
        f"sizes of at least {k}",
    )
    return LayerSpec(
        id="padding",
        title="Padding",
        prompt=(
            f"Create a convolution layer with a {k}×{k} kernel, the same number of input and "
            "output channels, and 'valid' padding (no padding at all)."
        ),
        answer_name="conv",
        points=2,
        solution=f'conv = nn.Conv2d({c}, {c}, kernel_size={k}, padding="valid")',
        hints=("'valid' means the kernel must fit entirely inside the input.",),
        input_shape=(4, c, h, h),
        rule=rule,
        layer_types=CONV,
        constraints=(
            *_kernel_io(c, c, k, "as many output channels as input channels"),
            defining("padding_px", (((0, 0), (0, 0)),), "'valid' padding, i.e. none"),
            ZEROS,
        ),
        variants=public(((1, c, k, k), "batch 1, the smallest size that fits"),
                        ((2, c, k + 4, 20), "non-square"),
                        ((1, c, k - 1, k - 1), "too small: torch must refuse it")),
        hidden_draws=(Draw("non-square, odd", k, 31, square=False, parity="odd"),
                      Draw("odd size", k, 31, square=True, parity="odd"),
                      Draw("another size", k, 48, count=3)),
    )


padding = varying(_padding, {"c": (8, 12, 16, 20), "k": (3, 5, 7), "h": (14, 16, 18, 20)},
                  {"c": 16, "k": 5, "h": 16})


def _stride(c: int, k: int, h: int) -> LayerSpec:
    return LayerSpec(
        id="stride",
        title="Stride",
        prompt=(
            f"Create a strided convolution layer with a {k}×{k} kernel and as many output "
            "channels as input channels that exactly halves the spatial size, for any even H "
            "and W."
        ),
        answer_name="conv",
        points=2,
        solution=f"conv = nn.Conv2d({c}, {c}, kernel_size={k}, stride=2, padding={(k - 1) // 2})",
        hints=(
            "Stride 2 moves the window two pixels at a time.",
            f"Write out floor((H + 2·padding − {k}) / 2) + 1 = H / 2 and solve for padding.",
        ),
        input_shape=(4, c, h, h),
        rule=spatial(None, HALVE),
        layer_types=CONV,
        constraints=(
            *_kernel_io(c, c, k, "as many output channels as input channels"),
            defining("stride", _bigger, "a strided convolution (stride above 1)"),
            ZEROS,
        ),
        variants=public(((1, c, 100, 100), "batch 1, a size that is not a power of two"),
                        ((2, c, 38, 62), "non-square")),
        hidden_draws=(Draw("a small even size", 2, 8, square=True, parity="even"),
                      Draw("non-square", 6, 30, square=False, parity="even"),
                      Draw("another size", 2, 60, parity="even", count=4)),
    )


stride = varying(_stride, {"c": (1, 2, 3, 4, 6), "k": (5, 7), "h": (32, 48, 64)},
                 {"c": 3, "k": 5, "h": 64})


def _combination(c_in: int, c_out: int, k: int, h: int) -> LayerSpec:
    return LayerSpec(
        id="combination",
        title="Combination",
        prompt=(
            f"Combine what you used above: create a convolution layer with a {k}×{k} kernel "
            f"that turns the {c_in}-channel input into {c_out} channels and exactly halves the "
            "spatial size, for any even H and W."
        ),
        answer_name="conv",
        points=2,
        solution=(f"conv = nn.Conv2d(in_channels={c_in}, out_channels={c_out}, kernel_size={k}, "
                  f"stride=2, padding={(k - 1) // 2})"),
        hints=("Channels come from out_channels; the size comes from stride and padding "
               "together.",),
        input_shape=(4, c_in, h, h),
        rule=spatial(c_out, HALVE),
        layer_types=CONV,
        constraints=(
            *_kernel_io(c_in, c_out, k, f"{c_out} output channels"),
            ZEROS,
        ),
        variants=public(((1, c_in, 64, 64), "batch 1"), ((1, c_in, 20, 48), "non-square")),
        hidden_draws=(Draw("the smallest even size", 2, 2),
                      Draw("non-square", 6, 14, square=False, parity="even"),
                      Draw("another size", 2, 60, parity="even", count=4)),
    )


combination = varying(_combination, {"c_in": (1, 2, 3, 4), "c_out": (8, 16, 24, 32),
                                     "k": (3, 5), "h": (16, 32, 48)},
                      {"c_in": 3, "c_out": 16, "k": 3, "h": 32})

SEVEN_RULE = spatial(None, shrink(2))
# The lesson's worked example: its numbers are the lesson's, so it cannot vary.
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
                    ((1, 1, 7, 12), "non-square")),
    hidden_draws=(Draw("another size", 3, 48, count=3),),
)

# weight_shape and param_count ask about the same layer: one domain, shared numbers.
LAYER = {"c_in": (1, 2, 3, 4, 6), "c_out": (5, 8, 10, 12), "k": (3, 5, 7)}
LAYER_DEFAULTS = {"c_in": 3, "c_out": 5, "k": 5}


def _distinct(c_in: int, c_out: int, k: int) -> bool:
    """Distinct numbers keep each recognised mistake different from the right answer."""
    return len({c_in, c_out, k}) == 3


def _weight_shape(c_in: int, c_out: int, k: int) -> ValueSpec:
    return ValueSpec(
        id="weight_shape",
        title=f"Weight shape of nn.Conv2d({c_in}, {c_out}, {k})",
        prompt=(
            f"The lesson defines `nn.Conv2d(in_channels={c_in}, out_channels={c_out}, "
            f"kernel_size={k})`. Without running it, write the shape of its `weight` as a tuple."
        ),
        answer_name="weight_shape",
        points=1,
        solution=f"weight_shape = ({c_out}, {c_in}, {k}, {k})",
        expected=lambda: tuple(nn.Conv2d(c_in, c_out, k).weight.shape),
        normalize=as_shape,
        mistakes=(
            Mistake(lambda v: v == (k, k, c_in, c_out),
                    "That is TensorFlow's (kh, kw, in, out) order; PyTorch stores "
                    "(out_channels, in_channels, kh, kw)."),
            Mistake(lambda v: v == (c_in, c_out, k, k),
                    "The first dimension counts filters, that is output channels."),
            Mistake(lambda v: v == (c_out, k, k),
                    "Each filter spans every input channel, so it has a channel dimension too."),
        ),
    )


def _param_count(c_in: int, c_out: int, k: int) -> ValueSpec:
    weights = c_out * c_in * k * k
    return ValueSpec(
        id="param_count",
        title=f"Parameters of nn.Conv2d({c_in}, {c_out}, {k})",
        prompt="How many learnable parameters does that layer have? Count the bias too.",
        answer_name="n_params",
        points=1,
        solution=f"n_params = {c_out} * {c_in} * {k} * {k} + {c_out}",
        expected=lambda: sum(p.numel() for p in nn.Conv2d(c_in, c_out, k).parameters()),
        normalize=as_count,
        mistakes=(
            Mistake(lambda v: v == weights,
                    "You counted the weights; each filter also has a bias."),
            Mistake(lambda v: v in (k * k, k * k + 1, k * k * c_out, k * k * c_out + c_out),
                    f"A '{k}×{k} kernel' is shorthand: each filter is {k}×{k}×{c_in}, spanning "
                    f"all input channels, and there are {c_out} filters."),
            Mistake(lambda v: v == c_in * k * k + c_out,
                    f"Count the weights of all {c_out} filters, not one (and its bias)."),
        ),
    )


weight_shape = varying(_weight_shape, LAYER, LAYER_DEFAULTS, _distinct, group="lesson_layer")
param_count = varying(_param_count, LAYER, LAYER_DEFAULTS, _distinct, group="lesson_layer")

explain_valid = WrittenSpec(
    id="explain_valid",
    title="Why did the size change?",
    prompt=(
        "In the padding exercise the output is smaller than the input. Explain why, and give "
        "the general formula for the output size of a 'valid' convolution."
    ),
    rubric=(
        "Full marks: the kernel must fit entirely inside the input, so it has H − k + 1 "
        "positions per row and column (16 − 5 + 1 = 12 for a 16×16 input and a 5×5 kernel); "
        "equivalently (k − 1)/2 pixels are lost on each side. "
        "General: H_out = H − k + 1 (stride 1, no padding). Half marks: correct number without "
        "the reason, or the reason without the formula."
    ),
    points=2,
)

halving_padding = WrittenSpec(
    id="halving_padding",
    title="Padding that halves",
    prompt=(
        "With a 3×3 kernel and stride 2 instead of the stride exercise's kernel, how much padding makes the layer exactly "
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
