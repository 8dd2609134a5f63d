"""The stacking notebook: channels-last input, LeNet's flatten, receptive fields, residual blocks."""

from __future__ import annotations

from ..lesson import Code, Lesson, Task, Text, Written

IMPORTS = """\
import numpy as np
import torch
from torch import nn
from convdojo import check
from convdojo.templates import DownBlock"""

LESSON = Lesson(
    assignment="stacking",
    imports=IMPORTS,
    blocks=(
        Text("intro", """
# Stacking layers: input layout, flatten, receptive fields and residual blocks

**Learning goals.** After this notebook you can

- turn a channels-last (H, W, C) image into the (N, C, H, W) float tensor a
  convolution expects, moving axes with `permute` rather than `reshape`;
- follow a shape through a whole network and size its first `nn.Linear`;
- explain why flattening with `x.view(-1, features)` can silently mix images, and
  flatten safely;
- compute the receptive field of a stack of layers, and build a stack with a given one;
- build a downsampling residual block whose two branches agree on every input size.

Answer each exercise in its cell and run the check below it; the grader also runs
hidden inputs.
A failed check shows a hint; each further failed check shows the next one, and the
last hint stays.
Estimated time: 75 minutes.

*Sources: d2l.ai §7.6 (LeNet) and §8.6 (ResNet); fastbook chapter 13 (receptive
fields); CS231n notes "Convolutional Networks" (layer patterns); the ResNet paper
(He et al., 2016).*"""),
        Text("layout", """
## From an image file to a tensor

PIL, OpenCV and matplotlib store an image as an H×W×C array: the colour of one
pixel is contiguous in memory ("channels last"). PyTorch's convolutions expect
(N, C, H, W). `reshape` and `view` cannot convert between them: they keep the order
of the numbers in memory and only cut it differently. Moving an axis needs
`permute`."""),
        Code("layout_example", """\
image = np.arange(2 * 2 * 3).reshape(2, 2, 3)   # H=2, W=2, C=3: pixel (0, 0) is [0, 1, 2]
t = torch.from_numpy(image)
print("permute: channel 0 =", t.permute(2, 0, 1)[0].tolist())  # [[0, 3], [6, 9]]
print("reshape: channel 0 =", t.reshape(3, 2, 2)[0].tolist())  # [[0, 1], [2, 3]]: mixed"""),
        Task("channels_last"),
        Text("lenet_intro", """
## LeNet and the flattened size

LeNet (LeCun et al., 1998; d2l §7.6) stacks two convolution–pooling stages and three
linear layers. Between them, the (N, C, H, W) feature map must become N rows of
C·H·W numbers, as many as the first `nn.Linear` takes. `nn.Flatten()` keeps
dimension 0, the batch, and flattens the rest."""),
        Task("lenet"),
        Text("view_intro", """
## How `view(-1, 400)` corrupts a batch

Old code often flattens LeNet's features with `x.view(-1, 400)` instead of
`nn.Flatten()`; the `-1` lets PyTorch choose the number of rows, which is only right
if each image really has 400 numbers."""),
        Task("flatten_batch"),
        Text("view_bug_intro", """
Answer the exercise above first, then run the cell below to see both behaviours."""),
        Code("view_bug", """\
# 28×28 images, no padding in the first convolution: features (N, 16, 4, 4), 256 per image.
features = torch.randn(4, 16, 4, 4)
try:
    features.view(-1, 400)
except RuntimeError as err:
    print("batch 4:", err)
features = torch.randn(25, 16, 4, 4)
print("batch 25:", features.view(-1, 400).shape, "- no error, but 16 rows for 25 images")"""),
        Text("receptive", """
## Receptive fields

The receptive field of an output pixel is the patch of input pixels it depends on.
A 3×3 convolution sees 3×3; a second 3×3 on top sees 3×3 positions of the first,
which together cover 5×5 input pixels. Each layer adds `dilation·(kernel_size − 1)`
positions, and every stride before it multiplies how far apart those positions are
(fastbook ch. 13). The receptive field is not the output size: it says what one
output pixel sees, not how many output pixels there are."""),
        Code("rf_measure", """\
# Measure it: back-propagate from the centre output pixel and see which inputs get a gradient.
torch.manual_seed(0)
stack = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3, padding=1))
x = torch.randn(1, 1, 9, 9, requires_grad=True)
stack(x)[0, 0, 4, 4].backward()
(x.grad[0, 0] != 0).int()   # a 5×5 block of ones"""),
        Task("receptive_field"),
        Task("rf_stack"),
        Written("rf_not_size"),
        Text("residual", """
## A downsampling residual block

A residual block adds its input to what its layers compute: `relu(main(x) + x)`
(He et al., 2016; d2l §8.6). When the block halves the size and changes the channels,
`x` no longer fits, so a *shortcut* (a 1×1 convolution with stride 2) projects it.
The addition only works if both branches give exactly the same shape, for every
input size. Here you fill in the template `DownBlock(main, shortcut)`, whose forward
is fixed to `relu(main(x) + shortcut(x))`."""),
        Code("downblock_example", """\
# The template with placeholder branches: both keep the shape, so they add up.
demo = DownBlock(main=nn.Identity(), shortcut=nn.Identity())
demo(torch.randn(1, 2, 5, 5)).shape"""),
        Task("residual_down"),
        Written("odd_branches"),
        Text("wrap_up", """
## Wrap-up

- Channels-last images need `permute`, not `reshape`, and a `.float()`.
- Follow H and W through every layer to size the first `nn.Linear`; flatten with
  `nn.Flatten()` or `x.flatten(1)`, which keep the batch.
- Receptive field: `r = 1 + Σ dᵢ(kᵢ − 1)·(s₁⋯sᵢ₋₁)`; it grows with depth, dilation and
  earlier strides.
- Two branches that are added must agree on every size: check odd sizes, where
  floor and ceil part ways."""),
    ),
)
