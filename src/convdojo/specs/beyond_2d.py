"""Beyond 2-D: Conv1d on audio waveforms (N, C, L), Conv3d on video clips (N, C, T, H, W).

A strided Conv1d front end, a dilated causal stack with a given receptive field, a Conv3d
that keeps T and halves H and W, and the parameter count of (1, k, k) against (k, k, k)
kernels. Each axis follows the same formula as H and W (``convdojo.shapes_nd``). The
causal stack is in ``causal``.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from . import matchers as m
from .answers import same_count
from .causal import causal_stack
from .causal import measure_1d as measure_1d  # re-exported: tests and callers use it here
from .model import Assignment, Draw, FunctionSpec, LayerSpec, Mistake, WrittenSpec, defining
from .rules import CEIL_HALF, KEEP, floor_div, spatial_nd
from .variants import public, varying

# --- audio: a strided front end -----------------------------------------------------------

def _frontend(c_out: int, s: int) -> LayerSpec:
    return LayerSpec(
        id="audio_frontend",
        title=f"A Conv1d front end that downsamples a waveform by {s}",
        prompt=(
            "A batch of mono waveforms has shape (N, 1, L): one channel, L samples. Create one "
            f"`nn.Conv1d` from 1 to {c_out} channels that turns L samples into floor(L / {s}) "
            f"frames, for every L of at least {s}. Choose the kernel size, the stride and the "
            "padding."
        ),
        answer_name="frontend",
        points=3,
        solution=f"frontend = nn.Conv1d(1, {c_out}, kernel_size={2 * s}, stride={s}, "
                 f"padding={s // 2})",
        hints=(
            "L follows the same formula as H: floor((L + 2·padding − kernel_size) / stride) + 1.",
            f"Downsampling by {s} needs stride {s}; then pick the padding so that the kernel "
            f"loses nothing: (L + 2·padding − kernel_size) / {s} + 1 must equal L / {s}.",
        ),
        input_shape=(2, 1, 16000),
        rule=spatial_nd(c_out, floor_div(s)),
        layer_types=(nn.Conv1d,),
        variants=public(((1, 1, 4001), f"a length that is not a multiple of {s}"),
                        ((3, 1, 2 * s), "a short clip")),
        hidden_draws=(Draw("the shortest clip", s, s, max_batch=1, dims=1),
                      Draw("a long clip", 8000, 24000, max_batch=2, dims=1),
                      Draw("an odd length", 5, 2001, parity="odd", dims=1),
                      Draw("another length", s, 5000, dims=1)),
    )


# An even factor, so that a kernel of 2·s with padding s / 2 is one right answer.
audio_frontend = varying(_frontend, {"c_out": (16, 24, 32, 48, 64), "s": (2, 4, 8)},
                         {"c_out": 32, "s": 4})

# --- video: keep T, halve H and W -----------------------------------------------------------

def _video(c_out: int, k: int, t: int, h: int) -> LayerSpec:
    return LayerSpec(
        id="video_conv",
        title="A Conv3d that keeps time and halves space",
        prompt=(
            "A batch of RGB clips has shape (N, C, T, H, W) = (N, 3, frames, height, width). "
            f"Create one `nn.Conv3d` from 3 to {c_out} channels with a kernel that spans {k} "
            "pixels in H and W that keeps T and gives ceil(H / 2) × ceil(W / 2), for any T, H "
            f"and W. Whether the kernel also spans {k} frames is your choice. Per-axis tuples "
            "are welcome."
        ),
        answer_name="video",
        points=3,
        solution=(f"video = nn.Conv3d(3, {c_out}, kernel_size={k}, stride=(1, 2, 2), "
                  f"padding={k // 2})"),
        hints=(
            "Each of T, H and W follows its own copy of the formula, with its own kernel_size, "
            "stride and padding.",
            "Halving needs stride 2 on H and W only; keeping T needs stride 1 there and the "
            f"padding that a kernel of {k} (or 1) needs along T.",
        ),
        input_shape=(2, 3, t, h, h),
        rule=spatial_nd(c_out, KEEP, CEIL_HALF, CEIL_HALF),
        layer_types=(nn.Conv3d,),
        constraints=(defining("kernel_size", lambda size: tuple(size)[1:] == (k, k),
                              f"a kernel of {k}×{k} pixels in H and W"),),
        variants=public(((1, 3, 5, 7, 9), "odd sizes everywhere"),
                        ((1, 3, 16, 12, 20), "a longer clip")),
        hidden_draws=(Draw("one frame of one pixel", 1, 1, max_batch=1, dims=3),
                      Draw("sizes that differ, odd and even", 2, 17, square=False,
                           parity="mixed", dims=3),
                      Draw("odd sizes", 3, 31, max_batch=2, parity="odd", dims=3)),
    )


video_conv = varying(_video, {"c_out": (8, 12, 16, 24, 32), "k": (3, 5), "t": (6, 8, 10),
                              "h": (24, 32, 40)},
                     {"c_out": 16, "k": 3, "t": 8, "h": 32})

# --- video: the parameters of (1, k, k) and (k, k, k) kernels ---------------------------------

def _conv3d_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The i-th hidden call's kind: (kt, 1, 1), a cube given as an int, (kt, k, k),
    (1, k, k) without bias, any (kt, kh, kw)."""
    k = rng.randint(2, 7)
    kernel: Any = [(rng.randint(2, 3), 1, 1), rng.randint(2, 5), (rng.randint(2, 3), k, k),
                   (1, k, k), (rng.randint(1, 3), rng.randint(1, 7), rng.randint(1, 7))][i % 5]
    kwargs = {"bias": False} if i % 5 == 3 else {}
    return (rng.randint(1, 64), rng.randint(1, 64), kernel), kwargs



def real_conv3d_params(in_channels: int, out_channels: int, kernel_size: Any,
                       bias: bool = True) -> int:
    """What a real nn.Conv3d with these arguments counts."""
    return m.counted_params(nn.Conv3d, in_channels, out_channels, kernel_size, bias=bias)


def _bound(args: tuple, kwargs: dict) -> dict[str, Any]:
    return m.bound(real_conv3d_params, args, kwargs)


def _kernel(k: Any) -> tuple[int, int, int]:
    return (k, k, k) if isinstance(k, int) else (int(k[0]), int(k[1]), int(k[2]))


def _without_bias(case: tuple) -> bool:
    args, kwargs, got = case
    a = _bound(args, kwargs)
    return bool(a["bias"]) and got == real_conv3d_params(**{**a, "bias": False})


def _as_2d(case: tuple) -> bool:
    """The 2-D count: the kernel's time extent left out (k·k instead of kt·kh·kw)."""
    args, kwargs, got = case
    a = _bound(args, kwargs)
    kt, kh, kw = _kernel(a["kernel_size"])
    return kt > 1 and got == real_conv3d_params(**{**a, "kernel_size": (1, kh, kw)})


def _no_in_channels(case: tuple) -> bool:
    args, kwargs, got = case
    a = _bound(args, kwargs)
    return a["in_channels"] > 1 and got == real_conv3d_params(**{**a, "in_channels": 1})


# Cannot vary: the answer is a general function, the same for every student; its hidden
# calls are drawn from the course secret (_conv3d_case).
conv3d_params = FunctionSpec(
    id="conv3d_params",
    title="(1, k, k) or (k, k, k): what a time extent costs",
    prompt=(
        "Write `conv3d_params(in_channels, out_channels, kernel_size, bias=True)` that returns "
        "the number of learnable parameters of `nn.Conv3d` with these arguments, without "
        "building the layer. `kernel_size` is an int or a triple (kt, kh, kw): a (1, k, k) "
        "kernel looks at one frame at a time, a (k, k, k) kernel at k frames. The grader "
        "compares with `sum(p.numel() for p in layer.parameters())` of real layers, "
        "including cases you have not seen."
    ),
    answer_name="conv3d_params",
    points=3,
    solution=(
        "def conv3d_params(in_channels, out_channels, kernel_size, bias=True):\n"
        "    kt, kh, kw = (kernel_size,) * 3 if isinstance(kernel_size, int) else kernel_size\n"
        "    return out_channels * in_channels * kt * kh * kw + (out_channels if bias else 0)"
    ),
    hints=("The weight has shape (out_channels, in_channels, kt, kh, kw).",),
    cases=(
        ((3, 16, 3), {}, False),
        ((64, 64, (1, 3, 3)), {}, False),
        ((64, 64, (3, 3, 3)), {"bias": False}, False),
    ),
    hidden_case=_conv3d_case,
    hidden_count=5,
    reference=real_conv3d_params,
    compare=same_count,
    mistakes=(
        Mistake(_without_bias, "It looks like the bias is missing: with bias=True each "
                "output channel adds one parameter."),
        Mistake(_as_2d, "That is the count of a (1, k, k) kernel: a Conv3d kernel also spans "
                "kt frames, so it has kt·kh·kw weights per input channel."),
        Mistake(_no_in_channels, "Each filter spans every input channel: multiply by "
                "in_channels as well."),
    ),
)

# Misconceptions recognised by recomputation (value_errors.FUNCTION_ERRORS reads them).
FUNCTION_ERRORS = {"conv3d_params": (
    ("params.bias_forgotten",
     lambda i, o, k, bias=True: real_conv3d_params(i, o, k, bias=False)),
)}

why_2plus1 = WrittenSpec(
    id="why_2plus1",
    title="One frame or several",
    prompt=(
        "Compare `nn.Conv3d(64, 64, (3, 3, 3))` with `nn.Conv3d(64, 64, (1, 3, 3))`: give both "
        "parameter counts, say what each kernel can and cannot detect in a clip, and name a "
        "way to see motion with mostly (1, 3, 3) kernels."
    ),
    rubric=(
        "Full marks (2): 110 656 against 36 928 parameters, three times the weights (1 pt); "
        "a (1, 3, 3) kernel sees one frame, so it finds shapes but never motion, which needs "
        "a kernel spanning several frames, e.g. a (3, 1, 1) layer after it ((2+1)-D "
        "convolutions, R(2+1)D) or a few (3, 3, 3) layers (1 pt)."
    ),
    points=2,
)

SPECS: tuple[LayerSpec | FunctionSpec, ...] = (audio_frontend, causal_stack, video_conv,
                                               conv3d_params)
WRITTEN = (why_2plus1,)
ASSIGNMENT = Assignment(
    name="beyond_2d",
    title="Beyond 2-D: Conv1d on audio, Conv3d on video",
    notebook="beyond_2d.ipynb",
    exercises=tuple(s.id for s in SPECS),
    written=tuple(w.id for w in WRITTEN),
    minutes=60,
)
