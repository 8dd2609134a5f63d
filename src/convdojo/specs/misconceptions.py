"""The misconception taxonomy: each code once, with a title and what to revisit.

``convdojo.checks.diagnose`` recognises a code by recomputing the expected result under
the error it names; the class report ranks them. Students read the teaching note (never
the code) in their feedback.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Misconception", "TAXONOMY", "get", "note"]


@dataclass(frozen=True)
class Misconception:
    code: str
    title: str
    note: str  # what to revisit in the next lecture; shown to students as is


_ITEMS = (
    Misconception("padding.missing", "Padding left out",
                  "A k×k kernel loses k − 1 pixels unless the input is padded; padding "
                  "(k − 1)/2 per side keeps the size of an odd kernel."),
    Misconception("padding.total_vs_per_side", "Total padding given per side",
                  "padding=p pads p pixels on each side, 2p in total: keeping the size of a "
                  "k×k kernel needs p = (k − 1)/2, not k − 1."),
    Misconception("padding.unneeded", "Padding where none belongs",
                  "'valid' means no padding: the kernel must fit inside the input, so the "
                  "output shrinks by d(k − 1)."),
    Misconception("padding.miscounted", "Padding miscounted",
                  "Keeping (or exactly halving) the size needs p = d(k − 1)/2 for an odd "
                  "kernel: work it out from the formula, not from another layer's padding."),
    Misconception("padding.same_strided", "padding='same' with a stride",
                  "PyTorch refuses padding='same' when stride > 1, as soon as the layer is "
                  "built: the padding would depend on the input size. Pad explicitly."),
    Misconception("stride.forgotten", "Stride left at 1",
                  "Downsampling by s needs stride=s: a convolution's stride defaults to 1, "
                  "and padding alone never shrinks the output by a factor."),
    Misconception("stride.pool_default", "Pooling stride default",
                  "A pooling layer's stride defaults to its kernel size, not 1: MaxPool2d(3) "
                  "moves 3 pixels at a time; overlapping windows need stride= explicitly."),
    Misconception("rounding.floor_vs_ceil", "Floor versus ceil",
                  "Output sizes are rounded down: floor((H + 2p − d(k − 1) − 1)/s) + 1. Only "
                  "pooling with ceil_mode=True rounds up."),
    Misconception("dilation.forgotten", "Dilation left out of the size",
                  "A dilated kernel spans d(k − 1) + 1 pixels: the padding that keeps the size "
                  "is d(k − 1)/2, and the size formula has d(k − 1)."),
    Misconception("dilation.bigger_kernel", "Dilation replaced by a bigger kernel",
                  "Dilation spreads the same k×k weights apart; a bigger kernel covers the "
                  "same span with many more weights."),
    Misconception("weights.tf_order", "TensorFlow weight order",
                  "PyTorch stores a Conv2d weight as (out_channels, in_channels, kh, kw); "
                  "(kh, kw, in, out) is TensorFlow's order."),
    Misconception("weights.channels_forgotten", "A kernel spans every input channel",
                  "'A 5×5 kernel' is shorthand: each filter is 5×5×in_channels, so the weight "
                  "has an in_channels dimension."),
    Misconception("weights.transposed_order", "Transposed-convolution weight order",
                  "ConvTranspose2d stores its weight as (in_channels, out_channels, kh, kw), "
                  "the reverse of Conv2d."),
    Misconception("params.bias_forgotten", "Bias not counted",
                  "Each output channel has one bias (unless bias=False): add out_channels to "
                  "the weight count."),
    Misconception("params.groups_forgotten", "Groups ignored",
                  "With groups=g each filter sees only in_channels/g channels: the weight is "
                  "(out, in/g, kh, kw)."),
    Misconception("params.kernel_only", "Only the kernel's area counted",
                  "A conv's weights number out × in × kh × kw (plus a bias per output), not "
                  "kh × kw."),
    Misconception("params.buffers_counted", "Buffers counted as parameters",
                  "BatchNorm's running_mean and running_var are buffers, not learned: only "
                  "weight and bias count."),
    Misconception("size.hard_coded", "Right only on the shown size",
                  "The layer fits the one input size it was tried on; derive the "
                  "hyperparameters from the rule so any size works."),
    Misconception("channels.in_mismatch", "in_channels not the input's channels",
                  "in_channels must equal the C of the (N, C, H, W) input; out_channels is "
                  "the layer's choice."),
    Misconception("channels.out_mismatch", "Wrong number of output channels",
                  "out_channels is how many filters the layer has, and so the C of its "
                  "output."),
    Misconception("kernel.wrong_size", "Another kernel size",
                  "Several kernel/padding pairs give the same output shape; the prompt fixes "
                  "the kernel size, and the padding follows from it."),
    Misconception("layer.not_a_convolution", "Not a convolution",
                  "The exercise asks for a convolution with learnable weights; resizing or "
                  "pooling layers only match the shape."),
    Misconception("layer.not_a_pool", "A convolution used for pooling",
                  "Pooling has no weights: it takes the max (or mean) of each window, per "
                  "channel."),
    Misconception("layer.wrong_pool", "Max and average pooling confused",
                  "MaxPool keeps each window's largest value, AvgPool its mean."),
    Misconception("pool.count_include_pad", "Padded zeros averaged in",
                  "AvgPool2d averages the padded zeros too unless count_include_pad=False."),
    Misconception("pool.fixed_window", "A fixed window for global pooling",
                  "A fixed kernel covers the whole map for one input size only; "
                  "AdaptiveAvgPool2d(1) gives one value per channel for any size."),
    Misconception("transposed.output_padding", "Transposed conv: output_padding",
                  "(H − 1)s − 2p + d(k − 1) + output_padding + 1: a stride-2 transposed "
                  "convolution doubles exactly only with the right output_padding."),
    Misconception("kernel.assumed_square", "Kernels assumed square",
                  "kernel_size may be a pair (kh, kw); count and size each dimension "
                  "separately."),
    Misconception("rf.stride_ignored", "Receptive field: strides ignored",
                  "Each layer's kernel grows the receptive field by d(k − 1) times the product "
                  "of the strides of the layers before it."),
    Misconception("rf.own_stride", "Receptive field: own stride counted",
                  "A layer's growth uses the strides of the layers before it, not its own."),
    Misconception("layout.reshape_not_permute", "reshape instead of permute",
                  "reshape keeps the memory order: HWC → CHW needs permute(2, 0, 1); reshape "
                  "gives the right shape with scrambled values."),
    Misconception("layout.hw_swapped", "H and W swapped",
                  "NCHW puts height before width; a square image hides the swap."),
    Misconception("layout.batch_missing", "Batch dimension missing",
                  "Layers take (N, C, H, W): add a batch dimension with x[None] or "
                  "unsqueeze(0)."),
    Misconception("conv.flipped_kernel", "Kernel flipped",
                  "PyTorch's convolution is a cross-correlation: out[i, j] = Σ x[i + u, j + v]·"
                  "w[u, v], the kernel used as stored, never turned by 180°."),
    Misconception("conv.positions_off_by_one", "One window position short",
                  "A window that ends exactly at the (padded) edge still fits: there are "
                  "floor((H + 2p − k)/s) + 1 positions, the + 1 included."),
    Misconception("im2col.weight_order", "Weight flattened out of unfold's order",
                  "F.unfold orders each patch by channel, then kernel row, then kernel column; "
                  "the weight must be flattened in that same (C, kh, kw) order."),
    Misconception("dtype.not_float", "Not float32",
                  "Convolutions need float tensors: convert uint8 images with .float()."),
)

TAXONOMY: dict[str, Misconception] = {m.code: m for m in _ITEMS}


def get(code: str) -> Misconception:
    return TAXONOMY[code]


def note(code: str | None) -> str:
    """The teaching note for a code, or '' for None or an unknown code."""
    item = TAXONOMY.get(code or "")
    return item.note if item else ""
