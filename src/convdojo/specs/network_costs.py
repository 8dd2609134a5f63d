"""networks, what a network costs: the MACs of ResNet's stem and the memory of a VGG
block's activations, both counted by torch (``convdojo.counting``)."""

from __future__ import annotations

from torch import nn

from .. import counting
from .answers import plain
from .extras import key_is
from .model import Mistake, ValueSpec
from .variants import varying

# --- stem -------------------------------------------------------------------------------

STEM = dict(in_channels=3, out_channels=64, kernel_size=7, padding=3)


def stem_counts(h: int = 224) -> dict[str, int]:
    return {f"stride{s}": counting.conv_layer_macs(**STEM, input_hw=(h, h), stride=s)
            for s in (1, 2)}


def _stem(h: int) -> ValueSpec:
    def counts() -> dict[str, int]:  # measured when needed, not when the specs load
        return stem_counts(h)

    return ValueSpec(
        id="stem_macs",
        title="Why ResNet's stem has stride 2",
        prompt=(
            "ResNet's first layer is `nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3)`. "
            f"On a 3×{h}×{h} image, count its MACs (one image), and those of the same layer "
            "with stride 1:\n\n```python\nstem = {\"stride1\": ..., \"stride2\": ...}\n```\n\n"
            "Whole numbers; the grader compares with torch's counter."
        ),
        answer_name="stem",
        points=2,
        solution=(f"stem = {{\"stride1\": 64 * {h} * {h} * 3 * 7 * 7,\n"
                  f"        \"stride2\": 64 * {h // 2} * {h // 2} * 3 * 7 * 7}}"),
        hints=("Output positions × (3 · 7 · 7) multiply-adds per output channel.",),
        expected=lambda: stem_counts(h),
        normalize=plain,
        mistakes=(
            Mistake(key_is("stride2", lambda v: v == counts()["stride1"] // 2),
                    "Stride 2 halves H and W, so the output has 4× fewer positions: the MACs "
                    "drop 4×, not 2×."),
            Mistake(key_is("stride2", lambda v: v == counts()["stride1"]),
                    "The stride does not change the kernel, but the filter runs at fewer "
                    f"positions: count the output positions ({h // 2} × {h // 2})."),
            Mistake(lambda kv: kv[1] == 2 * counts().get(kv[0], -1),
                    "Twice the count: that is FLOPs (a multiply and an add); one "
                    "multiply-accumulate is 1 MAC."),
        ),
    )


# The layer is ResNet's own (the lesson's point); the image size varies. Even sizes, so
# that stride 2 halves them exactly.
stem_macs = varying(_stem, {"h": (128, 160, 192, 224, 256, 288)}, {"h": 224})

# --- activation memory ------------------------------------------------------------------


def vgg_block(c: int = 64) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(3, c, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))


ACT_BATCH = (32, 3, 64, 64)


def measured_bytes(n: int = 32, c: int = 64, h: int = 64) -> int:
    return counting.activation_bytes(vgg_block(c), (n, 3, h, h))


def _activation(n: int, c: int, h: int) -> ValueSpec:
    def total() -> int:  # measured when needed, not when the specs load
        return measured_bytes(n, c, h)

    pooled = n * c * (h // 2) * (h // 2) * 4
    return ValueSpec(
        id="activation_memory",
        title="The memory of a batch's activations",
        prompt=(
            "Training keeps every layer's output for the backward pass. For the VGG block "
            f"`nn.Sequential(Conv2d(3, {c}, 3, padding=1), ReLU(), Conv2d({c}, {c}, 3, "
            f"padding=1), ReLU(), MaxPool2d(2))` on a batch of {n} float32 images of "
            f"3×{h}×{h}, how many **bytes** do the outputs of its five layers take together? "
            "Set `act_bytes` to a whole number. The grader measures it with torch (each "
            "output's `numel() * element_size()`)."
        ),
        answer_name="act_bytes",
        points=2,
        solution=(f"per_map = {n} * {c} * {h} * {h} * 4  # N × C × H × W × 4 bytes per float32\n"
                  f"act_bytes = 4 * per_map + {n} * {c} * {h // 2} * {h // 2} * 4"),
        hints=(f"A float32 is 4 bytes; the pooled output is ({n}, {c}, {h // 2}, {h // 2}).",),
        expected=lambda: measured_bytes(n, c, h),
        normalize=plain,
        mistakes=(
            Mistake(lambda v: v == total() // 4,
                    "That counts numbers, not bytes: each float32 takes 4 bytes."),
            Mistake(lambda v: v == total() // n,
                    f"That is one image; the batch holds {n}, and each keeps its own "
                    "activations."),
            Mistake(lambda v: v == total() * 2,
                    "That is float64 (8 bytes per number); the layers are float32, 4 bytes."),
            Mistake(lambda v: v == total() - pooled,
                    "The max pool's output counts too: five layers, five outputs."),
        ),
    )


# A batch of 4 would make "one image" and "numbers, not bytes" the same mistake.
activation_memory = varying(_activation, {"n": (8, 16, 32, 64), "c": (16, 32, 64),
                                          "h": (32, 48, 64)},
                            {"n": 32, "c": 64, "h": 64})
