"""Whole networks: compute (MACs) and activation memory, and finding a network's broken layer.

Every count is torch's own: ``convdojo.counting`` (``FlopCounterMode``, the meta device),
never a second formula. Catalogue items MC-1..3 and TR-1 (README "Compute and networks").
The stem's MACs and the activation memory are in ``network_costs``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from .. import counting, shapes
from ..exercise_code import BROKEN_NETWORK
from ..vocab import pair
from .answers import same_count
from .extras import ExtraLayerSpec, ModelCheck
from .model import Assignment, Draw, FunctionSpec, Mistake, WrittenSpec
from .network_costs import activation_memory, stem_macs
# re-exported: the tests measure the same block and stem
from .network_costs import ACT_BATCH as ACT_BATCH, STEM as STEM, measured_bytes as measured_bytes
from .network_costs import stem_counts as stem_counts, vgg_block as vgg_block
from .rules import RAISES, Rule
from .variants import public

# --- conv_macs --------------------------------------------------------------------------


def _macs_args(args: tuple, kwargs: dict) -> dict[str, Any]:
    names = ("in_channels", "out_channels", "kernel_size", "input_size", "stride", "padding",
             "groups")
    a: dict[str, Any] = dict(stride=1, padding=0, groups=1)
    a.update(zip(names, args))
    a.update(kwargs)
    return a


def reference_macs(in_channels: int, out_channels: int, kernel_size: Any, input_size: Any,
                   stride: int = 1, padding: int = 0, groups: int = 1) -> int:
    """What torch counts for this convolution on one image (FlopCounterMode FLOPs / 2)."""
    return counting.conv_layer_macs(in_channels, out_channels, kernel_size, pair(input_size),
                                    stride, padding, groups)


def _macs_if(**change: Any) -> Callable[[tuple], bool]:
    """A matcher: the result is the count of a changed layer (a recognised mistake)."""
    def matches(case: tuple) -> bool:
        args, kwargs, got = case
        a = _macs_args(args, kwargs)
        b = {**a, **change}
        return a != b and same_count(got, reference_macs(**b))
    return matches


def _counted_on_input(case: tuple) -> bool:
    """Output positions taken to be the input's: stride and padding ignored."""
    args, kwargs, got = case
    a = _macs_args(args, kwargs)
    kh, kw = pair(a["kernel_size"])
    h, w = pair(a["input_size"])
    per_position = a["out_channels"] * (a["in_channels"] // a["groups"]) * kh * kw
    out = [shapes.conv_out(n, k, a["stride"], a["padding"]) for n, k in ((h, kh), (w, kw))]
    return out != [h, w] and same_count(got, per_position * h * w)


def _flops(case: tuple) -> bool:
    args, kwargs, got = case
    return same_count(got, 2 * reference_macs(**_macs_args(args, kwargs)))


def _macs_case(rng: Any, i: int) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The i-th hidden call's kind: plain; stride 2, padding and groups; stride 2 on a
    non-square input; a 1×1 kernel; a non-square kernel with padding and groups."""
    kind = i % 5
    groups = rng.choice((2, 3, 4)) if kind in (1, 4) else 1
    kernel: Any = [rng.choice((3, 5, 7)), 3, 3, 1, (rng.randint(2, 5), 1)][kind]
    size: Any = rng.randint(8, 40)
    if kind in (2, 4):
        size = (rng.randint(8, 40), rng.randint(8, 40))
    kwargs: dict[str, Any] = {"stride": 2} if kind in (1, 2) else {}
    if kind in (1, 4):
        kwargs["padding"] = 1
    if groups > 1:
        kwargs["groups"] = groups
    return (groups * rng.randint(1, 16), groups * rng.randint(1, 32), kernel, size), kwargs


# Cannot vary: the answer is a general function, the same for every student; its hidden
# calls are drawn from the course secret (_macs_case).
conv_macs = FunctionSpec(
    id="conv_macs",
    title="Count the multiply-accumulates of a convolution",
    prompt=(
        "Write `conv_macs(in_channels, out_channels, kernel_size, input_size, stride=1, "
        "padding=0, groups=1)`: the number of multiply-accumulates (MACs) of `nn.Conv2d` "
        "with these arguments on **one** image of size `input_size` (an int, or a pair "
        "(H, W)); `kernel_size` is an int or a pair too. Count the weights' multiply-adds, "
        "not the bias. The grader compares with what torch counts "
        "(`torch.utils.flop_counter.FlopCounterMode`, whose FLOPs are 2 per MAC)."
    ),
    answer_name="conv_macs",
    points=3,
    solution=(
        "def conv_macs(in_channels, out_channels, kernel_size, input_size, stride=1, "
        "padding=0, groups=1):\n"
        "    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) "
        "else kernel_size\n"
        "    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size\n"
        "    out_h = (h + 2 * padding - kh) // stride + 1\n"
        "    out_w = (w + 2 * padding - kw) // stride + 1\n"
        "    per_output = (in_channels // groups) * kh * kw  # one filter on one position\n"
        "    return out_channels * out_h * out_w * per_output"
    ),
    hints=("Each output value is one filter (in_channels // groups × kh × kw weights) "
           "applied at one position: MACs = outputs × weights per output.",),
    cases=(
        ((3, 16, 3, 32), {"padding": 1}, False),
        ((3, 64, 7, 224), {"stride": 2, "padding": 3}, False),
        ((32, 32, 3, (14, 10)), {"padding": 1, "groups": 32}, False),
        ((16, 8, (1, 5), 12), {}, False),
    ),
    hidden_case=_macs_case,
    hidden_count=5,
    reference=reference_macs,
    compare=same_count,
    mistakes=(
        Mistake(_flops, "That is twice the count: a FLOP counter counts a multiply and an add "
                "as 2 FLOPs; one multiply-accumulate is 1 MAC."),
        Mistake(_macs_if(groups=1), "It looks like groups is ignored: with groups=g each filter "
                "sees only in_channels // g channels, so it does g times fewer MACs."),
        Mistake(_macs_if(stride=1), "It looks like the stride is ignored: a stride-s layer "
                "visits about 1/s as many positions along each side."),
        Mistake(_counted_on_input, "The count uses the input's H×W; a filter runs once per "
                "output position, so use the output size (the formula with padding and "
                "stride)."),
    ),
)

# --- the broken network -----------------------------------------------------------------

# The network the student fixes: shown by the prompt and the lesson (one text).
BROKEN = BROKEN_NETWORK

# (type, in/out channels or features, kernel, stride, padding) of the six weighted or
# shape-changing layers of the intended network, ReLUs aside.
PLAN = (("Conv2d", 3, 16, (3, 3), (1, 1), (1, 1)), ("Conv2d", 16, 32, (3, 3), (2, 2), (1, 1)),
        ("Conv2d", 32, 64, (3, 3), (2, 2), (1, 1)), ("Conv2d", 64, 64, (3, 3), (1, 1), (1, 1)),
        ("AdaptiveAvgPool2d",), ("Linear", 64, 10))


def _describe(layer: nn.Module) -> tuple:
    if type(layer) is nn.Conv2d:
        return ("Conv2d", layer.in_channels, layer.out_channels, layer.kernel_size,
                layer.stride, layer.padding)
    if type(layer) is nn.Linear:
        return ("Linear", layer.in_features, layer.out_features)
    return (type(layer).__name__,)


def _spell(plan: tuple) -> str:
    """('Conv2d', 16, 32, (3, 3), (2, 2), (1, 1)) as the code a student writes."""
    if plan[0] == "Conv2d":
        _, cin, cout, k, s, p = plan
        return f"nn.Conv2d({cin}, {cout}, kernel_size={k}, stride={s}, padding={p})"
    if plan[0] == "Linear":
        return f"nn.Linear({plan[1]}, {plan[2]})"
    return f"nn.{plan[0]}"


def same_plan(model: nn.Module) -> tuple[bool, str]:
    """The network is the given one with its broken layer fixed, and nothing else changed."""
    layers = [_describe(m) for m in model.modules()
              if type(m) not in (nn.Sequential, nn.ReLU, nn.Flatten)]
    if len(layers) != len(PLAN):
        return False, (f"The network has {len(layers)} layers besides ReLU and Flatten; the "
                       f"given one has {len(PLAN)}: fix the broken layer, add or remove none.")
    for i, (got, want) in enumerate(zip(layers, PLAN), 1):
        if got != want:
            return False, (f"Layer {i} besides ReLU and Flatten is {_spell(got)}; the channel "
                           "plan in the comments (3 → 16 → 32 → 64 → 64 → 10) needs "
                           f"{_spell(want)}. Change only the layer that breaks the plan.")
    return True, "The network keeps the given plan, with its broken layer fixed."


def _ten_logits(shape: tuple[int, ...]) -> Any:
    n, c, h, w = shape
    return (n, 10) if c == 3 else RAISES


FIXED_RULE = Rule("(N, 10): ten class scores per image, for any image size (the global "
                  "average pool makes the size irrelevant)", _ten_logits,
                  lambda s: len(s) == 4 and s[1] == 3, "3-channel images")
# Cannot vary: the broken network is the lesson's own code (it traces it), and same_plan
# checks the fixed network against that one channel plan.
fix_network = ExtraLayerSpec(
    id="fix_network",
    title="Find and fix the broken layer",
    prompt=(
        "The network below crashes on its first batch. Run `convdojo.trace(net, (8, 3, 32, "
        "32))` to find the layer that fails, read why, and fix **that layer only**, keeping "
        "the channel plan written in the comments. The fixed network must give ten class "
        "scores per image for every batch size and every image size.\n\n```python\n"
        + BROKEN + "\n```"
    ),
    answer_name="net",
    points=3,
    solution=BROKEN.replace("nn.Conv2d(16, 64", "nn.Conv2d(32, 64"),
    hints=("The trace stops at the first layer that cannot take what reaches it; its "
           "message says which number does not match.",),
    input_shape=(8, 3, 32, 32),
    rule=FIXED_RULE,
    layer_types=(nn.Conv2d, nn.ReLU, nn.AdaptiveAvgPool2d, nn.AvgPool2d, nn.MaxPool2d,
                 nn.Flatten, nn.Linear),
    container_types=(nn.Sequential,),
    min_layers=1,
    max_layers=20,
    variants=public(((1, 3, 32, 32), "batch 1"), ((2, 3, 28, 36), "non-square")),
    hidden_draws=(Draw("an odd size", 9, 33, square=True, parity="odd"),
                  Draw("a larger image", 40, 72, max_batch=2),
                  Draw("a small image", 5, 12)),
    model_checks=(ModelCheck("the given channel plan", same_plan),),
)

cost_tradeoff = WrittenSpec(
    id="cost_tradeoff",
    title="Where the compute goes",
    prompt=(
        "Trace your fixed network on a (1, 3, 32, 32) input. Which layer costs the most "
        "MACs, and which holds the most parameters? Explain with the formulas why the two "
        "need not be the same layer."
    ),
    rubric=(
        "Full marks (2): names the layers from the trace (1 pt); MACs = parameters × output "
        "positions for a convolution, so an early layer on a large map costs many MACs with "
        "few weights, while a late layer on a small map (or a Linear, run once) has many "
        "weights and few positions (1 pt)."
    ),
    points=2,
)

SPECS = (conv_macs, stem_macs, activation_memory, fix_network)
WRITTEN = (cost_tradeoff,)
ASSIGNMENT = Assignment(
    name="networks",
    title="Whole networks: compute, memory and the first broken layer",
    notebook="networks.ipynb",
    exercises=tuple(s.id for s in SPECS),
    written=tuple(w.id for w in WRITTEN),
    minutes=50,
)
