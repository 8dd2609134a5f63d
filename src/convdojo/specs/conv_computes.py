"""What a convolution computes: loops, im2col, classic kernels on a photo, one kernel per colour.

The photo's exercises are in compute_photo. Checked by value against ``F.conv2d`` on hidden inputs (non-square, multi-channel, odd sizes).
"""

from __future__ import annotations

import torch

from . import compute_matchers as cm
from .extras import key_is
from .answers import plain
from .compute_photo import colour_kernel, edge_magnitude, linear_stack, photo_kernels
from .model import Assignment, FunctionSpec, Mistake, ValueSpec
from .variants import varying

t = cm.tensor

_FLIPPED = ("The kernel is turned by 180°: that is the textbook convolution. PyTorch's "
            "conv2d (like every deep-learning library) computes cross-correlation: "
            "out[i, j] = Σ x[i + u, j + v] · w[u, v], with no flip.")

# The by-hand functions cannot vary: each answer is a general function, the same for every
# student, whatever sizes its shown calls use; the hidden calls come from the course secret.
conv_single = FunctionSpec(
    id="conv_single",
    title="Convolution by hand: one channel",
    prompt=(
        "Write `conv2d_single(x, w)` with Python loops: `x` is a 2-D tensor (H, W), `w` a "
        "2-D kernel (kh, kw). Slide the kernel over every position where it fits entirely "
        "(no padding, stride 1) and return the 2-D tensor of dot products, "
        "out[i, j] = Σᵤ Σᵥ x[i + u, j + v] · w[u, v]. Do not call `F.conv2d` or "
        "`nn.Conv2d`: the grader compares your numbers with theirs, on kernels and inputs "
        "that are not square."
    ),
    answer_name="conv2d_single",
    points=2,
    solution=(
        "def conv2d_single(x, w):\n"
        "    kh, kw = w.shape\n"
        "    out = torch.zeros(x.shape[0] - kh + 1, x.shape[1] - kw + 1)\n"
        "    for i in range(out.shape[0]):\n"
        "        for j in range(out.shape[1]):\n"
        "            out[i, j] = (x[i:i + kh, j:j + kw] * w).sum()\n"
        "    return out"
    ),
    hints=(
        "How many positions does a kh-row kernel have along H rows? Count for H = 3, kh = 3.",
        "Each output value is one window x[i:i + kh, j:j + kw] multiplied elementwise by w "
        "and summed.",
        "The kernel is used as it is: out[0, 0] pairs x[0, 0] with w[0, 0].",
    ),
    cases=(
        ((t(5, 6), t(3, 3)), {}, False),
        ((t(4, 7), t(2, 3)), {}, False),
    ),
    hidden_case=cm.single_case,
    hidden_count=3,
    reference=cm.ref_single,
    compare=cm.close,
    mistakes=(
        Mistake(cm.flipped(cm.ref_single), _FLIPPED),
        Mistake(lambda case: getattr(case[2], "shape", None) == case[0][0].shape,
                "The output has the input's size, as if padded: here the kernel must fit "
                "entirely inside x, so the output is smaller than x."),
    ),
)

conv_multi = FunctionSpec(
    id="conv_multi",
    title="Convolution by hand: several channels, several filters",
    prompt=(
        "Write `conv2d_multi(x, w)`: `x` is (C, H, W), `w` is (O, C, kh, kw), as PyTorch "
        "stores a convolution's weight. Each of the O filters spans every input channel: "
        "slide it over H and W only, and at each position take the dot product across all "
        "C channels at once. Return the (O, H_out, W_out) stack of feature maps (no padding, "
        "stride 1, no bias). You may reuse your `conv2d_single`."
    ),
    answer_name="conv2d_multi",
    points=2,
    solution=(
        "def conv2d_multi(x, w):\n"
        "    out_channels, _, kh, kw = w.shape\n"
        "    out = torch.zeros(out_channels, x.shape[1] - kh + 1, x.shape[2] - kw + 1)\n"
        "    for o in range(out_channels):\n"
        "        for i in range(out.shape[1]):\n"
        "            for j in range(out.shape[2]):\n"
        "                out[o, i, j] = (x[:, i:i + kh, j:j + kw] * w[o]).sum()\n"
        "    return out"
    ),
    hints=(
        "One filter gives one feature map: the output has as many channels as w has filters.",
        "The window now has a channel axis too: x[:, i:i + kh, j:j + kw] against w[o].",
        "The sum runs over the channels as well as over the kernel's rows and columns.",
    ),
    cases=(
        ((t(3, 5, 6), t(4, 3, 3, 3)), {}, False),
        ((t(2, 4, 4), t(1, 2, 2, 3)), {}, False),
    ),
    hidden_case=cm.multi_case,
    hidden_count=3,
    reference=cm.ref_multi,
    compare=cm.close,
    mistakes=(
        Mistake(cm.first_channel,
                "Only the first input channel is used: a filter's dot product runs across "
                "every input channel, and their contributions add up into one map."),
        Mistake(cm.channels_kept,
                "One map per filter and input channel: the channels must be summed, so each "
                "filter gives a single feature map."),
        Mistake(cm.flipped(cm.ref_multi), _FLIPPED),
    ),
)

conv_strided = FunctionSpec(
    id="conv_strided",
    title="Convolution by hand: stride and padding",
    prompt=(
        "Write `conv2d_strided(x, w, stride, padding)`: as `conv2d_multi`, but first pad x "
        "with `padding` zeros on each side of H and W, then move the kernel `stride` pixels "
        "at a time, in both directions. `stride` and `padding` are ints. The result must "
        "equal `F.conv2d(x[None], w, stride=stride, padding=padding)[0]`, also for sizes "
        "where the windows do not tile the padded input exactly."
    ),
    answer_name="conv2d_strided",
    points=3,
    solution=(
        "import torch.nn.functional as F\n\n"
        "def conv2d_strided(x, w, stride, padding):\n"
        "    x = F.pad(x, (padding, padding, padding, padding))\n"
        "    out_channels, _, kh, kw = w.shape\n"
        "    h_out = (x.shape[1] - kh) // stride + 1\n"
        "    w_out = (x.shape[2] - kw) // stride + 1\n"
        "    out = torch.zeros(out_channels, h_out, w_out)\n"
        "    for o in range(out_channels):\n"
        "        for i in range(h_out):\n"
        "            for j in range(w_out):\n"
        "                r, c = i * stride, j * stride\n"
        "                out[o, i, j] = (x[:, r:r + kh, c:c + kw] * w[o]).sum()\n"
        "    return out"
    ),
    hints=(
        "Pad first (`F.pad` takes (left, right, top, bottom)), then count the positions "
        "where the kernel fits in the padded input.",
        "Output position i starts at row i·stride of the padded input.",
        "The last position is the one whose window still fits: the count is "
        "floor((H + 2·padding − kh) / stride) + 1.",
    ),
    cases=(
        ((t(3, 7, 7), t(2, 3, 3, 3), 2, 1), {}, False),
        ((t(2, 6, 9), t(3, 2, 3, 3), 1, 1), {}, False),
        ((t(2, 9, 6), t(2, 2, 3, 2), 3, 0), {}, False),
    ),
    hidden_case=cm.strided_case,
    hidden_count=3,
    reference=cm.ref_strided,
    compare=cm.close,
    mistakes=(
        Mistake(cm.under(lambda x, w, s, p: cm.ref_strided(x, w, s, 0), lambda x, w, s, p: p),
                "The padding is missing: pad x with zeros on every side before sliding."),
        Mistake(cm.under(lambda x, w, s, p: cm.ref_strided(x, w, 1, p), lambda x, w, s, p: s > 1),
                "The stride is ignored: the kernel must move stride pixels between positions."),
        Mistake(cm.last_window_missing,
                "The last window is missing: a window that ends exactly at the padded edge "
                "still fits, so the number of positions has a + 1."),
        Mistake(cm.flipped(cm.ref_strided), _FLIPPED),
    ),
)

def _im2col_shapes(n: int, c: int, h: int, w: int, o: int, k: int) -> ValueSpec:
    def steps() -> dict[str, tuple[int, ...]]:
        return cm.im2col_steps(n, c, h, w, o, k)

    ckk, ho, wo = c * k * k, h - k + 1, w - k + 1
    return ValueSpec(
        id="im2col_shapes",
        title="im2col: the shape of each step",
        prompt=(
            f"`x` has shape ({n}, {c}, {h}, {w}) and `w` ({o}, {c}, {k}, {k}); no padding, "
            "stride 1. im2col computes `F.conv2d(x, w)` in four steps:\n\n"
            f"```python\npatches = F.unfold(x, kernel_size={k})        # every window as a column\n"
            "rows = w.view(w.shape[0], -1)               # every filter as a row\n"
            "product = rows @ patches                    # all dot products at once\n"
            "out = product.view(N, O, H_out, W_out)      # back to feature maps\n```\n\n"
            "Give the shape of each step, without running it: "
            "`steps = {\"patches\": ..., \"weight\": ..., \"product\": ..., \"output\": ...}`, "
            "each a tuple. The patch matrix has the layout (N, C·k·k, L)."
        ),
        answer_name="steps",
        points=2,
        solution=(f'steps = {{"patches": ({n}, {ckk}, {ho * wo}), "weight": ({o}, {ckk}), '
                  f'"product": ({n}, {o}, {ho * wo}),\n'
                  f'         "output": ({n}, {o}, {ho}, {wo})}}'),
        hints=(
            "A column of the patch matrix holds one whole window: every channel's k×k pixels.",
            "L is the number of window positions, H_out × W_out, not the number of pixels.",
            "A (O, K) matrix times a (N, K, L) batch of matrices broadcasts over N.",
        ),
        expected=steps,
        normalize=plain,
        mistakes=(
            Mistake(key_is("patches", lambda v: isinstance(v, tuple) and len(v) == 3
                           and v[1:] == tuple(reversed(steps()["patches"][1:]))),
                    "unfold puts the window's C·k·k values in dimension 1 and the positions L "
                    "in dimension 2: each window is a column."),
            Mistake(key_is("patches", lambda v: isinstance(v, tuple) and len(v) == 3
                           and v[2] == h * w),
                    "L counts the positions where the kernel fits, H_out × W_out, not the "
                    "input's pixels: without padding, the windows cannot start at the last "
                    "rows and columns."),
            Mistake(key_is("output", lambda v: isinstance(v, tuple) and v[2:] == (h, w)),
                    "Without padding the feature maps shrink: each side loses k − 1 positions."),
            Mistake(key_is("weight", lambda v: isinstance(v, tuple) and len(v) == 2
                           and v == tuple(reversed(steps()["weight"]))),
                    "view(O, -1) keeps the filters as rows: one row per output channel."),
        ),
    )


def _im2col_distinct(n: int, c: int, h: int, w: int, o: int, k: int) -> bool:
    """Each recognised mistake stays wrong: C·k·k, L and O all differ, H ≠ W, and the
    batch differs from the other sizes, so no two axes of a shape can be confused."""
    ckk, positions = c * k * k, (h - k + 1) * (w - k + 1)
    return len({ckk, positions, o}) == 3 and h != w and n not in (c, o)


im2col_shapes = varying(_im2col_shapes, {"n": (1, 2, 3, 4), "c": (1, 2, 3, 4),
                                         "h": (7, 8, 9, 10, 11), "w": (8, 10, 12, 13),
                                         "o": (4, 6, 8, 16), "k": (2, 3)},
                        {"n": 2, "c": 3, "h": 9, "w": 12, "o": 8, "k": 3}, _im2col_distinct)

# Cannot vary: the answer is a general function, the same for every student; its hidden
# calls are drawn from the course secret (cm.im2col_case).
im2col = FunctionSpec(
    id="im2col",
    title="im2col: convolution as one matrix product",
    prompt=(
        "Write `conv2d_im2col(x, w)` for a batch: `x` is (N, C, H, W), `w` is (O, C, kh, kw); "
        "no padding, stride 1. Use `F.unfold` and one matrix product, as in the steps above, "
        "and return the (N, O, H_out, W_out) result of `F.conv2d(x, w)`. Kernels need not be "
        "square."
    ),
    answer_name="conv2d_im2col",
    points=3,
    solution=(
        "import torch.nn.functional as F\n\n"
        "def conv2d_im2col(x, w):\n"
        "    n, _, h, wd = x.shape\n"
        "    out_channels, _, kh, kw = w.shape\n"
        "    patches = F.unfold(x, kernel_size=(kh, kw))\n"
        "    product = w.view(out_channels, -1) @ patches\n"
        "    return product.view(n, out_channels, h - kh + 1, wd - kw + 1)"
    ),
    hints=(
        "Work out the three shapes first, as in the exercise above, for a kh × kw kernel.",
        "F.unfold's rows are ordered channel by channel, then kernel row, then kernel column: "
        "the same order as the weight's last three dimensions.",
        "unfold walks the windows row by row: L unfolds as (H_out, W_out), in that order.",
    ),
    cases=(
        ((t(2, 3, 6, 7), t(4, 3, 3, 3)), {}, False),
        ((t(1, 2, 5, 8), t(3, 2, 2, 3)), {}, False),
    ),
    hidden_case=cm.im2col_case,
    hidden_count=3,
    reference=cm.ref_im2col,
    compare=cm.close,
    mistakes=(
        Mistake(cm.under(lambda x, w: (w.reshape(w.shape[0], -1) @ torch.nn.functional.unfold(
                    x, tuple(w.shape[2:]))).view(x.shape[0], w.shape[0], x.shape[3] - w.shape[3]
                                                  + 1, x.shape[2] - w.shape[2] + 1),
                         lambda x, w: x.shape[2] - w.shape[2] != x.shape[3] - w.shape[3]),
                "H_out and W_out are swapped in the last view: L lists the windows row by "
                "row, so it unfolds as (H_out, W_out)."),
        Mistake(cm.under(lambda x, w: (w.permute(0, 2, 3, 1).reshape(w.shape[0], -1)
                                       @ torch.nn.functional.unfold(x, tuple(w.shape[2:])))
                         .view(x.shape[0], w.shape[0], x.shape[2] - w.shape[2] + 1,
                               x.shape[3] - w.shape[3] + 1),
                         lambda x, w: x.shape[1] > 1),
                "The weight is flattened in another order than the patches: unfold orders "
                "each column by channel, then kernel row, then kernel column, as the weight's "
                "(C, kh, kw) dimensions already are."),
    ),
)

SPECS = (conv_single, conv_multi, conv_strided, im2col_shapes, im2col, photo_kernels,
         edge_magnitude, colour_kernel)
WRITTEN = (linear_stack,)
ASSIGNMENT = Assignment(
    name="conv_computes",
    title="What a convolution computes: loops, im2col and filters on a photo",
    notebook="conv_computes.ipynb",
    exercises=tuple(s.id for s in SPECS),
    written=tuple(w.id for w in WRITTEN),
    minutes=70,
)
