"""SlidingKernel in 1-D and 3-D, and the pooling stride default (issue 16), against torch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from convdojo.widgets import SlidingKernel

LAYERS = {  # mode -> nn class per number of spatial dims
    "conv": {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d},
    "transposed": {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d},
    "maxpool": {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d},
    "avgpool": {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d},
}


def torch_twin(w: SlidingKernel) -> nn.Module:
    """The nn layer the widget shows, with the widget's own weights."""
    n = len(w.input_size) if isinstance(w.input_size, tuple) else 2
    cls = LAYERS[w.mode][n]
    stride = w.stride
    if w.mode in ("conv", "transposed"):
        extra = {"output_padding": w.output_padding} if w.mode == "transposed" else {
            "padding_mode": w.padding_mode}
        layer = cls(w.in_channels, w.out_channels, w.kernel_size, stride or 1, w.padding,
                    dilation=w.dilation, groups=w.groups, bias=w.bias is not None, **extra)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor(w.weight, dtype=torch.float64))
            if w.bias is not None:
                layer.bias.copy_(torch.tensor(w.bias, dtype=torch.float64))
        return layer.double()
    if w.mode == "maxpool":
        return cls(w.kernel_size, stride, w.padding, w.dilation, ceil_mode=w.ceil_mode)
    return cls(w.kernel_size, stride, w.padding, ceil_mode=w.ceil_mode,
               count_include_pad=w.count_include_pad)


def torch_out(w: SlidingKernel) -> torch.Tensor:
    x = torch.tensor(w.input_values, dtype=torch.float64)[None]
    with torch.no_grad():
        return torch_twin(w)(x)[0, w.out_channel]


@pytest.mark.parametrize("mode,layer", [("maxpool", nn.MaxPool2d(2)), ("avgpool", nn.AvgPool2d(2))])
def test_pooling_stride_defaults_to_the_kernel_size_like_torch(mode, layer) -> None:
    w = SlidingKernel(input_size=(7, 7), kernel_size=2, mode=mode)
    assert w.output_size == tuple(layer(torch.zeros(1, 1, 7, 7)).shape[2:]) == (3, 3)
    assert w.n_steps == 9 and w.controls["stride"].value == "2"
    assert torch.allclose(torch.tensor(w.outputs, dtype=torch.float64), torch_out(w).flatten())
    w.kernel_size = 3  # the default follows the kernel, as torch's does
    assert w.output_size == (2, 2)
    assert SlidingKernel(input_size=(7, 7), kernel_size=2).output_size == (6, 6)  # conv: 1


ONE_D = [
    dict(input_size=(16,), kernel_size=3, dilation=2, padding=2),
    dict(input_size=(11,), kernel_size=4, padding="same", in_channels=2, out_channels=2),
    dict(input_size=(9,), kernel_size=3, stride=2, padding=1, in_channels=2, out_channels=4, groups=2),
    dict(input_size=(5,), kernel_size=3, stride=2, padding=1, output_padding=1, mode="transposed"),
    dict(input_size=(9,), kernel_size=2, padding=1, mode="maxpool", ceil_mode=True),
    dict(input_size=(10,), kernel_size=3, stride=2, padding=1, mode="avgpool",
         count_include_pad=False, ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", ONE_D)
def test_1d_mode_matches_torch_and_says_l(kwargs) -> None:
    w = SlidingKernel(**kwargs)
    want = torch_out(w)
    assert w.output_size == tuple(want.shape) and w.n_steps == want.shape[0]
    assert torch.allclose(torch.tensor(w.outputs, dtype=torch.float64), want)
    assert len(w.geometry.formulas()) >= 1 and w.geometry.formulas()[0].startswith("L_out = ")
    assert "samples" in w.caption and "rows" not in w.caption
    assert w.arithmetic is not None and w.arithmetic.total == pytest.approx(float(want[0]))


THREE_D = [
    dict(input_size=(4, 6, 6), kernel_size=3, stride=(1, 2, 2), padding=1),
    dict(input_size=(3, 5, 4), kernel_size=(2, 3, 3), padding=(1, 0, 1), dilation=(2, 1, 1),
         in_channels=2, out_channels=2),
    dict(input_size=(3, 3, 3), kernel_size=(2, 3, 3), stride=2, padding=1, output_padding=(1, 0, 1),
         mode="transposed"),
    dict(input_size=(5, 5, 5), kernel_size=2, stride=2, padding=1, mode="maxpool", ceil_mode=True),
    dict(input_size=(5, 4, 5), kernel_size=3, stride=2, padding=1, mode="avgpool",
         count_include_pad=False, ceil_mode=True),
    dict(input_size=(4, 4, 4), kernel_size=3, stride=1, padding=1, mode="avgpool"),
]


@pytest.mark.parametrize("kwargs", THREE_D)
def test_3d_mode_draws_each_output_frame_as_torch_computes_it(kwargs) -> None:
    w = SlidingKernel(**kwargs)
    want = torch_out(w)
    assert w.output_size == tuple(want.shape)
    assert w.geometry.formulas()[0].startswith("T_out = ")
    for t in range(want.shape[0]):
        w.depth_step = t
        assert w.frame["depth_step"] == t and w.n_steps == want.shape[1] * want.shape[2]
        assert torch.allclose(torch.tensor(w.outputs, dtype=torch.float64), want[t].flatten(),
                              atol=1e-9), t
        assert f"output ({t}, 0, 0)" in w.caption and "frames" in w.caption
        planes = len(w.frame["frames"]) * len(w.frame["in_channels_read"])
        assert len(w.frame["values"]) == len(w.frame["plane_kinds"]) == planes
        assert len(w.frame["channels"]) == planes  # the drawing labels each plane


def test_depth_step_outside_the_output_frames_explains() -> None:
    w = SlidingKernel(input_size=(4, 6, 6), kernel_size=3, padding=1)
    w.depth_step = 4
    assert w.error.startswith("depth_step must be an int in 0..3")


@pytest.mark.parametrize("layer,shape", [
    (nn.Conv1d(2, 3, 5, stride=2, padding=2), (1, 2, 17)),
    (nn.MaxPool1d(3, ceil_mode=True), (4, 10)),
    (nn.Conv3d(1, 2, (1, 3, 3), (1, 2, 2), (0, 1, 1)), (3, 7, 7)),
    (nn.AvgPool3d(2, padding=1, count_include_pad=False), (1, 2, 3, 4, 5)),
    (nn.ConvTranspose1d(1, 1, 3, 2, 1, output_padding=1), (1, 1, 4)),
])
def test_from_layer_shows_1d_and_3d_layers_with_their_numbers(layer, shape) -> None:
    w = SlidingKernel.from_layer(layer, shape)
    n = 1 if "1d" in type(layer).__name__ else 3
    full = shape if len(shape) == n + 2 else (1, *shape) if len(shape) == n + 1 else (
        1, layer.in_channels, *shape)
    with torch.no_grad():
        want = layer.double()(torch.tensor(w.input_values, dtype=torch.float64)[None])
    assert w.error == "" and w.output_size == tuple(want.shape[2:])
    assert tuple(torch.tensor(w.input_values).shape) == full[1:]
    flat = want[0, 0] if n == 1 else want[0, 0, 0]
    assert torch.allclose(torch.tensor(w.outputs, dtype=torch.float64), flat.flatten())


def test_from_layer_refuses_a_shape_of_the_wrong_rank() -> None:
    with pytest.raises(TypeError, match=r"\(T, H, W\), \(C, T, H, W\) or \(N, C, T, H, W\)"):
        SlidingKernel.from_layer(nn.Conv3d(1, 1, 3), (5, 5))


@pytest.mark.parametrize("kwargs", [ONE_D[0], THREE_D[0]])
def test_1d_and_3d_widgets_export_to_gif_and_html(kwargs, tmp_path) -> None:
    from PIL import Image

    w = SlidingKernel(**kwargs)
    gif = w.to_gif(tmp_path / "w.gif", steps=range(3))
    assert Image.open(gif).n_frames == 3
    html = w.to_html()
    assert w.geometry.formulas()[0].split(" = ")[0] in html  # L_out or T_out
    assert len(w.plane_values) == w.in_channels
