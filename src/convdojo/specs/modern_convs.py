"""Modern convolutions: dilation, 1×1, depthwise and separable, transposed; parameter counts.

Catalogue items DL-1, CH-2, GR-1, GR-2, PC-1, TC-1, TC-2 and W12/W13. The transposed
convolutions are in ``transposed``.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from . import matchers as m
from .answers import same_count
from .model import (Assignment, Constraint, FunctionSpec, LayerSpec, Mistake, WrittenSpec,
                    ZEROS, defining)
from .rules import KEEP, spatial
from .transposed import not_an_inverse, tconv_weight_shape, undo_downsample, upsample_transposed
from .variants import Draw, public, varying

CONV = (nn.Conv2d,)


def _io(cin: int, cout: int, layer: int = 0, where: str = "") -> tuple[Constraint, Constraint]:
    return (defining("in_channels", (cin,), f"in_channels {cin}{where}", layer),
            defining("out_channels", (cout,), f"{cout} output channels{where}", layer))


def _bias(text: str, layer: int = 0) -> Constraint:
    """A bias where the prompt counts one: missing it is a secondary slip."""
    return Constraint("bias", (True,), text, layer)


def _dilated(c: int, k: int, d: int, h: int) -> LayerSpec:
    span = d * (k - 1) + 1
    return LayerSpec(
        id="dilated_conv",
        title=f"Dilation: a wider view with the same {k * k} weights",
        prompt=(
            f"Create a {k}×{k} convolution with dilation {d}, {c} channels in and out, that "
            f"keeps H and W. Dilation spreads the {k * k} taps of the kernel {d} pixels apart, "
            f"so they cover a {span}×{span} area."
        ),
        answer_name="conv",
        points=2,
        solution=f"conv = nn.Conv2d({c}, {c}, kernel_size={k}, dilation={d}, padding={span // 2})",
        hints=(
            "A dilated kernel spans dilation·(kernel_size − 1) + 1 pixels.",
            "Keeping the size needs padding = (span − 1) / 2 on each side.",
        ),
        input_shape=(1, c, h, h),
        rule=spatial(None, KEEP),
        layer_types=CONV,
        constraints=_io(c, c) + (
            defining("kernel_size", ((k, k),), f"a {k}×{k} kernel"),
            defining("dilation", ((d, d),), f"dilation {d}"),
            ZEROS,
        ),
        variants=public(((2, c, 9, 9), "odd size"), ((1, c, 5, 12), "non-square")),
        hidden_draws=(Draw('a 1×1 image', 1, 1),
                      Draw('non-square, odd', 4, 26, square=False, parity="mixed"),
                      Draw("another size", 1, 48, count=3)),
    )


# The widget before it shows a 3×3 kernel with dilation 2; the exercise asks for the
# student's own kernel and dilation.
dilated_conv = varying(_dilated, {"c": (8, 12, 16, 24), "k": (3, 5), "d": (2, 3, 4),
                                  "h": (24, 28, 32)},
                       {"c": 16, "k": 3, "d": 2, "h": 32})


def _pointwise(c_in: int, c_out: int) -> LayerSpec:
    n = c_in * c_out + c_out
    return LayerSpec(
        id="pointwise_conv",
        title="1×1 convolution: mixing channels",
        prompt=(
            f"Create a layer that mixes {c_in} channels into {c_out} at every pixel "
            f"independently, keeping H and W: each output pixel must depend only on the {c_in} "
            f"values at the same position. It has {c_in}·{c_out} weights plus {c_out} biases = "
            f"{n} parameters."
        ),
        answer_name="mix",
        points=2,
        solution=f"mix = nn.Conv2d({c_in}, {c_out}, kernel_size=1)",
        hints=("Which kernel size looks at one pixel only?",),
        input_shape=(2, c_in, 28, 28),
        rule=spatial(c_out, KEEP),
        layer_types=CONV,
        constraints=_io(c_in, c_out) + (
            defining("kernel_size", ((1, 1),), f"one pixel at a time (a 1×1 kernel, "
                     f"{c_in}·{c_out} weights + {c_out} biases = {n} parameters)"),
            _bias(f"a bias (the {c_out} biases of the {n} parameters)"),
        ),
        variants=public(((1, c_in, 7, 9), "batch 1, non-square"),
                        ((5, c_in, 1, 1), "a 1×1 image")),
        hidden_draws=(Draw('odd size', 10, 19, square=True, parity="odd"),
                      Draw('non-square', 1, 37, square=False),
                      Draw("another size", 1, 48, count=3)),
    )


pointwise_conv = varying(_pointwise, {"c_in": (16, 24, 48, 64), "c_out": (8, 12, 32, 40)},
                         {"c_in": 64, "c_out": 32})

def _depthwise(c: int, k: int, h: int) -> LayerSpec:
    return LayerSpec(
        id="depthwise_conv",
        title="Depthwise convolution",
        prompt=(
            f"Create a depthwise {k}×{k} convolution on {c} channels that keeps H and W: each "
            f"output channel filters only its own input channel. Such a layer has one {k}×{k} "
            f"filter and one bias per channel, far fewer parameters than a standard {k}×{k} "
            f"convolution {c} → {c}; the check counts them."
        ),
        answer_name="depthwise",
        points=2,
        solution=(f"depthwise = nn.Conv2d({c}, {c}, kernel_size={k}, padding={k // 2}, "
                  f"groups={c})"),
        hints=(
            "nn.Conv2d's groups splits the channels into groups that do not see each other.",
            "With groups = in_channels, every filter sees exactly one channel.",
        ),
        input_shape=(2, c, h, h),
        rule=spatial(None, KEEP),
        layer_types=CONV,
        constraints=_io(c, c) + (
            defining("kernel_size", ((k, k),), f"a {k}×{k} kernel"),
            defining("groups", (c,), f"groups={c}, so that each filter sees only its own "
                     f"channel (one {k}×{k} filter and one bias per channel)"),
            _bias("a bias (one per channel)"),
            ZEROS,
        ),
        variants=public(((1, c, 5, 7), "batch 1, non-square, odd")),
        hidden_draws=(Draw('a 1×1 image', 1, 1),
                      Draw('non-square', 6, 22, square=False),
                      Draw("another size", 1, 48, count=3)),
    )


depthwise_conv = varying(_depthwise, {"c": (8, 12, 16, 24, 32, 48), "k": (3, 5),
                                      "h": (20, 24, 28)},
                         {"c": 32, "k": 3, "h": 28})


def _separable(c_in: int, c_out: int, k: int) -> LayerSpec:
    return LayerSpec(
        id="separable_conv",
        title="Depthwise-separable convolution (MobileNet)",
        prompt=(
            f"Replace a standard {k}×{k} convolution {c_in} → {c_out} by an `nn.Sequential` of "
            f"two convolutions that keeps H and W: a depthwise {k}×{k} on the {c_in} channels, "
            f"then a pointwise 1×1 from {c_in} to {c_out} channels. Both with a bias. The check "
            "counts the parameters of each layer."
        ),
        answer_name="separable",
        points=3,
        solution=(
            "separable = nn.Sequential(\n"
            f"    nn.Conv2d({c_in}, {c_in}, kernel_size={k}, padding={k // 2}, groups={c_in}),\n"
            f"    nn.Conv2d({c_in}, {c_out}, kernel_size=1),\n"
            ")"
        ),
        hints=("First filter each channel on its own, then mix channels per pixel.",),
        input_shape=(2, c_in, 28, 28),
        rule=spatial(c_out, KEEP),
        layer_types=CONV,
        container_types=(nn.Sequential,),
        min_layers=2,
        max_layers=2,
        constraints=(
            *_io(c_in, c_in, 0, " in the first layer"),
            defining("groups", (c_in,), f"a depthwise first layer: groups={c_in}, {c_in} "
                     f"filters of 1×{k}×{k} plus {c_in} biases", 0),
            defining("kernel_size", ((k, k),), f"a {k}×{k} kernel in the first layer", 0),
            _bias("a bias in the first layer", 0),
            *_io(c_in, c_out, 1, " in the second layer"),
            defining("kernel_size", ((1, 1),), f"a pointwise second layer: a 1×1 kernel, "
                     f"{c_out}·{c_in} weights plus {c_out} biases", 1),
            defining("groups", (1,), "a pointwise second layer that mixes all channels "
                     "(groups=1)", 1),
            _bias("a bias in the second layer", 1),
        ),
        variants=public(((1, c_in, 9, 13), "batch 1, non-square, odd")),
        hidden_draws=(Draw('a 1×1 image', 1, 1),
                      Draw('non-square', 2, 18, square=False),
                      Draw("another size", 1, 48, count=3)),
    )


separable_conv = varying(_separable, {"c_in": (16, 24, 32, 48), "c_out": (64, 96, 128),
                                      "k": (3, 5)},
                         {"c_in": 32, "c_out": 64, "k": 3})


def _conv_params_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The i-th hidden call's kind, so a mistake fails the same cases whatever the secret:
    two plain square kernels, a depthwise one, a non-square one with groups and no bias,
    a non-square one with groups, a 1×1 kernel."""
    kind = i % 6
    k = rng.randint(2, 7)
    wide = (rng.randint(1, 3), rng.randint(4, 7))
    groups = [1, 1, 0, 2, 3, 1][kind]
    c_in, c_out = rng.randint(1, 8), rng.randint(1, 8)
    if kind == 2:  # depthwise: groups = in_channels = out_channels
        groups = c_in = c_out = rng.randint(8, 32)
        return (c_in, c_out, k), {"groups": groups}
    kernel: Any = [k, k, k, wide, wide[::-1], 1][kind]
    kwargs: dict[str, Any] = {"groups": groups} if groups > 1 else {}
    if kind == 3:
        kwargs["bias"] = False
    return (groups * c_in, groups * c_out, kernel), kwargs


# Cannot vary: the answer is a general function, the same for every student; its hidden
# calls are drawn from the course secret (_conv_params_case).
conv_params = FunctionSpec(
    id="conv_params",
    title="Count the parameters of any convolution",
    prompt=(
        "Write `conv_params(in_channels, out_channels, kernel_size, bias=True, groups=1)` "
        "that returns the number of learnable parameters of `nn.Conv2d` with these "
        "arguments, without building the layer. `kernel_size` is an int or a pair "
        "(kh, kw). The grader compares your count with `sum(p.numel() for p in "
        "layer.parameters())` of real layers, including cases you have not seen."
    ),
    answer_name="conv_params",
    points=3,
    solution=(
        "def conv_params(in_channels, out_channels, kernel_size, bias=True, groups=1):\n"
        "    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) "
        "else kernel_size\n"
        "    weights = out_channels * (in_channels // groups) * kh * kw\n"
        "    return weights + (out_channels if bias else 0)"
    ),
    hints=("The weight tensor has shape (out_channels, in_channels // groups, kh, kw).",),
    cases=(
        ((3, 16, 3), {}, False),
        ((3, 16, 3), {"bias": False}, False),
        ((64, 128, 3), {"groups": 4}, False),
        ((3, 16, (3, 5)), {}, False),
    ),
    hidden_case=_conv_params_case,
    hidden_count=6,
    reference=m.real_conv_params,
    compare=same_count,
    mistakes=(
        Mistake(m.params_if({"bias": False}),
                "It looks like the bias is missing: with bias=True each output channel adds "
                "one parameter."),
        Mistake(m.params_if({"bias": True}),
                "With bias=False there is no bias to count."),
        Mistake(m.params_if({"groups": 1}),
                "It looks like groups is ignored: with groups=g each filter sees only "
                "in_channels // g input channels."),
        Mistake(m.square_kernel,
                "A non-square kernel (kh, kw) has kh·kw weights per channel; use both sides."),
    ),
)

separable_savings = WrittenSpec(
    id="separable_savings",
    title="Where do the separable savings come from?",
    prompt=(
        "Derive the parameter count of your separable block and of the standard "
        "convolution it replaces (biases included), give the ratio for C_in → C_out "
        "channels and a k×k kernel (ignore biases), and say what the separable block cannot represent."
    ),
    rubric=(
        "Full marks (3): the counts with the student's own numbers (`convdojo variant "
        "STUDENT separable_conv`); for 32 → 64 and 3×3, standard 64·32·9 + 64 = 18,496, "
        "separable 32·9 + 32 + 64·32 + 64 = 2432 (1 pt). Ratio (C_in·k² + C_in·C_out) / (C_in·C_out·k²) = 1/C_out + 1/k², "
        "about 1/9 + 1/64 for those numbers (1 pt). It cannot mix channels and space jointly: every "
        "output is a channel mix of per-channel spatial filters, a rank-limited "
        "factorisation of the full kernel (1 pt)."
    ),
    points=3,
)

SPECS = (dilated_conv, pointwise_conv, depthwise_conv, separable_conv, conv_params,
         upsample_transposed, tconv_weight_shape, undo_downsample)
WRITTEN = (separable_savings, not_an_inverse)
ASSIGNMENT = Assignment(
    name="modern_convs",
    title="Modern convolutions: dilation, 1×1, groups and transposed convolutions",
    notebook="modern_convs.ipynb",
    exercises=tuple(s.id for s in SPECS),
    written=tuple(w.id for w in WRITTEN),
    minutes=60,
)
