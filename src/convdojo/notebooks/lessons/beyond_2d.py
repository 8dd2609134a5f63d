"""The beyond_2d notebook: Conv1d on audio (N, C, L) and Conv3d on video (N, C, T, H, W)."""

from __future__ import annotations

from ..lesson import Code, Lesson, Task, Text, Written

IMPORTS = """\
import torch
from torch import nn
from convdojo import check"""

LESSON = Lesson(
    assignment="beyond_2d",
    imports=IMPORTS,
    blocks=(
        Text("intro", """
# Beyond 2-D: Conv1d on audio, Conv3d on video

**Learning goals.** After this notebook you can

- write the shape of a batch of waveforms, (N, C, L), and of video clips, (N, C, T, H, W);
- predict L after `nn.Conv1d` and T, H and W after `nn.Conv3d`, each axis with its own
  kernel_size, stride, padding and dilation;
- build a strided Conv1d front end and a dilated *causal* stack with a given receptive
  field, as in WaveNet;
- choose between (1, k, k) and (k, k, k) video kernels and count what each costs.

**How this notebook works.** Each exercise gives an input shape and a rule for the
output. Replace `None` in the answer cell and run it; the cell below checks your
answer and explains what is wrong. A failed check shows a hint; each further failed
check shows the next one, and the last hint stays. The grader also runs hidden inputs:
other lengths, other clip sizes. Estimated time: 60 minutes.

*Sources: the PyTorch documentation of `nn.Conv1d` and `nn.Conv3d`; van den Oord et al.,
"WaveNet" (2016) for dilated causal convolutions; Tran et al., "A Closer Look at
Spatiotemporal Convolutions" (2018) for (2+1)-D kernels.*"""),
        Text("one_formula", """
## One formula per axis

A Conv1d slides its kernel along one axis, L; a Conv3d along three, T, H and W. Every
axis follows the formula you know from H and W, with its own numbers (an int
hyperparameter is the same on every axis, a tuple gives one value per axis):

$$L_{out} = \\left\\lfloor \\frac{L + 2\\cdot\\text{padding} - \\text{dilation}\\cdot(\\text{kernel\\_size} - 1) - 1}{\\text{stride}} \\right\\rfloor + 1$$"""),
        Code("worked_example", """\
# Two seconds of stereo audio at 8 kHz: N=1 clip, C=2 channels, L=16000 samples.
wave = torch.randn(1, 2, 16000)
print(nn.Conv1d(2, 8, kernel_size=5)(wave).shape)       # L loses 4 samples
# A clip of 4 RGB frames of 10×10 pixels: (N, C, T, H, W).
clip = torch.randn(1, 3, 4, 10, 10)
print(nn.Conv3d(3, 8, kernel_size=(1, 5, 5))(clip).shape)  # T kept, H and W lose 4"""),
        Code("formula_demo", """\
from convdojo.shapes_nd import conv_out_nd

conv_out_nd((4, 10, 10), kernel_size=(1, 5, 5))   # the same numbers, without a tensor"""),
        Task("audio_frontend"),
        Text("causal", """
## Causal convolutions: no peeking at the future

A model that generates audio one sample at a time may only use the past: output t
must not depend on inputs after t. `padding=p` in `nn.Conv1d` pads **both** ends, so
the kernel centred on t reads samples after it. Padding only the left end with
`nn.ZeroPad1d((left, 0))` keeps the length and makes the layer causal. Dilation lets a
few layers hear far back: a kernel of 3 with dilation d spans 2·d + 1 samples."""),
        Code("causal_widget", """\
from convdojo.widgets import SlidingKernel

# padding=2 pads both ends: step to the last samples and see the window read past t.
SlidingKernel(input_size=(16,), kernel_size=3, dilation=2, padding=2)"""),
        Task("causal_stack"),
        Text("video", """
## Video: time is one more axis

A Conv3d's kernel spans kt frames and kh × kw pixels. Strides and paddings are per
axis too, so one layer can keep the number of frames while it halves the picture.
Step through the frames with the depth slider of the widget below."""),
        Code("video_widget", """\
SlidingKernel(input_size=(4, 8, 8), kernel_size=(3, 3, 3), stride=(1, 2, 2), padding=1)"""),
        Task("video_conv"),
        Task("conv3d_params"),
        Written("why_2plus1"),
        Text("wrap_up", """
## Wrap-up

- Audio is (N, C, L), video (N, C, T, H, W); every axis has its own copy of the formula.
- A tuple hyperparameter gives one value per axis; an int is the same on all.
- Causal means padding on the left only; layers of kernel 3 with dilations d₁, d₂, …
  hear 1 + 2·(d₁ + d₂ + …) samples, so dilations that double reach far back quickly.
- A (k, k, k) kernel costs k times the weights of a (1, k, k) one, and only it sees
  motion."""),
    ),
)
