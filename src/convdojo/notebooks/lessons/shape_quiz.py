"""The shape_quiz notebook: predict shapes, errors and parameter counts, checked against torch."""

from __future__ import annotations

from ..lesson import Code, Lesson, Task, Text, Written

IMPORTS = """\
import torch
from torch import nn
from convdojo import check"""

LESSON = Lesson(
    assignment="shape_quiz",
    imports=IMPORTS,
    blocks=(
        Text("intro", """
# Prediction quiz: shapes, errors and parameter counts

**Learning goals.** After this quiz you can predict, without running anything,

- the output shape of convolution, pooling and transposed-convolution layers,
  including non-square kernels, dilation and `ceil_mode`;
- when PyTorch refuses a configuration, whether it does so when the layer is built
  or when it is called, and with which exception;
- the number of parameters of common layers.

Work on paper first. The grader runs every layer in real PyTorch and compares; each
right answer earns its share of the points, so a partly right quiz still scores.
A failed check shows a hint; each further failed check shows the next one, and the
last hint stays.
Estimated time: 25 minutes.

*Sources: d2l.ai §7.3 (a (3, 5) kernel with padding (0, 1) and a stride per axis);
CS231n notes "Convolutional Networks" (a stride that does not fit the input, and
AlexNet's 224 vs 227).*"""),
        Text("formulas", """
## The formulas, once more

| layer | output size along one dimension |
|---|---|
| `nn.Conv2d`, `nn.MaxPool2d` | ⌊(H + 2p − d(k − 1) − 1) / s⌋ + 1 (pooling: s defaults to k; `ceil_mode` rounds up) |
| `nn.AvgPool2d` | ⌊(H + 2p − k) / s⌋ + 1 |
| `nn.ConvTranspose2d` | (H − 1)·s − 2p + d(k − 1) + output_padding + 1 |

Torch refuses a kernel larger than the padded input, pooling padding above
`kernel_size // 2`, and `padding='same'` with a stride above 1."""),
        Code("worked_example", """\
# Worked example: a 5×5 kernel with stride 2 and padding 1 on a 12×9 input.
# H: floor((12 + 2 - 5) / 2) + 1 = 5;  W: floor((9 + 2 - 5) / 2) + 1 = 4
nn.Conv2d(1, 1, kernel_size=5, stride=2, padding=1)(torch.randn(1, 1, 12, 9)).shape"""),
        Task("predict_shapes"),
        Task("predict_params"),
        Written("alexnet_224"),
        Written("same_stride"),
        Text("wrap_up", """
## Wrap-up

Every shape in this kit follows from three formulas and three refusals. When a
network surprises you, print the shape after each layer and compare it with what
the formula predicts: the first layer where they differ is the one to fix."""),
    ),
)
