"""The networks notebook: MACs, activation memory, and tracing a whole network to its bug."""

from __future__ import annotations

from ...exercise_code import BROKEN_NETWORK as BROKEN
from ..lesson import Code, Lesson, Task, Text, Written

IMPORTS = """\
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
import convdojo
from convdojo import check"""

LESSON = Lesson(
    assignment="networks",
    imports=IMPORTS,
    blocks=(
        Text("intro", """
# Whole networks: compute, memory and the first broken layer

**Learning goals.** After this notebook you can

- count the multiply-accumulates (MACs) of a convolution, and check your count with
  torch's own counter;
- explain why a stride-2 stem makes the rest of a network cheap;
- work out how much memory a batch's activations take during training;
- trace a whole network layer by layer, find the first layer that breaks, and fix it.

Answer each exercise in its cell and run the check below it. A failed check shows a
hint; each further failed check shows the next one, and the last hint stays. The
grader also runs hidden inputs. Estimated time: 50 minutes.

*Sources: d2l.ai §8.6 (ResNet) and §8.8 (designing networks); CS231n notes
"Convolutional Networks" (computational considerations); the MobileNet paper (Howard
et al., 2017) for MACs as the cost of a layer; PyTorch's `torch.utils.flop_counter`.*"""),
        Text("macs_intro", """
## Multiply-accumulates

Each output value of a convolution is one filter applied at one position: it
multiplies `in_channels // groups × kh × kw` inputs by as many weights and adds them
up. That is one *multiply-accumulate* (MAC) per weight, so

MACs = (number of output values) × (weights per filter).

FLOP counters count a multiply and an add separately: 2 FLOPs per MAC. torch has one
built in; it runs the layer and counts what the kernels do."""),
        Code("macs_example", """\
layer = nn.Conv2d(3, 16, kernel_size=3, padding=1)
counter = FlopCounterMode(display=False)
with counter:
    layer(torch.zeros(1, 3, 32, 32))
print("FLOPs:", counter.get_total_flops(), " MACs:", counter.get_total_flops() // 2)"""),
        Task("conv_macs"),
        Task("stem_macs"),
        Text("memory_intro", """
## Activation memory

Training keeps the output of every layer until the backward pass has used it, for the
whole batch. A tensor takes `numel() × element_size()` bytes: 4 bytes per float32.
Early layers on large maps dominate: that is where batch size runs out of memory."""),
        Code("memory_example", """\
out = nn.Conv2d(3, 16, kernel_size=3, padding=1)(torch.zeros(8, 3, 32, 32))
print(tuple(out.shape), out.numel(), "numbers,", out.numel() * out.element_size(), "bytes")"""),
        Task("activation_memory"),
        Text("trace_intro", """
## Tracing a whole network

`convdojo.trace(model, input_shape)` runs a network on a zero input and shows, for
every layer, its output shape, its parameters and its MACs (counted by torch). Where a
layer raises, it stops there, names the layer, and explains the failure with the same
formulas the checks use."""),
        Code("trace_lenet", """\
lenet = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
)
convdojo.trace(lenet, (1, 1, 28, 28))"""),
        Code("trace_broken", "# The network of the next exercise, as given: trace it.\n"
             + BROKEN.replace("net = ", "broken = ", 1)
             + "\nconvdojo.trace(broken, (8, 3, 32, 32))"),
        Task("fix_network"),
        Written("cost_tradeoff"),
        Text("wrap_up", """
## Wrap-up

- A convolution costs (output values) × (in_channels // groups · kh · kw) MACs; FLOP
  counters report twice that.
- Stride 2 halves H and W, so every later layer runs on 4× fewer positions.
- Activations cost N · C · H · W · 4 bytes per float32 layer output, kept for backward.
- When a network crashes, trace it: the first layer that cannot take what reaches it
  is where to look, and its formula says which number to change."""),
    ),
)
