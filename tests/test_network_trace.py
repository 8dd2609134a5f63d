"""convdojo.trace: per-layer shapes, parameters and counted MACs; the first broken layer named."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import convdojo
from convdojo import counting
from convdojo.templates import DownBlock


def _lenet(pad: int = 2, features: int = 400) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(features, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


class Residual(nn.Module):
    """A plain residual block written as students write it: relu(x + body(x))."""

    def __init__(self, channels: int, pad: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=pad),
                                  nn.BatchNorm2d(channels), nn.ReLU(),
                                  nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


def test_lenet_shapes_params_and_macs_agree_with_torch() -> None:
    net = _lenet()
    t = convdojo.trace(net, (3, 1, 28, 28))
    assert t.ok and t.output_shape == (3, 10)
    assert len(t.rows) == 12
    # every row's shape is what the layers really give, one after the other
    x = torch.randn(3, 1, 28, 28)
    for row, layer in zip(t.rows, net):
        x = layer(x)
        assert row.output_shape == tuple(x.shape)
        assert row.params == sum(p.numel() for p in layer.parameters())
    assert t.total_params == sum(p.numel() for p in net.parameters())
    # conv MACs by hand: N * C_out * H_out * W_out * C_in * k * k
    assert t.rows[0].macs == 3 * 6 * 28 * 28 * 1 * 5 * 5
    assert t.rows[7].macs == 3 * 400 * 120
    assert t.rows[1].macs == 0  # ReLU is not a multiply-accumulate
    assert t.total_macs == counting.counted_macs(net, (3, 1, 28, 28))


def test_residual_block_is_traced_through_its_own_forward() -> None:
    block = Residual(8)
    t = convdojo.trace(block, (2, 8, 9, 7))
    assert t.ok
    assert [r.name for r in t.rows] == ["body.0", "body.1", "body.2", "body.3"]
    assert t.output_shape == (2, 8, 9, 7)
    assert t.total_params == sum(p.numel() for p in block.parameters())


def test_a_template_block_shows_a_row_of_its_own_inside_a_network() -> None:
    net = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), DownBlock(
        main=nn.Sequential(nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(), nn.Conv2d(128, 128, 3, 1, 1)),
        shortcut=nn.Conv2d(64, 128, 1, stride=2)))
    t = convdojo.trace(net, (1, 3, 7, 7))
    assert t.ok and t.output_shape == (1, 128, 4, 4)
    block_rows = [r for r in t.rows if r.params is None]
    assert [r.name for r in block_rows] == ["1"] and block_rows[0].output_shape == (1, 128, 4, 4)
    assert t.total_params == sum(p.numel() for p in net.parameters())  # no double count


def test_broken_linear_is_named_with_the_flattened_size() -> None:
    t = convdojo.trace(_lenet(pad=0), (2, 1, 28, 28))
    assert not t.ok and t.failure is not None
    assert t.failure.index == 8 and t.failure.name == "7"
    assert t.failure.input_shape == (2, 256)
    assert "receives 256 features" in t.failure.reason
    assert len(t.rows) == 7  # the layers before it ran and are shown
    text = str(t)
    assert "Stopped: Layer 8 (7: nn.Linear" in text and "mat1 and mat2" in text


def test_broken_conv_channels_and_too_small_input_get_the_formula() -> None:
    t = convdojo.trace(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(6, 8, 3)),
                       (1, 3, 8, 8))
    assert t.failure is not None and t.failure.index == 3
    assert "in_channels=6, but 8 channels reach it" in t.failure.reason
    t = convdojo.trace(nn.Sequential(nn.Conv2d(3, 8, 3), nn.MaxPool2d(2), nn.Conv2d(8, 8, 5)),
                       (1, 3, 8, 8))
    assert t.failure is not None and t.failure.index == 3
    assert "kernel spans 5 pixels" in t.failure.reason and "padded input is only 3" in \
        t.failure.reason


def test_broken_residual_branches_are_explained() -> None:
    block = DownBlock(main=nn.Sequential(nn.Conv2d(64, 128, 2, 2), nn.ReLU()),
                      shortcut=nn.Conv2d(64, 128, 1, stride=2))
    t = convdojo.trace(block, (1, 64, 7, 7))
    assert t.failure is not None and t.failure.layer == "DownBlock"
    assert "The main branch gives (1, 128, 3, 3) but the shortcut gives (1, 128, 4, 4)" in \
        t.failure.reason
    assert "floor((7 + 2*0 - 1*(2-1) - 1) / 2) + 1 = 3" in t.failure.reason
    t = convdojo.trace(Residual(8, pad=0), (1, 8, 9, 9))
    assert t.failure is not None and t.failure.name == "" and "must match" in t.failure.reason


def test_trace_leaves_the_model_as_it_was() -> None:
    net = _lenet(pad=0)
    net.train()
    convdojo.trace(net, (2, 1, 28, 28))
    assert all(m.training for m in net.modules())
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in net.modules())


def test_renders_as_text_markdown_and_html() -> None:
    t = convdojo.trace(_lenet(), (1, 1, 28, 28))
    assert repr(t) == str(t) and "61,706 parameters" in str(t)
    md = t._repr_markdown_()
    assert md.count("\n| ") == 13 and "| 8 | 7 | `nn.Linear(in_features=400" in md
    page = t._repr_html_()
    assert page.count("<tr>") == 13 and "(1, 10)" in page
    broken = convdojo.trace(_lenet(pad=0), (1, 1, 28, 28))._repr_html_()
    assert "Stopped: Layer 8" in broken and "#b00020" in broken


@pytest.mark.parametrize("model,shape,words", [
    (nn.Conv2d(1, 1, 3), torch.zeros(1, 1, 5, 5), "not a tensor"),
    (nn.Conv2d(1, 1, 3), (1, 1, 0, 5), "positive whole numbers"),
    (nn.Conv2d(1, 1, 3), "1, 1, 5, 5", "positive whole numbers"),
    (nn.Conv2d, (1, 1, 5, 5), "needs a model"),
])
def test_bad_arguments_say_what_to_pass(model, shape, words) -> None:
    with pytest.raises((TypeError, ValueError), match=words):
        convdojo.trace(model, shape)


# --- the counted references of the compute exercises ---------------------------------------

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from convdojo.specs import networks  # noqa: E402


@pytest.mark.parametrize("args,kwargs,hidden", networks.conv_macs.cases)
def test_conv_macs_reference_is_what_torch_counts_on_a_real_layer(args, kwargs, hidden) -> None:
    cin, cout, k, size = args
    h, w = (size, size) if isinstance(size, int) else size
    layer = nn.Conv2d(cin, cout, k, kwargs.get("stride", 1), kwargs.get("padding", 0),
                      groups=kwargs.get("groups", 1))
    counter = FlopCounterMode(display=False)
    with counter:
        out = layer(torch.randn(1, cin, h, w))
    want = counter.get_total_flops() // 2
    assert networks.conv_macs.reference(*args, **kwargs) == want
    kh, kw = layer.kernel_size
    assert want == out.numel() * (cin // layer.groups) * kh * kw  # and it means what it says


def test_activation_bytes_are_the_real_outputs() -> None:
    block, total = networks.vgg_block(), 0
    x = torch.randn(networks.ACT_BATCH)
    for layer in block:
        x = layer(x)
        total += x.numel() * x.element_size()
    assert networks.measured_bytes() == total == 142_606_336


def test_stem_counts_show_the_fourfold_saving() -> None:
    counts = networks.stem_counts()
    assert counts["stride1"] == 4 * counts["stride2"] == 64 * 224 * 224 * 3 * 7 * 7
