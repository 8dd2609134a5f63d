"""Stacking layers: channels-last input, LeNet and its flatten, receptive fields, a residual block.

Catalogue items CL-1, SK-1, RF-1, SK-4 and W4/W7/W8/W16.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from . import matchers as m
from .answers import plain, same_count
from .extras import ExtraLayerSpec, ModelCheck, key_is
from .model import Assignment, FunctionSpec, Mistake, ValueSpec, WrittenSpec
from .rules import KEEP, Rule, spatial
from .stacking_residual import residual_down
from .variants import Draw, public, varying

# --- channels-last ----------------------------------------------------------------------


def _image_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The i-th hidden image's kind: an H×W×C uint8 image, a float32 one, an N×H×W×1
    uint8 batch (one channel), a float64 batch (sizes and values drawn)."""
    kind = i % 4
    channels = (rng.choice((3, 4)), 3, 1, 4)[kind]
    shape: tuple[int, ...] = (rng.randint(2, 9), rng.randint(2, 9), channels)
    if kind >= 2:
        shape = (rng.randint(1, 4), *shape)
    dtype = (np.uint8, np.float32, np.uint8, np.float64)[kind]
    values = np.random.default_rng(rng.getrandbits(64)).integers(0, 256, size=shape)
    return (values.astype(dtype),), {}


# Cannot vary: the function is the same for every student (its hidden calls are drawn).
channels_last = FunctionSpec(
    id="channels_last",
    title="From a channels-last image to an NCHW tensor",
    prompt=(
        "Image libraries (PIL, OpenCV, matplotlib) give an H×W×C NumPy array; a batch of "
        "them is N×H×W×C. Write `to_nchw(image)` that returns the float32 tensor of shape "
        "(1, C, H, W) for one image, or (N, C, H, W) for a batch, ready for `nn.Conv2d`. "
        "Keep the values as they are (no scaling to [0, 1]). The grader compares values, "
        "not only the shape. The shown cases use `np.arange(H*W*C) % 251` reshaped to "
        "(H, W, C) or (N, H, W, C), as uint8 or float64."
    ),
    answer_name="to_nchw",
    points=3,
    solution=(
        "def to_nchw(image):\n"
        "    t = torch.from_numpy(image)\n"
        "    if t.dim() == 3:\n"
        "        t = t.unsqueeze(0)  # (1, H, W, C)\n"
        "    return t.permute(0, 3, 1, 2).float()"
    ),
    hints=("A reshape keeps the order of the numbers in memory; moving an axis needs "
           "permute.",),
    cases=(
        ((m.arange_image(4, 6, 3),), {}, False),
        ((m.arange_image(2, 3, 5, 3, dtype=np.float64),), {}, False),
    ),
    hidden_case=_image_case,
    hidden_count=4,
    reference=m.to_nchw,
    compare=m.same_tensor,
    mistakes=(
        Mistake(m.reshaped,
                "Right shape, scrambled values: reshape/view reinterprets the numbers in "
                "their H, W, C memory order instead of moving the channel axis. Use "
                "permute."),
        Mistake(m.swapped_hw,
                "H and W are swapped: the channel axis must move to the front while H "
                "stays before W (permute(2, 0, 1), not (2, 1, 0))."),
        Mistake(m.wrong_dtype,
                "The values are right but the dtype is not float32: nn.Conv2d's weights are "
                "float32, so convert with .float()."),
        Mistake(m.no_batch,
                "The batch dimension is missing: one image becomes a batch of one, "
                "(1, C, H, W)."),
        Mistake(m.scaled,
                "You divided by 255: this exercise keeps the values unchanged."),
    ),
)

# --- LeNet ------------------------------------------------------------------------------


LENET_RULE = Rule("(N, 10): N kept; 28×28 images (up to 31×31) flatten to exactly the "
                  "in_features of the first nn.Linear, other sizes do not fit it",
                  m.lenet_rule, lambda s: len(s) == 4 and s[1] == 1, "1-channel images")
# Cannot vary: LeNet's numbers are the lesson's; the view(-1, 400) text and exercise after
# it are about its 16×5×5 features.
lenet = ExtraLayerSpec(
    id="lenet",
    title="LeNet: the flattened size must fit every batch",
    prompt=(
        "Build LeNet for 28×28 MNIST digits as one `nn.Sequential`, in this order: "
        "`Conv2d(1, 6, 5, padding=2)`, ReLU, 2×2 max pool, `Conv2d(6, 16, 5)`, ReLU, 2×2 max "
        "pool, `nn.Flatten()`, `Linear(?, 120)`, ReLU, `Linear(120, 84)`, ReLU, "
        "`Linear(84, 10)`. Work out `?`. The network must give one row of 10 logits per "
        "image for every batch size."
    ),
    answer_name="lenet",
    points=3,
    solution=(
        "lenet = nn.Sequential(\n"
        "    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),\n"
        "    nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),\n"
        "    nn.Flatten(),\n"
        "    nn.Linear(16 * 5 * 5, 120), nn.ReLU(),\n"
        "    nn.Linear(120, 84), nn.ReLU(),\n"
        "    nn.Linear(84, 10),\n"
        ")"
    ),
    hints=(
        "Follow H through each layer with the formula: the padded 5×5 convolution keeps "
        "it, each 2×2 pool halves it, the unpadded 5×5 convolution takes 4 off.",
        "nn.Flatten() keeps dimension 0 (the batch) and flattens C×H×W.",
    ),
    input_shape=(4, 1, 28, 28),
    rule=LENET_RULE,
    layer_types=(nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten, nn.Linear),
    container_types=(nn.Sequential,),
    min_layers=1,
    max_layers=20,
    variants=public(((1, 1, 28, 28), "batch 1"), ((25, 1, 28, 28), "batch 25"),
                    ((2, 1, 32, 32), "a 32×32 image: it does not flatten to 400, so torch "
                     "must refuse")),
    hidden_draws=(Draw("another batch size", 28, 28, max_batch=9),
                  Draw("non-square", 28, 31, square=False, count=2)),
    model_checks=(ModelCheck("the layer order", m.lenet_plan), ModelCheck("the convolutions",
                                                                   m.lenet_convs)),
)


def _flatten_batch(n: int, size: int) -> ValueSpec:
    image = 4 * size + 12  # LeNet without padding: (image − 4) / 2 − 4, halved again
    per_image = 16 * size * size
    rows = n * per_image // 400
    of = "" if image == 28 else f" of {image}×{image} pixels"
    return ValueSpec(
        id="flatten_batch",
        title="How view(-1, 400) corrupts a batch",
        prompt=(
            f"Without padding in the first convolution, LeNet's features for a batch of {n} "
            f"images{of} have shape ({n}, 16, {size}, {size}). A network written with "
            "`x.view(-1, 400)` does not crash on them. Predict both shapes:\n\n"
            "```python\nflat = {\"view\": features.view(-1, 400).shape, "
            "\"flatten\": features.flatten(1).shape}\n```\n\nWrite them as tuples."
        ),
        answer_name="flat",
        points=2,
        solution=f'flat = {{"view": ({rows}, 400), "flatten": ({n}, {per_image})}}',
        hints=("-1 means: whatever makes the total number of elements fit.",),
        expected=lambda: m.flatten_shapes(n, size),
        normalize=plain,
        mistakes=(
            Mistake(key_is("view", lambda v: v == (n, 400)),
                    "view does not know where one image ends: it cuts all the batch's numbers "
                    "into rows of 400, as many rows as fit, each mixing parts of different "
                    "images. Batch 4 would crash (its total is not a multiple of 400); batch "
                    f"{n} silently gives wrong rows."),
            Mistake(key_is("view", lambda v: v == (n, per_image)),
                    "That is what flatten(1) gives; view(-1, 400) forces 400 columns."),
            Mistake(key_is("flatten", lambda v: v in ((n, 400), (rows, 400))),
                    "flatten(1) keeps the batch and flattens each image's C·H·W features; that "
                    "is the size nn.Linear must then take."),
            Mistake(key_is("flatten", lambda v: v == (n * per_image,)),
                    "flatten() with no argument also flattens the batch; flatten(1) keeps it."),
        ),
    )


# Batches that are multiples of 25: 16·size² has no factor 5 for these sizes, so only then
# do the batch's numbers fill whole rows of 400 (view does not crash).  Size 5 gives 400.
flatten_batch = varying(_flatten_batch, {"n": (25, 50, 75, 100), "size": (4, 3, 6)},
                        {"n": 25, "size": 4})

# --- receptive field --------------------------------------------------------------------


def _stack_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A hidden stack of 1 to 4 (kernel_size, stride, dilation) convolutions."""
    return ([(rng.choice((1, 2, 3, 5, 7)), rng.choice((1, 1, 2)), rng.choice((1, 1, 2)))
             for _ in range(rng.randint(1, 4))],), {}


# Cannot vary: the function is the same for every student (its hidden calls are drawn).
receptive_field = FunctionSpec(
    id="receptive_field",
    title="The receptive field of a stack",
    prompt=(
        "Write `receptive_field(layers)`: `layers` lists the convolutions of a stack, input "
        "first, as `(kernel_size, stride, dilation)` tuples; return how many input pixels "
        "(along one side) one output pixel can see. The grader measures the true value by "
        "back-propagating from one output pixel of a real stack."
    ),
    answer_name="receptive_field",
    points=3,
    solution=(
        "def receptive_field(layers):\n"
        "    field, jump = 1, 1  # jump: input pixels between neighbouring positions\n"
        "    for kernel_size, stride, dilation in layers:\n"
        "        field += dilation * (kernel_size - 1) * jump\n"
        "        jump *= stride\n"
        "    return field"
    ),
    hints=("After a stride-2 layer, neighbouring positions are 2 input pixels apart.",),
    cases=(
        (([(3, 1, 1), (3, 1, 1)],), {}, False),
        (([(3, 2, 1), (3, 2, 1)],), {}, False),
        (([(3, 1, 1), (3, 1, 2), (3, 1, 4)],), {}, False),
    ),
    hidden_case=_stack_case,
    hidden_count=5,
    reference=m.measured_rf,
    compare=same_count,
    mistakes=(
        Mistake(m.no_dilation,
                "Dilation is ignored: a dilated kernel reaches dilation·(kernel_size − 1) + 1 "
                "pixels."),
        Mistake(m.no_jump,
                "Strides are ignored: after a stride-s layer, one step of the next kernel "
                "covers s input pixels, so its reach is multiplied by the product of the "
                "earlier strides."),
        Mistake(m.own_stride,
                "A layer's own stride does not widen what it sees; only the strides of the "
                "layers before it do."),
    ),
)


LAYERS = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


def _rf_stack(c_in: int, c_out: int, field: int) -> ExtraLayerSpec:
    plain_layers = (field - 1) // 2
    article = "an" if field in (8, 11, 18) else "a"
    convs = ",\n".join(f"    nn.Conv2d({c_in if i == 0 else c_out}, {c_out}, 3, padding=1)"
                        + (", nn.ReLU()" if i < plain_layers - 1 else "")
                        for i in range(plain_layers))
    return ExtraLayerSpec(
        id="rf_stack",
        title=f"A stack that sees {field}×{field}",
        prompt=(
            "Build an `nn.Sequential` of 3×3 convolutions (ReLUs between them are welcome) that "
            f"turns {c_in} channels into {c_out}, keeps H and W, and whose output pixels each "
            f"see {article} {field}×{field} patch of the input. The grader measures the "
            f"receptive field with autograd. Plain 3×3 layers need {LAYERS[plain_layers]}; "
            "dilation can do it with fewer."
        ),
        answer_name="stack",
        points=3,
        solution=f"stack = nn.Sequential(\n{convs},\n)",
        hints=("Each stride-1 3×3 layer adds 2 to the receptive field: 1 → 3 → 5 → ...",),
        input_shape=(1, c_in, 32, 32),
        rule=spatial(c_out, KEEP),
        layer_types=(nn.Conv2d, nn.ReLU),
        container_types=(nn.Sequential,),
        min_layers=1,
        max_layers=max(12, 2 * plain_layers),  # plain layers with a ReLU between each pair
        variants=public(((2, c_in, 21, 17), "odd, non-square")),
        hidden_draws=(Draw("a small odd size", 5, 11, square=True, parity="odd"),
                      Draw("non-square", 8, 40, square=False),
                      Draw("another size", 1, 40, count=3)),
        model_checks=(ModelCheck("only 3×3 kernels", m.only_3x3),
                      ModelCheck(f"a receptive field of {field}×{field}",
                                 m.rf_is(field, c_in))),
    )


# Odd fields only: every 3×3 layer adds 2·dilation, so a stack of them always sees an odd patch.
rf_stack = varying(_rf_stack, {"c_in": (2, 3, 4), "c_out": (8, 16, 32),
                               "field": (7, 9, 11, 13, 15)},
                   {"c_in": 3, "c_out": 16, "field": 11})

odd_branches = WrittenSpec(
    id="odd_branches",
    title="Why only odd sizes break the block",
    prompt=(
        "A classmate's block uses a 2×2 stride-2 convolution (no padding) in the main branch "
        "and your 1×1 stride-2 shortcut. It works on 32×32 but crashes on 7×7. Explain with "
        "the output-size formula why even sizes hide the bug."
    ),
    rubric=(
        "Full marks (2): main floor((7 − 2)/2) + 1 = 3, shortcut floor((7 − 1)/2) + 1 = 4, so "
        "the add fails; for even H both give H/2 (floor and ceil agree), so the mismatch "
        "never shows (1 pt each: the two numbers with the formula, the even-size argument). "
        "Mentioning that ceil(H/2) needs padding 1 for k3 (or k1 without padding) is a plus."
    ),
    points=2,
)

rf_not_size = WrittenSpec(
    id="rf_not_size",
    title="Receptive field is not output size",
    prompt=(
        "After two 3×3 convolutions with stride 2 (padding 1) a 28×28 image is 7×7, and the "
        "receptive field is 7. A student says: 'of course, the output is 7×7'. Explain why "
        "the two 7s are unrelated, and compare two stacked 3×3 convolutions with one 5×5 "
        "(receptive field, parameters for C channels in and out, non-linearities)."
    ),
    rubric=(
        "Full marks (3): output size counts positions (28 → 14 → 7 by the formula), the "
        "receptive field counts input pixels one output pixel sees (1 + 2 + 2·2 = 7); with a "
        "32×32 input the size would be 8 and the field still 7 (fastbook ch. 13) (1 pt). "
        "Two 3×3 have field 5 like one 5×5 (1 pt), with 2·9C² < 25C² weights and a ReLU in "
        "between, more non-linear (VGG, d2l 8.2) (1 pt)."
    ),
    points=3,
)

SPECS = (channels_last, lenet, flatten_batch, receptive_field, rf_stack, residual_down)
WRITTEN = (odd_branches, rf_not_size)
ASSIGNMENT = Assignment(
    name="stacking",
    title="Stacking layers: input layout, flatten, receptive fields and residual blocks",
    notebook="stacking.ipynb",
    exercises=tuple(s.id for s in SPECS),
    written=tuple(w.id for w in WRITTEN),
    minutes=75,
)
