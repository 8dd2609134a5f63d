"""The conv_shapes notebook: channels, padding, stride and their combination."""

from __future__ import annotations

from ..lesson import Code, Lesson, Task, Text, Written

IMPORTS = """\
import torch
from torch import nn
from convdojo import check"""

LESSON = Lesson(
    assignment="conv_shapes",
    imports=IMPORTS,
    blocks=(
        Text("intro", """
# Convolution shapes: channels, padding and stride

**Learning goals.** After this notebook you can

- read a 4-D image tensor as (N, C, H, W): batch, channels, height, width;
- choose `in_channels` and `out_channels` of `nn.Conv2d` for a given input and output;
- predict H and W after a convolution from `kernel_size`, `padding` and `stride`, using
  PyTorch's own formula, and pick them to reach a target size;
- count the weights of a convolution layer.

**How this notebook works.** Each exercise gives an input shape and a target shape.
Replace `None` in the answer cell with your layer and run it. The cell below it
checks your answer and tells you what is wrong, dimension by dimension. The
grader later runs the same checks on inputs you have not seen, so aim for a layer
that follows the rule, not one that only fits the shown numbers.
A failed check shows a hint; each further failed check shows the next one, and the
last hint stays.
Estimated time: 45 minutes.

*Sources: adapted from the course activity "Convolution activity" and the AI Summer
lesson "Convolution in Practice".*"""),
        Text("nchw", """
## Images as tensors

PyTorch stores a batch of images as a tensor of shape (N, C, H, W). Each of the C
channels is an H × W grid of numbers, a *feature map*; an RGB photo has C = 3.
You can also read the tensor as a C-dimensional feature vector at every pixel.

A convolution slides a small kernel over H and W only. Each kernel spans **all**
input channels (a "3×3 kernel" on an RGB image is really 3×3×3) and produces one
output channel, so a layer with `out_channels=16` holds 16 kernels.

The output size along one spatial dimension is

$$H_{out} = \\left\\lfloor \\frac{H + 2\\cdot\\text{padding} - \\text{dilation}\\cdot(\\text{kernel\\_size} - 1) - 1}{\\text{stride}} \\right\\rfloor + 1$$

The floor matters: PyTorch silently drops the last rows that a strided kernel
cannot reach."""),
        Code("worked_example", """\
# A worked example: a 9×9 image and a 5×5 filter, no padding, stride 1.
# (9 + 2*0 - 1*(5 - 1) - 1) // 1 + 1 = 5
image = torch.randn(1, 1, 9, 9)
nn.Conv2d(1, 1, kernel_size=5)(image).shape"""),
        Task("worked_7x7"),
        Task("channels"),
        Code("channels_widget", """\
# Watch your layer slide over the input: press play, drag the slider, or click the
# drawing and use the arrow keys. The formula under the grid uses your numbers.
from convdojo.widgets import SlidingKernel

SlidingKernel.from_layer(conv, x.shape) if isinstance(conv, nn.Conv2d) else None"""),
        Task("padding"),
        Written("explain_valid"),
        Task("stride"),
        Code("stride_widget", """\
# A 5×5 kernel with stride 2 on a 10×10 input: the shaded last row and column are
# never read by any window, because floor() drops them. Change padding in the boxes
# above the drawing and watch what happens to them and to the output size.
SlidingKernel(input_size=(10, 10), kernel_size=5, stride=2, padding=0)"""),
        Written("halving_padding"),
        Task("combination"),
        Text("weights_intro", """
## Weights and parameters

A layer's weights are its kernels. `nn.Conv2d` stores them in one tensor,
`weight`, and one bias per output channel in `bias`. Knowing their shapes tells
you how much a layer can learn and how much memory it needs."""),
        Task("weight_shape"),
        Task("param_count"),
        Text("wrap_up", """
## Wrap-up

- Channels are set by `out_channels`; `in_channels` must match the input.
- Padding adds border pixels so the kernel can centre on edge pixels; with an odd
  kernel `k` and stride 1, `padding=(k-1)//2` keeps the size.
- Stride s moves the kernel s pixels at a time: the size becomes
  floor((H + 2·padding − kernel_size)/s) + 1, close to H/s but not H/s rounded down.
- Every output size follows the one formula above: when in doubt, fill it in."""),
    ),
)
