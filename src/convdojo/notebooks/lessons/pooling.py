"""The pooling notebook: max and average pooling, ceil_mode, overlap, padding, global pooling."""

from __future__ import annotations

from ..lesson import Code, Lesson, Task, Text, Written

IMPORTS = """\
import torch
from torch import nn
from convdojo import check"""

LESSON = Lesson(
    assignment="pooling",
    imports=IMPORTS,
    blocks=(
        Text("intro", """
# Pooling: max, average, ceil_mode, padding and global pooling

**Learning goals.** After this notebook you can

- explain why a pooling layer has no parameters and keeps the number of channels;
- predict H and W after `nn.MaxPool2d` and `nn.AvgPool2d`, including the default
  stride, `ceil_mode` and padding;
- build overlapping and padded pooling layers like AlexNet's and ResNet's (3×3, stride 2);
- say what `count_include_pad` changes in average pooling;
- make a network accept any image size with global average pooling.

**How this notebook works.** Each exercise gives an input shape and a rule for the
output. Replace `None` in the answer cell and run it; the cell below checks your
answer and explains what is wrong. The grader also runs hidden inputs: other sizes,
odd sizes and **other channel counts**, because pooling must not care about C.
A failed check shows a hint; each further failed check shows the next one, and the
last hint stays.
Estimated time: 50 minutes.

*Sources: d2l.ai §7.5 "Pooling"; CS231n notes "Convolutional Networks" (pooling
layer); the AlexNet and ResNet papers for the two pooling configurations.*"""),
        Text("what_pooling_does", """
## Pooling summarises each channel on its own

A pooling layer slides a window over H and W, like a convolution, but instead of a
weighted sum over **all** input channels it takes the maximum (or the mean) of the
window in **one** channel at a time. Two consequences follow:

- there is nothing to learn: `max` and `mean` have no weights;
- the number of channels cannot change: channel 5 of the output summarises
  channel 5 of the input.

The output size follows the convolution formula, with one twist: the stride
**defaults to the kernel size**, so windows do not overlap unless you ask for it.

$$H_{out} = \\left\\lfloor \\frac{H + 2\\cdot\\text{padding} - \\text{kernel\\_size}}{\\text{stride}} \\right\\rfloor + 1$$"""),
        Code("worked_example", """\
# A 6×6 image, one channel: 3×3 max pooling keeps the largest value of each 3×3 block.
x = torch.tensor([[1., 3., 2., 0., 4., 1.],
                  [4., 2., 1., 1., 0., 2.],
                  [0., 1., 5., 6., 3., 3.],
                  [2., 2., 7., 8., 1., 0.],
                  [9., 0., 1., 2., 2., 5.],
                  [1., 1., 3., 0., 6., 4.]]).reshape(1, 1, 6, 6)
window = nn.MaxPool2d(kernel_size=3)         # stride defaults to 3
print(window(x))                             # [[5, 6], [9, 8]]
print("parameters:", sum(p.numel() for p in window.parameters()))
print("3 channels in ->", window(torch.randn(1, 3, 6, 6)).shape)"""),
        Task("max_pool"),
        Text("average", """
## Average pooling and the padding it averages

`nn.AvgPool2d` takes the mean of each window. With padding, part of a border window
lies outside the image. By default (`count_include_pad=True`) PyTorch still divides
by the full window size, so the padding zeros pull border values towards 0. With
`count_include_pad=False` it divides by the number of real pixels in the window."""),
        Code("avg_demo", """\
# An image of ones, averaged with a 5×5 window that overhangs by 2 pixels:
# the default counts the padding zeros, so the border comes out darker than 1.
nn.AvgPool2d(kernel_size=5, stride=1, padding=2)(torch.ones(1, 1, 5, 5))"""),
        Task("avg_pool_blur"),
        Text("ceil", """
## Rounding up: `ceil_mode`

A 3×3 pool with stride 2 on an 8×8 map gives floor((8 − 3)/2) + 1 = 3: the last
row and column are never pooled. With `ceil_mode=True` PyTorch rounds up instead,
giving 4, and keeps a last, partial window (it only drops a window that would start
in the right padding). Step through the windows below: the last one hangs over the
edge and takes the max of what is left."""),
        Code("ceil_widget", """\
from convdojo.widgets import SlidingKernel

SlidingKernel(input_size=(8, 8), kernel_size=3, stride=2, mode="maxpool", ceil_mode=True)"""),
        Task("ceil_mode_pool"),
        Text("overlap", """
## Overlapping pooling

AlexNet pools with 3×3 windows and stride 2: each window shares a row or column
with its neighbour. Krizhevsky et al. report that this overlap slightly reduces
overfitting. Because the stride differs from the kernel size you must pass it
explicitly."""),
        Task("overlap_pool"),
        Text("pool_padding", """
## Pooling with padding

Max pooling pads with −∞, so a padded position never wins the max; padding only
adds windows at the border. PyTorch allows at most `kernel_size // 2` of padding,
otherwise a window could lie entirely in the padding."""),
        Task("padded_pool"),
        Text("global", """
## Global pooling: any input size

A classifier head needs a fixed number of features, but a fixed pooling window fits
one input size only. PyTorch's *adaptive* pooling layers take the output size you
want instead of a kernel size and work the windows out from each input. Averaging
each whole channel this way is the "global average pooling" that ends Network in
Network and ResNet (d2l §8.3, §8.6)."""),
        Task("global_pool"),
        Task("pool_vs_conv"),
        Written("why_no_params"),
        Written("stride_vs_pool"),
        Text("wrap_up", """
## Wrap-up

- Pooling works per channel: **0 parameters**, **C unchanged**.
- The stride defaults to the kernel size; overlapping pools must set it.
- `ceil_mode=True` rounds the size formula up; padding adds border windows
  (at most `kernel_size // 2`).
- Average pooling counts padding zeros unless `count_include_pad=False`.
- `nn.AdaptiveAvgPool2d(1)` gives (N, C, 1, 1) for any H×W."""),
    ),
)
