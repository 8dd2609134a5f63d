"""A prediction quiz: output shapes or exceptions, and parameter counts, against real torch.

Catalogue "prediction quiz" and W5/W14. Every expected answer is computed by building
the layer and running it (or counting its parameters) when the check runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from torch import nn

from .answers import plain
from .extras import key_is, outcome
from .model import Assignment, Mistake, ValueSpec, WrittenSpec

# key: (code shown to the student, layer factory, input shape)
SHAPE_ITEMS: dict[str, tuple[str, Callable[[], nn.Module], tuple[int, ...]]] = {
    "a": ('nn.Conv2d(3, 8, kernel_size=3, stride=2, padding="same")',
          lambda: nn.Conv2d(3, 8, kernel_size=3, stride=2, padding="same"), (1, 3, 8, 8)),
    "b": ("nn.MaxPool2d(kernel_size=3, stride=2, padding=2)",
          lambda: nn.MaxPool2d(kernel_size=3, stride=2, padding=2), (1, 1, 8, 8)),
    "c": ("nn.Conv2d(1, 1, kernel_size=3, dilation=2)",
          lambda: nn.Conv2d(1, 1, kernel_size=3, dilation=2), (1, 1, 7, 7)),
    "d": ("nn.Conv2d(1, 1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4))",
          lambda: nn.Conv2d(1, 1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4)),
          (1, 1, 8, 8)),
    "e": ("nn.Conv2d(3, 4, kernel_size=3, stride=2)",
          lambda: nn.Conv2d(3, 4, kernel_size=3, stride=2), (1, 3, 10, 10)),
    "f": ("nn.Conv2d(3, 96, kernel_size=11, stride=4)",
          lambda: nn.Conv2d(3, 96, kernel_size=11, stride=4), (1, 3, 224, 224)),
    "g": ("nn.MaxPool2d(2, ceil_mode=True)",
          lambda: nn.MaxPool2d(2, ceil_mode=True), (2, 16, 5, 5)),
    "h": ("nn.ConvTranspose2d(4, 2, kernel_size=3, stride=2, padding=1)",
          lambda: nn.ConvTranspose2d(4, 2, kernel_size=3, stride=2, padding=1), (1, 4, 4, 4)),
}


@lru_cache(maxsize=1)
def _shapes() -> tuple[tuple[str, object], ...]:
    return tuple((k, outcome(make, shape)) for k, (_, make, shape) in SHAPE_ITEMS.items())


def _table() -> str:
    rows = "\n".join(f"| `{k}` | `{code}` | `{shape}` |"
                     for k, (code, _, shape) in SHAPE_ITEMS.items())
    return "| key | layer | input shape |\n|---|---|---|\n" + rows



def _shape4(v: object) -> bool:
    return isinstance(v, tuple) and len(v) == 4


predict_shapes = ValueSpec(
    id="predict_shapes",
    title="Predict the shape, or the error",
    prompt=(
        "For each layer below, predict what `layer(torch.randn(*input_shape))` gives: the "
        "output shape as a tuple, or, if torch refuses, the name of the exception as a "
        "string (`\"ValueError\"` or `\"RuntimeError\"`). Work them out with the formulas, "
        "not by running them; each right answer earns its share of the points.\n\n"
        + _table()
        + "\n\n```python\npredictions = {\"a\": ..., \"b\": ..., ..., \"h\": ...}\n```"
    ),
    answer_name="predictions",
    points=4,
    solution=(
        "predictions = {\n"
        '    "a": "ValueError",      # padding="same" is refused for stride 2\n'
        '    "b": "RuntimeError",    # pooling padding must be at most kernel_size // 2\n'
        '    "c": (1, 1, 3, 3),      # the dilated kernel spans 5 pixels: 7 - 5 + 1\n'
        '    "d": (1, 1, 2, 2),      # floor((8 - 3)/3) + 1, floor((8 + 2 - 5)/4) + 1\n'
        '    "e": (1, 4, 4, 4),      # floor((10 - 3)/2) + 1: PyTorch floors\n'
        '    "f": (1, 96, 54, 54),   # floor((224 - 11)/4) + 1\n'
        '    "g": (2, 16, 3, 3),     # ceil((5 - 2)/2) + 1\n'
        '    "h": (1, 2, 7, 7),      # (4 - 1)*2 - 2*1 + (3 - 1) + 1\n'
        "}"
    ),
    hints=("Conv2d: floor((H + 2p − d(k − 1) − 1)/s) + 1; "
           "ConvTranspose2d: (H − 1)s − 2p + d(k − 1) + output_padding + 1.",),
    expected=lambda: dict(_shapes()),
    normalize=plain,
    mistakes=(
        Mistake(key_is("a", _shape4),
                "padding='same' would need a padding that depends on the input size when "
                "stride > 1, so PyTorch refuses it when the layer is built, in the "
                "constructor's argument check."),
        Mistake(key_is("a", lambda v: v == "RuntimeError"),
                "It is refused earlier, when the layer is built: the constructor checks its "
                "arguments, and a bad argument raises another kind of exception."),
        Mistake(key_is("b", _shape4),
                "Pooling padding must be at most half the kernel (here 1): a window could "
                "otherwise lie entirely in the padding. torch refuses it when the layer is "
                "called."),
        Mistake(key_is("b", lambda v: v == "ValueError"),
                "The pooling layer accepts the arguments when it is built; it refuses only "
                "when called, in the computation itself, which raises another kind of "
                "exception."),
        Mistake(key_is("c", lambda v: v == (1, 1, 5, 5)),
                "Dilation spreads the kernel's taps apart: a dilated kernel spans "
                "d·(k − 1) + 1 pixels, not k, and the output shrinks by that span minus one."),
        Mistake(key_is("d", _shape4),
                "H and W follow the formula separately: kernel 3, stride 3, padding 0 for H; "
                "kernel 5, stride 4, padding 1 for W (d2l 7.3)."),
        Mistake(key_is("e", lambda v: v == (1, 4, 5, 5)),
                "(H − k)/s + 1 is not an integer here; PyTorch rounds down, it does not "
                "refuse or round up (CS231n calls this configuration invalid)."),
        Mistake(key_is("f", lambda v: v == (1, 96, 55, 55)),
                "That size needs a 227×227 input: with 224, (H − 11)/4 is not an integer, "
                "and PyTorch rounds down."),
        Mistake(key_is("g", lambda v: v == (2, 16, 2, 2)),
                "ceil_mode=True rounds up, keeping a last, partial window."),
        Mistake(key_is("h", lambda v: v == (1, 2, 8, 8)),
                "Without output_padding a transposed convolution gives "
                "(H − 1)s − 2p + d(k − 1) + 1: fill in the layer's numbers."),
        Mistake(key_is("h", lambda v: v == (1, 4, 7, 7)),
                "out_channels is the second argument: 2 channels come out."),
    ),
)

PARAM_ITEMS: dict[str, tuple[str, Callable[[], nn.Module]]] = {
    "conv": ("nn.Conv2d(3, 16, kernel_size=3)", lambda: nn.Conv2d(3, 16, 3)),
    "no_bias": ("nn.Conv2d(3, 16, kernel_size=3, bias=False)",
                lambda: nn.Conv2d(3, 16, 3, bias=False)),
    "grouped": ("nn.Conv2d(64, 128, kernel_size=3, groups=4)",
                lambda: nn.Conv2d(64, 128, 3, groups=4)),
    "transposed": ("nn.ConvTranspose2d(64, 32, kernel_size=2, stride=2)",
                   lambda: nn.ConvTranspose2d(64, 32, 2, stride=2)),
    "linear": ("nn.Linear(400, 120)", lambda: nn.Linear(400, 120)),
    "batchnorm": ("nn.BatchNorm2d(64)", lambda: nn.BatchNorm2d(64)),
}


def _counts() -> dict[str, int]:
    return {k: sum(p.numel() for p in make().parameters())
            for k, (_, make) in PARAM_ITEMS.items()}


predict_params = ValueSpec(
    id="predict_params",
    title="Predict the parameter counts",
    prompt=(
        "How many learnable parameters (`sum(p.numel() for p in layer.parameters())`) does "
        "each layer have? Each right answer earns its share of the points.\n\n"
        "| key | layer |\n|---|---|\n"
        + "\n".join(f"| `{k}` | `{code}` |" for k, (code, _) in PARAM_ITEMS.items())
        + "\n\n```python\nparams = {\"conv\": ..., \"no_bias\": ..., \"grouped\": ..., "
        "\"transposed\": ..., \"linear\": ..., \"batchnorm\": ...}\n```"
    ),
    answer_name="params",
    points=3,
    solution=(
        "params = {\n"
        '    "conv": 16 * 3 * 3 * 3 + 16,\n'
        '    "no_bias": 16 * 3 * 3 * 3,\n'
        '    "grouped": 128 * (64 // 4) * 3 * 3 + 128,\n'
        '    "transposed": 64 * 32 * 2 * 2 + 32,\n'
        '    "linear": 400 * 120 + 120,\n'
        '    "batchnorm": 64 + 64,  # weight and bias; running stats are buffers\n'
        "}"
    ),
    hints=("A convolution's weight is (out, in // groups, kh, kw), plus one bias per output "
           "channel.",),
    expected=_counts,
    normalize=plain,
    mistakes=(
        Mistake(key_is("conv", lambda v: v == 432), "Each of the 16 filters also has a bias."),
        Mistake(key_is("no_bias", lambda v: v == 448), "bias=False: there is no bias to count."),
        Mistake(key_is("grouped", lambda v: v == 128 * 64 * 9 + 128),
                "With groups=4 each filter sees only 64 / 4 = 16 input channels."),
        Mistake(key_is("transposed", lambda v: v == 64 * 32 * 4 + 64),
                "The bias belongs to the output channels: 32 of them."),
        Mistake(key_is("linear", lambda v: v == 48000), "Each of the 120 outputs has a bias."),
        Mistake(key_is("batchnorm", lambda v: v == 256),
                "running_mean and running_var are buffers, updated by statistics, not "
                "learned: only weight and bias, one of each per channel, are parameters."),
        Mistake(key_is("batchnorm", lambda v: v == 64),
                "BatchNorm learns a scale (weight) and a shift (bias) per channel."),
    ),
)

alexnet_224 = WrittenSpec(
    id="alexnet_224",
    title="AlexNet's 224",
    prompt=(
        "CS231n notes that AlexNet's paper claims 224×224 inputs, but with an 11×11 kernel "
        "and stride 4 the arithmetic only works for 227×227. PyTorch accepts 224 without "
        "complaint (item f). Is the configuration 'invalid'? What happens to the "
        "last rows and columns of the image?"
    ),
    rubric=(
        "Full marks (2): (224 − 11)/4 + 1 = 54.25 is not an integer; PyTorch floors, so the "
        "kernel's last position ends at pixel 53·4 + 11 = 223 and the last 224 − 223 = 1 "
        "row and column are never seen (1 pt). It is not refused, only wasteful or "
        "surprising; 227 makes the windows tile exactly and gives 55 (1 pt). Padding 2 also "
        "gives 55, but (224 + 4 − 11)/4 = 217/4 is not an integer either: the last padded "
        "row and column are still never read."
    ),
    points=2,
)

same_stride = WrittenSpec(
    id="same_stride",
    title="Why no 'same' with stride 2?",
    prompt=(
        "What does PyTorch do with `padding='same'` when the stride is greater than 1 "
        "(item a), and why? How do you get TensorFlow's 'SAME' output size ceil(H/2) with a "
        "3×3 kernel and stride 2?"
    ),
    rubric=(
        "Full marks (2): the padding that gives ceil(H/s) depends on H (and can be "
        "asymmetric), but a layer's padding is fixed when it is built (pytorch issues "
        "#3867, #67551) (1 pt). For k3/s2, padding=1 gives ceil(H/2) for every H; in "
        "general pad explicitly, e.g. with F.pad, possibly asymmetrically (1 pt)."
    ),
    points=2,
)

SPECS = (predict_shapes, predict_params)
WRITTEN = (alexnet_224, same_stride)
ASSIGNMENT = Assignment(
    name="shape_quiz",
    title="Prediction quiz: shapes, errors and parameter counts",
    notebook="shape_quiz.ipynb",
    exercises=tuple(s.id for s in SPECS),
    written=tuple(w.id for w in WRITTEN),
    minutes=25,
)
