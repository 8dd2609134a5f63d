"""The modern_convs notebook: dilation, 1×1, depthwise, separable and transposed convolutions."""

from __future__ import annotations

from ..lesson import Code, Lesson, Task, Text, Written

IMPORTS = """\
import torch
from torch import nn
from convdojo import check"""

LESSON = Lesson(
    assignment="modern_convs",
    imports=IMPORTS,
    blocks=(
        Text("intro", """
# Modern convolutions: dilation, 1×1, groups and transposed convolutions

**Learning goals.** After this notebook you can

- widen what a kernel sees with `dilation` and keep the size with the right padding;
- use a 1×1 convolution to mix channels at every pixel;
- build depthwise and depthwise-separable convolutions with `groups` and check them
  by their parameter count;
- count the parameters of any `nn.Conv2d`, with bias, groups and non-square kernels;
- upsample with `nn.ConvTranspose2d` and use `output_padding` to undo a stride-2
  convolution exactly.

Answer each exercise in its cell and run the check below it. The grader also runs
hidden inputs (batch 1, odd and non-square sizes).
A failed check shows a hint; each further failed check shows the next one, and the
last hint stays.
Estimated time: 60 minutes.

*Sources: d2l.ai §7.4 (1×1 convolutions) and §14.10 (transposed convolution); the
MobileNet paper (Howard et al., 2017) for depthwise-separable convolutions; the
PyTorch documentation of `nn.Conv2d` and `nn.ConvTranspose2d`.*"""),
        Text("dilation", """
## Dilation

A dilated kernel leaves `dilation − 1` pixels between its taps. It keeps its k·k
weights but spans d·(k − 1) + 1 pixels: the widget's 3×3 kernel with dilation 2 spans
2·(3 − 1) + 1 = 5. The convolution formula uses the span instead of the kernel size:

$$H_{out} = \\left\\lfloor \\frac{H + 2p - d\\,(k - 1) - 1}{s} \\right\\rfloor + 1$$

Step through the widget: the taps skip every other pixel, and without padding a
7×7 input shrinks to 3×3. Change `padding` in the widget until the size is kept."""),
        Code("dilation_widget", """\
from convdojo.widgets import SlidingKernel

SlidingKernel(input_size=(7, 7), kernel_size=3, dilation=2, padding=0)"""),
        Task("dilated_conv"),
        Text("pointwise", """
## 1×1 convolutions mix channels

A 1×1 kernel sees one pixel, but all C input channels there. It computes the same
linear map (a `C_in × C_out` matrix plus a bias) at every position: a fully
connected layer applied pixel by pixel (d2l §7.4). Networks use it to change the
number of channels cheaply."""),
        Code("pointwise_example", """\
# A 1×1 convolution is a Linear layer applied at every pixel.
conv = nn.Conv2d(4, 2, kernel_size=1)
linear = nn.Linear(4, 2)
linear.weight.data = conv.weight.data.reshape(2, 4)
linear.bias.data = conv.bias.data
x = torch.randn(1, 4, 3, 3)
per_pixel = linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
torch.allclose(conv(x), per_pixel)"""),
        Task("pointwise_conv"),
        Text("groups", """
## Groups: depthwise and separable convolutions

`groups=g` splits the input and output channels into `g` groups that do not see each
other; each filter spans only `in_channels // g` channels, so the weight has shape
`(out_channels, in_channels // groups, kh, kw)`. With `groups = in_channels = out_channels`
every channel gets its own filter: a *depthwise* convolution. Followed by a 1×1
convolution that mixes the channels, it forms MobileNet's *depthwise-separable*
convolution, a cheap stand-in for a full convolution."""),
        Code("groups_example", """\
for g in (1, 4, 16):
    layer = nn.Conv2d(16, 16, kernel_size=3, groups=g)
    print(f"groups={g:2}: weight {tuple(layer.weight.shape)}, "
          f"{sum(p.numel() for p in layer.parameters())} parameters")"""),
        Task("depthwise_conv"),
        Task("separable_conv"),
        Written("separable_savings"),
        Task("conv_params"),
        Text("transposed", """
## Transposed convolutions

`nn.ConvTranspose2d` runs a convolution's arithmetic backwards: every input pixel
scatters a weighted copy of the kernel into the output, `stride` pixels apart, and
overlapping copies add up. Its output size is

$$H_{out} = (H - 1)\\cdot s - 2p + d\\,(k - 1) + \\text{output\\_padding} + 1$$

Its weight is stored as `(in_channels, out_channels // groups, kh, kw)`, the shape of
the convolution it transposes."""),
        Code("transposed_widget", """\
from convdojo.widgets import SlidingKernel

# The transpose of a k3/s2/p1 convolution: each input pixel scatters a 3×3 copy of the
# kernel, 2 pixels apart. 4×4 comes out 7×7 - the last exercise asks for twice the size.
SlidingKernel(input_size=(4, 4), kernel_size=3, stride=2, padding=1, mode="transposed")"""),
        Task("upsample_transposed"),
        Task("tconv_weight_shape"),
        Task("undo_downsample"),
        Written("not_an_inverse"),
        Text("wrap_up", """
## Wrap-up

- Dilation spreads a kernel to span d·(k − 1) + 1 pixels without adding weights.
- A 1×1 convolution mixes channels per pixel: `C_in·C_out + C_out` parameters.
- `groups` divides the channels each filter sees; depthwise means one filter per
  channel, separable adds a 1×1 mix: about 1/k² + 1/C_out of the parameters.
- A transposed convolution multiplies the size by its stride (roughly); it restores
  shapes, not values, and `output_padding` picks between sizes the forward
  convolution would merge."""),
    ),
)
