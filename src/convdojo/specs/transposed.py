"""modern_convs, transposed convolutions: learnable upsampling, the weight's layout, and
``output_padding`` to undo a stride-2 convolution (catalogue items TC-1, TC-2)."""

from __future__ import annotations

from torch import nn

from .answers import as_shape
from .model import Constraint, LayerSpec, Mistake, ValueSpec, WrittenSpec, defining
from .rules import spatial, times
from .variants import Draw, public, varying

TCONV = (nn.ConvTranspose2d,)


def _io(cin: int, cout: int) -> tuple[Constraint, Constraint]:
    return (defining("in_channels", (cin,), f"in_channels {cin}"),
            defining("out_channels", (cout,), f"{cout} output channels"))


_TIMES = {2: "doubles", 3: "triples", 4: "quadruples"}


def _upsample(c_in: int, c_out: int, f: int, h: int) -> LayerSpec:
    return LayerSpec(
        id="upsample_transposed",
        title=f"Transposed convolution: learnable ×{f} upsampling",
        prompt=(
            f"Create a transposed convolution that {_TIMES[f]} H and W and turns {c_in} "
            f"channels into {c_out}, as in the decoder of a U-Net."
        ),
        answer_name="up",
        points=2,
        solution=f"up = nn.ConvTranspose2d({c_in}, {c_out}, kernel_size={f}, stride={f})",
        hints=(
            "ConvTranspose2d's output size is (H − 1)·stride − 2·padding + "
            "dilation·(kernel_size − 1) + output_padding + 1.",
            f"With stride {f}, which kernel size makes the windows tile the output exactly?",
        ),
        input_shape=(1, c_in, h, h),
        rule=spatial(c_out, times(f)),
        layer_types=TCONV,
        constraints=_io(c_in, c_out),
        variants=public(((2, c_in, 7, 7), "odd size"), ((1, c_in, 1, 5), "non-square, one row")),
        # at most 96 output pixels a side, as with ×2 on 48
        hidden_draws=(Draw('a 1×1 image', 1, 1),
                      Draw('non-square', 1, 16, square=False),
                      Draw("another size", 1, 96 // f, count=3)),
    )


upsample_transposed = varying(_upsample, {"c_in": (32, 64, 96, 128), "c_out": (16, 24, 32, 48),
                                          "f": (2, 3, 4), "h": (8, 12, 16)},
                              {"c_in": 64, "c_out": 32, "f": 2, "h": 16},
                              lambda c_in, c_out, f, h: c_out < c_in)  # a decoder narrows


def _tconv_shape(c_in: int, c_out: int, k: int) -> ValueSpec:
    return ValueSpec(
        id="tconv_weight_shape",
        title="Weight shape of a transposed convolution",
        prompt=(
            f"Write the shape of `nn.ConvTranspose2d({c_in}, {c_out}, kernel_size={k}, "
            f"stride={k}).weight` as a tuple, without running it. Careful: it is not stored "
            "like `nn.Conv2d`'s."
        ),
        answer_name="tconv_shape",
        points=1,
        solution=f"tconv_shape = ({c_in}, {c_out}, {k}, {k})",
        expected=lambda: tuple(nn.ConvTranspose2d(c_in, c_out, kernel_size=k,
                                                  stride=k).weight.shape),
        normalize=as_shape,
        mistakes=(
            Mistake(lambda v: v == (c_out, c_in, k, k),
                    f"That is nn.Conv2d's order (out, in, kh, kw). A transposed convolution is "
                    f"the gradient of the convolution that maps {c_out} channels to {c_in}, and "
                    "stores that convolution's weight: (in_channels, out_channels // groups, "
                    "kh, kw)."),
            Mistake(lambda v: isinstance(v, tuple) and len(v) == 3,
                    "Every filter has a channel dimension too: the weight is 4-D."),
        ),
    )


# c_in != c_out, or the Conv2d order would be right too
tconv_weight_shape = varying(_tconv_shape, {"c_in": (16, 32, 64, 128), "c_out": (8, 16, 32, 48),
                                            "k": (2, 3, 4)},
                             {"c_in": 64, "c_out": 32, "k": 2},
                             lambda c_in, c_out, k: c_in != c_out)


def _undo(c_small: int, c_big: int, k: int, h: int) -> LayerSpec:
    p, half = k // 2, h // 2
    return LayerSpec(
        id="undo_downsample",
        title="output_padding: undo a stride-2 convolution",
        prompt=(
            f"An encoder used `nn.Conv2d({c_small}, {c_big}, kernel_size={k}, stride=2, "
            f"padding={p})`, which maps {h}×{h} to {half}×{half}. Create the transposed "
            f"convolution with the same kernel size, stride and padding that maps {c_big} "
            f"channels back to {c_small} and {half}×{half} back to **{h}×{h}**: exactly twice "
            "the input size, for any input."
        ),
        answer_name="up",
        points=2,
        solution=(f"up = nn.ConvTranspose2d({c_big}, {c_small}, kernel_size={k}, stride=2, "
                  f"padding={p}, output_padding=1)"),
        hints=(
            f"The convolution maps both {h - 1}×{h - 1} and {h}×{h} to {half}×{half}, so going "
            "back is ambiguous.",
            "ConvTranspose2d's output_padding picks the larger of the possible sizes.",
        ),
        input_shape=(1, c_big, half, half),
        rule=spatial(c_small, times(2)),
        layer_types=TCONV,
        constraints=_io(c_big, c_small) + (
            defining("kernel_size", ((k, k),), f"the encoder's {k}×{k} kernel"),
            defining("stride", ((2, 2),), "the encoder's stride 2"),
            defining("padding", ((p, p),), f"the encoder's padding {p}"),
        ),
        variants=public(((1, c_big, 5, 5), "odd size"), ((2, c_big, 1, 3), "non-square")),
        hidden_draws=(Draw('non-square, odd', 1, 13, square=False, parity="mixed"),
                      Draw('a 1×1 map', 1, 1),
                      Draw("another size", 1, 48, count=3)),
    )


# The stride stays 2: the lesson's widget and the written question explain output_padding
# with a stride-2 convolution.
undo_downsample = varying(_undo, {"c_small": (4, 8, 12), "c_big": (16, 24, 32),
                                  "k": (3, 5, 7), "h": (8, 12, 16)},
                          {"c_small": 8, "c_big": 16, "k": 3, "h": 8})

not_an_inverse = WrittenSpec(
    id="not_an_inverse",
    title="Transposed is not inverse",
    prompt=(
        "Why is a transposed convolution not the inverse of the convolution it mirrors? "
        "Use the k3/s2/p1 convolution, which maps both 7×7 and 8×8 to 4×4, to explain why "
        "`output_padding` exists."
    ),
    rubric=(
        "Full marks (2): it restores the shape, not the values: it is the convolution's "
        "transpose (gradient) with its own learned weights, not its inverse (1 pt). Because "
        "of the floor in the output formula several input sizes give the same output size, "
        "so the transposed layer cannot know which to return; output_padding adds rows and "
        "columns on one side to pick 8 rather than 7 (1 pt)."
    ),
    points=2,
)
