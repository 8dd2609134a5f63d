"""Beyond 2-D: Conv1d on audio waveforms (N, C, L), Conv3d on video clips (N, C, T, H, W).

A strided Conv1d front end, a dilated causal stack with a given receptive field, a Conv3d
that keeps T and halves H and W, and the parameter count of (1, k, k) against (k, k, k)
kernels. Each axis follows the same formula as H and W (``convdojo.shapes_nd``).
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from . import matchers as m
from .answers import same_count
from .extras import ExtraLayerSpec, ModelCheck, convs
from .model import Assignment, Draw, FunctionSpec, LayerSpec, Mistake, WrittenSpec, defining
from .rules import CEIL_HALF, KEEP, floor_div, spatial_nd
from .variants import public

# --- audio: a strided front end -----------------------------------------------------------

FRONT_RULE = spatial_nd(32, floor_div(4))
audio_frontend = LayerSpec(
    id="audio_frontend",
    title="A Conv1d front end that downsamples a waveform by 4",
    prompt=(
        "A batch of mono waveforms has shape (N, 1, L): one channel, L samples. Create one "
        "`nn.Conv1d` from 1 to 32 channels that turns L samples into floor(L / 4) frames, "
        "for every L of at least 4. Choose the kernel size, the stride and the padding."
    ),
    answer_name="frontend",
    points=3,
    solution="frontend = nn.Conv1d(1, 32, kernel_size=8, stride=4, padding=2)",
    hints=(
        "L follows the same formula as H: floor((L + 2·padding − kernel_size) / stride) + 1.",
        "Downsampling by 4 needs stride 4; then pick the padding so that the kernel "
        "loses nothing: (L + 2·padding − kernel_size) / 4 + 1 must equal L / 4.",
    ),
    input_shape=(2, 1, 16000),
    rule=FRONT_RULE,
    layer_types=(nn.Conv1d,),
    variants=public(((1, 1, 4001), "a length that is not a multiple of 4"),
                    ((3, 1, 8), "a short clip")),
    hidden_draws=(Draw("the shortest clip", 4, 4, max_batch=1, dims=1),
                  Draw("a long clip", 8000, 24000, max_batch=2, dims=1),
                  Draw("an odd length", 5, 2001, parity="odd", dims=1),
                  Draw("another length", 4, 5000, dims=1)),
)

# --- audio: a dilated causal stack ---------------------------------------------------------


def measure_1d(model: nn.Module, in_channels: int, length: int = 96,
               at: int = 60) -> tuple[int, int] | None:
    """(first, last) input sample that output sample ``at`` depends on, measured with
    autograd (positive weights, zero biases: no ReLU is dead, no paths cancel)."""
    probe = copy.deepcopy(model).to("cpu", torch.float64).eval()
    with torch.no_grad():
        for layer in probe.modules():
            w, b = getattr(layer, "weight", None), getattr(layer, "bias", None)
            if isinstance(w, torch.Tensor):
                w.fill_(1.0 / max(1, w[0].numel()) if w.dim() > 1 else 1.0)
            if isinstance(b, torch.Tensor):
                b.zero_()
    x = torch.ones(1, in_channels, length, dtype=torch.float64, requires_grad=True)
    try:
        out = probe(x)
        out[0, :, min(at, out.shape[-1] - 1)].sum().backward()
    except (RuntimeError, IndexError, ValueError):
        return None
    seen = torch.nonzero(x.grad.abs().sum(dim=(0, 1)) > 0).flatten() if x.grad is not None \
        else torch.zeros(0)
    return (int(seen.min()), int(seen.max())) if len(seen) else None


def _causal(model: nn.Module) -> tuple[bool, str]:
    seen = measure_1d(model, 16)
    if seen is None:
        return False, "The output sample could not be traced back to the input."
    if seen[1] > 60:
        return False, (f"The stack is not causal: output sample 60 depends on input samples "
                       f"up to {seen[1]}, that is on the future. Pad only on the left "
                       "(nn.ZeroPad1d((left, 0))); padding=p in Conv1d pads both sides.")
    return True, "The stack is causal: each output sample sees only the past and present."


def _field_15(model: nn.Module) -> tuple[bool, str]:
    seen = measure_1d(model, 16)
    field = seen[1] - seen[0] + 1 if seen else 0
    if field == 15:
        return True, "The measured receptive field is 15 samples, as asked."
    return False, (f"The measured receptive field is {field} samples, not 15: a kernel of 3 "
                   "with dilation d adds 2·d samples, so three layers need dilations that "
                   "add up to 7.")


def _kernel_3(model: nn.Module) -> tuple[bool, str]:
    layers = convs(model)
    bad = [tuple(c.kernel_size) for c in layers if tuple(c.kernel_size) != (3,)]
    if bad or not 1 <= len(layers) <= 3:
        return False, (f"The stack must use one to three Conv1d layers of kernel size 3; it "
                       f"has {len(layers)} with kernels {[tuple(c.kernel_size) for c in layers]}.")
    return True, "One to three Conv1d layers, each with kernel size 3."


CAUSAL_RULE = spatial_nd(16, KEEP)
causal_stack = ExtraLayerSpec(
    id="causal_stack",
    title="A dilated causal stack that hears 15 samples",
    prompt=(
        "Build an `nn.Sequential` for (N, 16, L) audio features: at most three `nn.Conv1d` "
        "layers 16 → 16 with kernel size 3 (ReLUs between them are welcome, and "
        "`nn.ZeroPad1d` or `nn.ConstantPad1d` for padding). It must keep L, be *causal* "
        "(output sample t depends only on input samples up to t, as in WaveNet) and have a "
        "receptive field of exactly 15 samples. The grader measures both with autograd."
    ),
    answer_name="causal",
    points=3,
    solution=(
        "causal = nn.Sequential(\n"
        "    nn.ZeroPad1d((2, 0)), nn.Conv1d(16, 16, 3, dilation=1), nn.ReLU(),\n"
        "    nn.ZeroPad1d((4, 0)), nn.Conv1d(16, 16, 3, dilation=2), nn.ReLU(),\n"
        "    nn.ZeroPad1d((8, 0)), nn.Conv1d(16, 16, 3, dilation=4),\n"
        ")"
    ),
    hints=(
        "A kernel of 3 with dilation d spans 2·d + 1 samples and adds 2·d to the receptive "
        "field.",
        "To keep L without looking ahead, all the padding a layer needs goes before the "
        "signal: nn.ZeroPad1d((left, 0)).",
    ),
    input_shape=(2, 16, 100),
    rule=CAUSAL_RULE,
    layer_types=(nn.Conv1d, nn.ReLU, nn.ZeroPad1d, nn.ConstantPad1d),
    container_types=(nn.Sequential,),
    min_layers=1,
    max_layers=12,
    variants=public(((1, 16, 15), "exactly the receptive field"), ((3, 16, 7), "shorter "
                                                                           "than it")),
    hidden_draws=(Draw("two samples", 2, 2, max_batch=4, dims=1),
                  Draw("an odd length", 17, 301, parity="odd", dims=1),
                  Draw("another length", 2, 128, dims=1)),
    model_checks=(ModelCheck("kernel size 3, at most three convolutions", _kernel_3),
                  ModelCheck("causal", _causal),
                  ModelCheck("a receptive field of 15", _field_15)),
)

# --- video: keep T, halve H and W -----------------------------------------------------------

VIDEO_RULE = spatial_nd(16, KEEP, CEIL_HALF, CEIL_HALF)
video_conv = LayerSpec(
    id="video_conv",
    title="A Conv3d that keeps time and halves space",
    prompt=(
        "A batch of RGB clips has shape (N, C, T, H, W) = (N, 3, frames, height, width). "
        "Create one `nn.Conv3d` from 3 to 16 channels with a kernel that spans 3 pixels in "
        "H and W that keeps T and gives ceil(H / 2) × ceil(W / 2), for any T, H and W. "
        "Whether the kernel also spans 3 frames is your choice. Per-axis tuples are welcome."
    ),
    answer_name="video",
    points=3,
    solution="video = nn.Conv3d(3, 16, kernel_size=3, stride=(1, 2, 2), padding=1)",
    hints=(
        "Each of T, H and W follows its own copy of the formula, with its own kernel_size, "
        "stride and padding.",
        "Halving needs stride 2 on H and W only; keeping T needs stride 1 there and the "
        "padding that a kernel of 3 (or 1) needs along T.",
    ),
    input_shape=(2, 3, 8, 32, 32),
    rule=VIDEO_RULE,
    layer_types=(nn.Conv3d,),
    constraints=(defining("kernel_size", lambda k: tuple(k)[1:] == (3, 3),
                          "a kernel of 3×3 pixels in H and W"),),
    variants=public(((1, 3, 5, 7, 9), "odd sizes everywhere"),
                    ((1, 3, 16, 12, 20), "a longer clip")),
    hidden_draws=(Draw("one frame of one pixel", 1, 1, max_batch=1, dims=3),
                  Draw("sizes that differ, odd and even", 2, 17, square=False, parity="mixed",
                       dims=3),
                  Draw("odd sizes", 3, 31, max_batch=2, parity="odd", dims=3)),
)

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
