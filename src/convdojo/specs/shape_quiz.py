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
from .variants import varying

Item = tuple[str, Callable[[], nn.Module], tuple[int, ...]]

# Each item's numbers are one configuration from its list (filtered so that the item keeps
# its point: a refusal stays a refusal, a floor stays a floor); items are drawn
# independently.  The first of each list is today's.  Item f is AlexNet's, fixed: the
# written question alexnet_224 is about its 224.
SHAPE_CONFIGS: dict[str, tuple[tuple[int, ...], ...]] = {
    # (kernel, stride) of a padding="same" convolution: refused for any stride above 1
    "a": ((3, 2), (3, 3), (5, 2), (5, 3)),
    # the kernel of a pool padded by kernel // 2 + 1, one more than torch allows
    "b": ((3,), (2,), (4,), (5,)),
    # (kernel, dilation, H): the dilated kernel fits, with room to spare
    "c": tuple((k, d, h) for k, d, h in [(3, 2, 7)] + [(k, d, h) for k in (3, 5)
               for d in (2, 3) for h in (9, 11, 13)] if h - d * (k - 1) >= 2),
    # (stride H, stride W, H, W) of d2l's (3, 5) kernel with padding (0, 1)
    "d": ((3, 4, 8, 8), (2, 4, 8, 8), (3, 3, 8, 8), (2, 3, 8, 8),
          (3, 4, 9, 10), (2, 4, 9, 10), (3, 3, 9, 10), (2, 3, 9, 10)),
    # (kernel, stride, H) where (H − kernel) / stride is not an integer: PyTorch floors
    "e": tuple((k, s, h) for k, s, h in [(3, 2, 10)] + [(k, s, h) for k in (3, 5)
               for s in (2, 3) for h in (9, 11, 12, 13)] if (h - k) % s),
    # (kernel, H) of a ceil_mode pool where the kernel does not divide H
    "g": tuple((k, h) for k, h in [(2, 5)] + [(k, h) for k in (2, 3) for h in (7, 8, 10, 11)]
               if h % k),
    # (kernel, stride, H) of a transposed convolution with padding 1, where H·stride is wrong
    "h": tuple((k, s, h) for k, s, h in [(3, 2, 4)] + [(k, s, h) for k, s in ((3, 3), (4, 3))
               for h in (3, 5, 6)] + [(3, 2, 3), (3, 2, 5)] if k - 2 != s),
}


def _unique(configs: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(dict.fromkeys(configs))


SHAPE_CONFIGS = {key: _unique(configs) for key, configs in SHAPE_CONFIGS.items()}
SHAPE_DEFAULTS = {key: configs[0] for key, configs in SHAPE_CONFIGS.items()}


def shape_items(a: tuple[int, ...], b: tuple[int, ...], c: tuple[int, ...],
                d: tuple[int, ...], e: tuple[int, ...], g: tuple[int, ...],
                h: tuple[int, ...]) -> dict[str, Item]:
    """key: (code shown to the student, layer factory, input shape)."""
    (ak, as_), (bk,), (ck, cd, ch), (dsh, dsw, dh, dw) = a, b, c, d
    (ek, es, eh), (gk, gh), (hk, hs, hh) = e, g, h
    bp = bk // 2 + 1
    return {
        "a": (f'nn.Conv2d(3, 8, kernel_size={ak}, stride={as_}, padding="same")',
              lambda: nn.Conv2d(3, 8, kernel_size=ak, stride=as_, padding="same"),
              (1, 3, 8, 8)),
        "b": (f"nn.MaxPool2d(kernel_size={bk}, stride=2, padding={bp})",
              lambda: nn.MaxPool2d(kernel_size=bk, stride=2, padding=bp), (1, 1, 8, 8)),
        "c": (f"nn.Conv2d(1, 1, kernel_size={ck}, dilation={cd})",
              lambda: nn.Conv2d(1, 1, kernel_size=ck, dilation=cd), (1, 1, ch, ch)),
        "d": (f"nn.Conv2d(1, 1, kernel_size=(3, 5), padding=(0, 1), stride=({dsh}, {dsw}))",
              lambda: nn.Conv2d(1, 1, kernel_size=(3, 5), padding=(0, 1), stride=(dsh, dsw)),
              (1, 1, dh, dw)),
        "e": (f"nn.Conv2d(3, 4, kernel_size={ek}, stride={es})",
              lambda: nn.Conv2d(3, 4, kernel_size=ek, stride=es), (1, 3, eh, eh)),
        "f": ("nn.Conv2d(3, 96, kernel_size=11, stride=4)",
              lambda: nn.Conv2d(3, 96, kernel_size=11, stride=4), (1, 3, 224, 224)),
        "g": (f"nn.MaxPool2d({gk}, ceil_mode=True)",
              lambda: nn.MaxPool2d(gk, ceil_mode=True), (2, 16, gh, gh)),
        "h": (f"nn.ConvTranspose2d(4, 2, kernel_size={hk}, stride={hs}, padding=1)",
              lambda: nn.ConvTranspose2d(4, 2, kernel_size=hk, stride=hs, padding=1),
              (1, 4, hh, hh)),
    }


SHAPE_ITEMS = shape_items(**SHAPE_DEFAULTS)  # today's quiz (variants off)


def _table(items: dict[str, Item]) -> str:
    rows = "\n".join(f"| `{k}` | `{code}` | `{shape}` |" for k, (code, _, shape) in items.items())
    return "| key | layer | input shape |\n|---|---|---|\n" + rows


def _shape4(v: object) -> bool:
    return isinstance(v, tuple) and len(v) == 4


def _predict_shapes(**numbers: tuple[int, ...]) -> ValueSpec:
    items = shape_items(**numbers)
    (_, _), (bk,), (ck, cd, ch), (dsh, dsw, dh, dw) = (numbers[k] for k in "abcd")
    (ek, es, eh), (gk, gh), (hk, hs, hh) = (numbers[k] for k in "egh")
    span = cd * (ck - 1) + 1
    up = -(-(eh - ek) // es) + 1
    t_out = (hh - 1) * hs - 2 + hk

    @lru_cache(maxsize=1)
    def shapes() -> tuple[tuple[str, object], ...]:
        return tuple((k, outcome(make, shape)) for k, (_, make, shape) in items.items())

    return ValueSpec(
        id="predict_shapes",
        title="Predict the shape, or the error",
        prompt=(
            "For each layer below, predict what `layer(torch.randn(*input_shape))` gives: the "
            "output shape as a tuple, or, if torch refuses, the name of the exception as a "
            "string (`\"ValueError\"` or `\"RuntimeError\"`). Work them out with the formulas, "
            "not by running them; each right answer earns its share of the points.\n\n"
            + _table(items)
            + "\n\n```python\npredictions = {\"a\": ..., \"b\": ..., ..., \"h\": ...}\n```"
        ),
        answer_name="predictions",
        points=4,
        solution=(
            "predictions = {\n"
            f'    "a": "ValueError",      # padding="same" is refused for stride {numbers["a"][1]}\n'
            '    "b": "RuntimeError",    # pooling padding must be at most kernel_size // 2\n'
            f'    "c": (1, 1, {ch - span + 1}, {ch - span + 1}),'
            f"  # the dilated kernel spans {span} pixels: {ch} - {span} + 1\n"
            f'    "d": (1, 1, {(dh - 3) // dsh + 1}, {(dw + 2 - 5) // dsw + 1}),'
            f"  # floor(({dh} - 3)/{dsh}) + 1, floor(({dw} + 2 - 5)/{dsw}) + 1\n"
            f'    "e": (1, 4, {(eh - ek) // es + 1}, {(eh - ek) // es + 1}),'
            f"  # floor(({eh} - {ek})/{es}) + 1: PyTorch floors\n"
            '    "f": (1, 96, 54, 54),   # floor((224 - 11)/4) + 1\n'
            f'    "g": (2, 16, {-(-(gh - gk) // gk) + 1}, {-(-(gh - gk) // gk) + 1}),'
            f"  # ceil(({gh} - {gk})/{gk}) + 1\n"
            f'    "h": (1, 2, {t_out}, {t_out}),'
            f"  # ({hh} - 1)*{hs} - 2*1 + ({hk} - 1) + 1\n"
            "}"
        ),
        hints=("Conv2d: floor((H + 2p − d(k − 1) − 1)/s) + 1; "
               "ConvTranspose2d: (H − 1)s − 2p + d(k − 1) + output_padding + 1.",),
        expected=lambda: dict(shapes()),
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
                    f"Pooling padding must be at most half the kernel (here {bk // 2}): a "
                    "window could otherwise lie entirely in the padding. torch refuses it when "
                    "the layer is called."),
            Mistake(key_is("b", lambda v: v == "ValueError"),
                    "The pooling layer accepts the arguments when it is built; it refuses only "
                    "when called, in the computation itself, which raises another kind of "
                    "exception."),
            Mistake(key_is("c", lambda v: v == (1, 1, ch - ck + 1, ch - ck + 1)),
                    "Dilation spreads the kernel's taps apart: a dilated kernel spans "
                    "d·(k − 1) + 1 pixels, not k, and the output shrinks by that span minus one."),
            Mistake(key_is("d", _shape4),
                    f"H and W follow the formula separately: kernel 3, stride {dsh}, padding 0 "
                    f"for H; kernel 5, stride {dsw}, padding 1 for W (d2l 7.3)."),
            Mistake(key_is("e", lambda v: v == (1, 4, up, up)),
                    "(H − k)/s + 1 is not an integer here; PyTorch rounds down, it does not "
                    "refuse or round up (CS231n calls this configuration invalid)."),
            Mistake(key_is("f", lambda v: v == (1, 96, 55, 55)),
                    "That size needs a 227×227 input: with 224, (H − 11)/4 is not an integer, "
                    "and PyTorch rounds down."),
            Mistake(key_is("g", lambda v: v == (2, 16, gh // gk, gh // gk)),
                    "ceil_mode=True rounds up, keeping a last, partial window."),
            Mistake(key_is("h", lambda v: v == (1, 2, hh * hs, hh * hs)),
                    "Without output_padding a transposed convolution gives "
                    "(H − 1)s − 2p + d(k − 1) + 1: fill in the layer's numbers."),
            Mistake(key_is("h", lambda v: v == (1, 4, t_out, t_out)),
                    "out_channels is the second argument: 2 channels come out."),
        ),
    )


predict_shapes = varying(_predict_shapes, SHAPE_CONFIGS, SHAPE_DEFAULTS)

# (in, out, kernel) of the plain convolution, counted with and without its bias; no count
# equals a number the lesson or another item's message names (224, 120...)
PARAM_CONFIGS: dict[str, tuple[tuple[int, ...], ...]] = {
    "conv": tuple((ci, co, k) for ci in (3, 1, 4) for co in (16, 24, 32) for k in (3, 5)),
    # (in, out, groups) of a grouped 3×3 convolution
    "grouped": tuple((ci, co, g) for ci in (64, 32) for co in (128, 64) for g in (4, 2, 8)),
    # (in, out, kernel) of a stride-2 transposed convolution; in ≠ out tells the bias apart
    "transposed": tuple((ci, co, k) for ci in (64, 32, 128) for co in (32, 16) for k in (2, 4)
                        if ci != co),
    "linear": tuple((i, o) for i in (400, 256, 576) for o in (120, 84, 100)),
    # channel counts whose 2·C is no other number the messages name (filters, outputs)
    "batchnorm": ((64,), (24,), (48,), (96,)),
}
PARAM_DEFAULTS = {key: configs[0] for key, configs in PARAM_CONFIGS.items()}


def param_items(conv: tuple[int, ...], grouped: tuple[int, ...], transposed: tuple[int, ...],
                linear: tuple[int, ...], batchnorm: tuple[int, ...]
                ) -> dict[str, tuple[str, Callable[[], nn.Module]]]:
    (ci, co, k), (gi, go, g), (ti, to, tk), (li, lo), (bc,) = (conv, grouped, transposed,
                                                              linear, batchnorm)
    return {
        "conv": (f"nn.Conv2d({ci}, {co}, kernel_size={k})", lambda: nn.Conv2d(ci, co, k)),
        "no_bias": (f"nn.Conv2d({ci}, {co}, kernel_size={k}, bias=False)",
                    lambda: nn.Conv2d(ci, co, k, bias=False)),
        "grouped": (f"nn.Conv2d({gi}, {go}, kernel_size=3, groups={g})",
                    lambda: nn.Conv2d(gi, go, 3, groups=g)),
        "transposed": (f"nn.ConvTranspose2d({ti}, {to}, kernel_size={tk}, stride=2)",
                       lambda: nn.ConvTranspose2d(ti, to, tk, stride=2)),
        "linear": (f"nn.Linear({li}, {lo})", lambda: nn.Linear(li, lo)),
        "batchnorm": (f"nn.BatchNorm2d({bc})", lambda: nn.BatchNorm2d(bc)),
    }


PARAM_ITEMS = param_items(**PARAM_DEFAULTS)  # today's quiz (variants off)


def _predict_params(**numbers: tuple[int, ...]) -> ValueSpec:
    items = param_items(**numbers)
    (ci, co, k), (gi, go, g), (ti, to, tk), (li, lo), (bc,) = (
        numbers[key] for key in ("conv", "grouped", "transposed", "linear", "batchnorm"))

    def counts() -> dict[str, int]:
        return {key: sum(p.numel() for p in make().parameters())
                for key, (_, make) in items.items()}

    return ValueSpec(
        id="predict_params",
        title="Predict the parameter counts",
        prompt=(
            "How many learnable parameters (`sum(p.numel() for p in layer.parameters())`) "
            "does each layer have? Each right answer earns its share of the points.\n\n"
            "| key | layer |\n|---|---|\n"
            + "\n".join(f"| `{key}` | `{code}` |" for key, (code, _) in items.items())
            + "\n\n```python\nparams = {\"conv\": ..., \"no_bias\": ..., \"grouped\": ..., "
            "\"transposed\": ..., \"linear\": ..., \"batchnorm\": ...}\n```"
        ),
        answer_name="params",
        points=3,
        solution=(
            "params = {\n"
            f'    "conv": {co} * {ci} * {k} * {k} + {co},\n'
            f'    "no_bias": {co} * {ci} * {k} * {k},\n'
            f'    "grouped": {go} * ({gi} // {g}) * 3 * 3 + {go},\n'
            f'    "transposed": {ti} * {to} * {tk} * {tk} + {to},\n'
            f'    "linear": {li} * {lo} + {lo},\n'
            f'    "batchnorm": {bc} + {bc},  # weight and bias; running stats are buffers\n'
            "}"
        ),
        hints=("A convolution's weight is (out, in // groups, kh, kw), plus one bias per output "
               "channel.",),
        expected=counts,
        normalize=plain,
        mistakes=(
            Mistake(key_is("conv", lambda v: v == co * ci * k * k),
                    f"Each of the {co} filters also has a bias."),
            Mistake(key_is("no_bias", lambda v: v == co * ci * k * k + co),
                    "bias=False: there is no bias to count."),
            Mistake(key_is("grouped", lambda v: v == go * gi * 9 + go),
                    f"With groups={g} the input channels are split into {g} groups, and each "
                    "filter sees only its own group."),
            Mistake(key_is("transposed", lambda v: v == ti * to * tk * tk + ti),
                    f"The bias belongs to the output channels: {to} of them."),
            Mistake(key_is("linear", lambda v: v == li * lo),
                    f"Each of the {lo} outputs has a bias."),
            Mistake(key_is("batchnorm", lambda v: v == 4 * bc),
                    "running_mean and running_var are buffers, updated by statistics, not "
                    "learned: only weight and bias, one of each per channel, are parameters."),
            Mistake(key_is("batchnorm", lambda v: v == bc),
                    "BatchNorm learns a scale (weight) and a shift (bias) per channel."),
        ),
    )


predict_params = varying(_predict_params, PARAM_CONFIGS, PARAM_DEFAULTS)

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
