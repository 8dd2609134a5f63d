"""conv_computes, on the photograph: classic kernels, the edge magnitude, a colour kernel.

The written question on why stacked convolutions need a non-linearity lives here too.
"""

from __future__ import annotations

import torch

from . import compute_matchers as cm
from .extras import key_is
from .model import FunctionSpec, Mistake, ValueSpec, WrittenSpec

# The photo's exercises cannot vary: the classic kernels and the red detector are named
# filters whose values are the lesson, and the cells after them show their effect on the photo.
photo_kernels = ValueSpec(
    id="photo_kernels",
    title="Classic kernels",
    prompt=(
        "Write four 3×3 kernels as tensors, for `F.conv2d` (which does not flip them), in "
        "`kernels = {\"box_blur\": ..., \"sharpen\": ..., \"sobel_x\": ..., "
        "\"sobel_y\": ...}`:\n\n"
        "- `box_blur`: the mean of the 3×3 window;\n"
        "- `sharpen`: the pixel plus its 4-neighbour Laplacian (four times the pixel minus "
        "its up, down, left and right neighbours);\n"
        "- `sobel_x`: Sobel's horizontal gradient, positive where brightness increases to "
        "the right: the right column minus the left column, the middle row counting twice;\n"
        "- `sobel_y`: the same for brightness increasing downwards.\n\n"
        "The cell after the check shows what each one does to the photo."
    ),
    answer_name="kernels",
    points=4,
    solution=(
        "kernels = {\n"
        "    \"box_blur\": torch.ones(3, 3) / 9,\n"
        "    \"sharpen\": torch.tensor([[0., -1., 0.], [-1., 5., -1.], [0., -1., 0.]]),\n"
        "    \"sobel_x\": torch.tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]]),\n"
        "    \"sobel_y\": torch.tensor([[-1., -2., -1.], [0., 0., 0.], [1., 2., 1.]]),\n"
        "}"
    ),
    hints=(
        "A kernel that averages must keep a flat region's brightness: its weights sum to 1.",
        "Sharpen = identity + Laplacian: write both as 3×3 kernels and add them.",
        "F.conv2d multiplies x[i + u, j + v] by w[u, v]: the weight in column 2 meets the "
        "pixel to the right.",
    ),
    expected=lambda: dict(cm.KERNELS),
    normalize=cm.as_kernels,
    mistakes=(
        Mistake(key_is("box_blur", lambda v: _sums(v, 9)),
                "The weights sum to 9, so the photo gets 9 times brighter: a mean divides by "
                "the number of pixels."),
        Mistake(key_is("sharpen", lambda v: _sums(v, 0)),
                "The weights sum to 0: that is the Laplacian alone, an edge detector that "
                "turns flat regions black. Sharpening adds the pixel itself."),
        Mistake(key_is("sobel_x", lambda v: _negated(v, "sobel_x")),
                "The signs are reversed: this responds to brightness increasing to the left. "
                "F.conv2d does not flip the kernel, so the positive column is on the right."),
        Mistake(key_is("sobel_y", lambda v: _negated(v, "sobel_y")),
                "The signs are reversed: this responds to brightness increasing upwards; the "
                "positive row is at the bottom."),
        Mistake(key_is("sobel_x", lambda v: _is(v, "sobel_y")),
                "That is the vertical gradient: sobel_x compares the left and right columns."),
        Mistake(key_is("sobel_y", lambda v: _is(v, "sobel_x")),
                "That is the horizontal gradient: sobel_y compares the top and bottom rows."),
    ),
)


def _sums(value: object, total: float) -> bool:
    return isinstance(value, tuple) and abs(sum(sum(r) for r in value) - total) < 1e-3


def _is(value: object, name: str) -> bool:
    return value == cm.as_kernels({name: cm.KERNELS[name]})[name]


def _negated(value: object, name: str) -> bool:
    return value == cm.as_kernels({name: -cm.KERNELS[name]})[name]


edge_magnitude = FunctionSpec(
    id="edge_magnitude",
    title="Edge magnitude on the photo",
    prompt=(
        "Write `edge_magnitude(gray)`: `gray` is a (1, 1, H, W) grey image. Convolve it with "
        "Sobel x and Sobel y, as in your kernels above (zero padding of 1, so the map keeps H × W) and return "
        "the gradient's length at every pixel, √(gx² + gy²), as a (1, 1, H, W) tensor. The "
        "grader runs it on other crops of the photo."
    ),
    answer_name="edge_magnitude",
    points=2,
    solution=(
        "import torch.nn.functional as F\n\n"
        "def edge_magnitude(gray):\n"
        "    sobel_x = torch.tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]]).view(1, 1, 3, 3)\n"
        "    gx = F.conv2d(gray, sobel_x, padding=1)\n"
        "    gy = F.conv2d(gray, sobel_x.transpose(2, 3), padding=1)  # Sobel y\n"
        "    return torch.sqrt(gx ** 2 + gy ** 2)"
    ),
    hints=(
        "F.conv2d wants a 4-D weight: view a 3×3 kernel as (1, 1, 3, 3).",
        "gx and gy are two components of one vector at each pixel; the magnitude is its "
        "Euclidean length.",
    ),
    cases=(
        ((cm.photo_crop(20, 30, 40, 48),), {}, False),
    ),
    hidden_case=cm.crop_case,
    hidden_count=2,
    reference=cm.ref_edges,
    compare=cm.close,
    mistakes=(
        Mistake(cm.under(cm.edges_with(lambda gx, gy: gx ** 2 + gy ** 2)),
                "The square root is missing: the magnitude is the length √(gx² + gy²), not "
                "its square."),
        Mistake(cm.under(cm.edges_with(lambda gx, gy: gx.abs() + gy.abs())),
                "|gx| + |gy| is a cheaper approximation; the exercise asks for the Euclidean "
                "length."),
        Mistake(cm.under(cm.edges_with(lambda gx, gy: torch.sqrt(gx ** 2 + gy ** 2), 0)),
                "The map is smaller than the photo: pad by 1 so a 3×3 kernel keeps H × W."),
    ),
)

colour_kernel = ValueSpec(
    id="colour_kernel",
    title="One kernel, one feature: a red detector",
    prompt=(
        "A kernel over an RGB image has a weight for every channel, and its one output map "
        "is the feature it detects. Write `red_kernel`, a float weight tensor of shape "
        "(1, 3, kh, kw) for `F.conv2d(image, red_kernel)` (no bias), whose response is "
        "positive on pure red, zero on every grey (R = G = B, whatever the brightness: "
        "white, grey and black), and not positive on pure green or pure blue. The grader "
        "measures those four responses."
    ),
    answer_name="red_kernel",
    points=2,
    solution="red_kernel = torch.tensor([1.0, -0.5, -0.5]).view(1, 3, 1, 1)",
    hints=(
        "A 1×1 kernel is enough: the feature is in the channels, not in the neighbourhood.",
        "On a grey pixel every channel holds the same value g, so the response is g times "
        "the sum of the channel weights.",
    ),
    expected=lambda: torch.tensor([1.0, -0.5, -0.5]).view(1, 3, 1, 1),
    normalize=cm.colour_response,
    mistakes=(
        Mistake(key_is("grey", lambda v: v == "not zero"),
                "The kernel responds to grey: on a pixel with R = G = B = g the response is "
                "g × (the sum of the channel weights), so they must sum to zero."),
        Mistake(key_is("red", lambda v: v != "positive"),
                "Pure red only meets the red channel's weights: their sum must be positive."),
        Mistake(key_is("green", lambda v: v == "positive"),
                "The kernel also fires on green: the green channel's weights must not add "
                "to a positive response."),
        Mistake(key_is("blue", lambda v: v == "positive"),
                "The kernel also fires on blue: the blue channel's weights must not add to a "
                "positive response."),
    ),
)

linear_stack = WrittenSpec(
    id="linear_stack",
    title="Why a stack of convolutions needs a non-linearity",
    prompt=(
        "A student stacks three `nn.Conv2d` layers with nothing between them, hoping for a "
        "more powerful feature extractor. Explain why the stack computes nothing that one "
        "convolution could not (which kernel size would that one need, for three 3×3 "
        "layers?), and what a ReLU between the layers changes."
    ),
    rubric=(
        "Full marks (2): a convolution is a linear map (a matrix product, as im2col shows; "
        "bias makes it affine), and a composition of linear (affine) maps is linear "
        "(affine): three 3×3 layers equal one 7×7 convolution, whose kernel is the three "
        "kernels convolved together (1 pt; the 7×7 size is a plus). A non-linearity "
        "between layers (ReLU) breaks the composition, so the stack can represent functions "
        "no single convolution can, such as detecting a feature only where another one is "
        "present (1 pt). The lesson: 'since convolutions are linear operators, we include "
        "non-linear activation functions in between'."
    ),
    points=2,
)
