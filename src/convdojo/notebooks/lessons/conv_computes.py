"""The conv_computes notebook: convolution by hand, im2col, classic kernels on a real photo."""

from __future__ import annotations

from ..lesson import Code, Lesson, Task, Text, Written

IMPORTS = """\
import torch
import torch.nn.functional as F
from torch import nn
from convdojo import check, photo"""

LESSON = Lesson(
    assignment="conv_computes",
    imports=IMPORTS,
    blocks=(
        Text("intro", """
# What a convolution computes: loops, im2col and filters on a photo

**Learning goals.** After this notebook you can

- compute a convolution by hand, with loops: one channel, several channels and
  filters, then stride and padding, and get exactly what `F.conv2d` gives;
- rewrite it as im2col, `F.unfold` and one matrix product, and name the shape of
  every step, including the (N, C·k·k, L) patch matrix;
- write the classic kernels (box blur, sharpen, Sobel) and see what they do to a
  real photograph;
- design one kernel over RGB that detects one colour: one kernel, one feature map;
- explain why stacked convolutions need a non-linearity between them.

**How this notebook works.** Replace `None` in each answer cell with your answer,
run it, then run the check below it. A failed check shows one hint; each further
failed check shows the next one, and the last hint stays. The grader runs the same
checks on inputs you have not seen (other sizes, other crops of the photo).
Estimated time: 70 minutes.

*Sources: the AI Summer lesson "Convolution in Practice"; d2l.ai §7.2 and §7.4
(cross-correlation, multiple channels); CS231n notes "Convolutional Networks"
(im2col).*"""),
        Text("slide", """
## The sliding window

A convolution slides its kernel over W and H. At each position it multiplies the
kernel with the window under it, elementwise, and adds everything up. PyTorch, like
every deep-learning library, does not flip the kernel (mathematicians would call this
cross-correlation). Here is the lesson's example, a 3×3 kernel over a 7×7 image, with
the first output value computed by hand:"""),
        Code("slide_example", """\
x = torch.arange(49.0).view(7, 7)
w = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
by_hand = (x[0:3, 0:3] * w).sum()
torch_out = F.conv2d(x[None, None], w[None, None])
print("by hand:", by_hand.item(), " torch:", torch_out[0, 0, 0, 0].item())
print("torch's output is", tuple(torch_out.shape[2:]), "for a 7×7 image")"""),
        Task("conv_single"),
        Text("channels", """
## Several channels, several filters

An RGB image has three channels, so a kernel has three slices, one per channel: a
"3×3 kernel" over RGB is 3×3×3. The kernel still slides only over W and H; at each
position the dot product runs across all channels at once, and gives one number.
Each kernel produces one feature map, and a layer with O kernels produces O maps:
that is why a weight has shape (out_channels, in_channels, kh, kw)."""),
        Task("conv_multi"),
        Task("conv_strided"),
        Text("im2col_intro", """
## im2col: a convolution is a matrix product

Loops are slow. Libraries copy every window into a column of one big matrix (im2col,
`F.unfold`), flatten each filter into a row, and do all the dot products as one matrix
product. This is also why a convolution is a *linear* map of its input."""),
        Code("unfold_example", """\
small = torch.arange(16.0).view(1, 1, 4, 4)
cols = F.unfold(small, kernel_size=2)   # a 2×2 kernel on a 4×4 image, one channel
print(cols.shape)                        # each column is one window
print(cols[:, :, 0])                     # the top-left window, flattened"""),
        Task("im2col_shapes"),
        Task("im2col"),
        Text("photo_intro", """
## Filters on a real photograph

So far every input was random numbers. Here is a real photograph: Grace Hopper's
portrait, which matplotlib ships with its own files (nothing is downloaded).
`photo.gray()` gives it as a (1, 1, H, W) grey tensor, `photo.rgb()` as (1, 3, H, W)."""),
        Code("photo_show", """\
gray = photo.gray()
print(tuple(gray.shape))
photo.show_maps(photo.rgb(), {"grey": gray});"""),
        Task("photo_kernels"),
        Code("photo_maps", """\
# Each kernel is one feature detector: its output is one feature map of the photo.
if kernels is not None:
    maps = {name: F.conv2d(gray, torch.as_tensor(k, dtype=torch.float32).view(1, 1, 3, 3),
                           padding=1) for name, k in kernels.items()}
    photo.show_maps(gray, {name: m.abs() if name.startswith("sobel") else m
                           for name, m in maps.items()});"""),
        Task("edge_magnitude"),
        Code("edges_show", """\
if edge_magnitude is not None:
    photo.show_maps(photo.rgb(), {"edge magnitude": edge_magnitude(gray)}, columns=2);"""),
        Text("colour_intro", """
## One kernel per feature

Over RGB, a kernel's weights per channel decide which colours it responds to. A
layer with 16 kernels computes 16 such features at once; training chooses them."""),
        Task("colour_kernel"),
        Code("colour_show", """\
if red_kernel is not None:
    red = F.conv2d(photo.rgb(), red_kernel)
    photo.show_maps(photo.rgb(), {"red response": red.clamp(min=0)}, columns=2);"""),
        Written("linear_stack"),
        Text("wrap_up", """
## Wrap-up

- A convolution is a sliding dot product over H and W that runs across every input
  channel; PyTorch does not flip the kernel.
- Each kernel gives one feature map; the weight is (out_channels, in_channels, kh, kw).
- With stride s and padding p there are floor((H + 2p − k)/s) + 1 positions along H.
- im2col: `F.unfold` gives (N, C·k·k, L), L = H_out·W_out; one matrix product with the
  (O, C·k·k) weight does all the dot products.
- Convolutions are linear: without non-linearities between them, a stack collapses
  into one convolution."""),
    ),
)
