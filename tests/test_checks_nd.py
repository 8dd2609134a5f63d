"""The checks on 1-D and 3-D layers: per-axis formula feedback, integrity, references, and
the wall (the sandbox's exporter and the checker's rebuilder) for every 1-D/3-D layer type."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from convdojo import shapes
from convdojo.checks.explain import explain_dims, reconsider
from convdojo.checks.integrity import inconsistent, make_honest, malformed
from convdojo.checks.reference import has_tree_reference, reference_tree
from convdojo.checks.structure import attribute, padding_px
from convdojo.checks.trace import why_it_fails
from convdojo.grade import plain
from convdojo.sandbox.inside import codec, private


def test_conv1d_feedback_names_l_and_fills_in_the_formula() -> None:
    layer = nn.Conv1d(1, 32, 8, stride=4)
    lines = explain_dims([layer], (2, 1, 16000), (2, 32, 3999), (2, 32, 4000))
    assert lines == ["L: expected 4000, got 3999. Your nn.Conv1d gives "
                     + shapes.conv_formula(16000, 8, 4, 0, 1) + "."]
    assert "floor((16000 + 2*0 - 1*(8-1) - 1) / 4) + 1 = 3999" in lines[0]


def test_conv3d_feedback_traces_each_of_t_h_w_with_its_own_numbers() -> None:
    layer = nn.Conv3d(3, 16, (3, 3, 3), stride=(2, 1, 1), padding=(1, 0, 1))
    lines = explain_dims([layer], (1, 3, 8, 9, 9), (1, 16, 4, 7, 9), (1, 16, 8, 9, 9))
    assert [line.split(":")[0] for line in lines] == ["T", "H"]
    assert "floor((8 + 2*1 - 1*(3-1) - 1) / 2) + 1 = 4" in lines[0]
    assert "floor((9 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 7" in lines[1]


def test_identical_wrong_axes_are_said_once() -> None:
    layer = nn.Conv3d(1, 1, 3)
    lines = explain_dims([layer], (1, 1, 6, 6, 6), (1, 1, 4, 4, 4), (1, 1, 6, 6, 6))
    assert len(lines) == 1 and lines[0].startswith("T, H and W: expected 6, got 4.")


def test_avgpool_feedback_has_no_dilation_term_maxpool_keeps_it() -> None:
    avg = explain_dims([nn.AvgPool1d(3, 2)], (1, 4, 10), (1, 4, 4), (1, 4, 5))[0]
    assert "floor((10 + 2*0 - 3) / 2) + 1 = 4" in avg and "*(3-1)" not in avg
    most = explain_dims([nn.MaxPool3d(3, 2, dilation=2)], (1, 1, 9, 9, 9), (1, 1, 3, 3, 3),
                        (1, 1, 4, 4, 4))[0]
    assert "floor((9 + 2*0 - 2*(3-1) - 1) / 2) + 1 = 3" in most


def test_ceil_mode_feedback_says_when_the_last_window_is_dropped() -> None:
    # 5 samples, kernel 2, stride 2, padding 1: ceil gives 4, but the 4th window would
    # start in the right padding, so torch gives 3.
    pool = nn.MaxPool1d(2, 2, padding=1, ceil_mode=True)
    assert pool(torch.zeros(1, 1, 5)).shape[-1] == 3
    line = explain_dims([pool], (1, 1, 5), (1, 1, 3), (1, 1, 4))[0]
    assert "- 1 = 3 (the last window would start in the padding)" in line


def test_transposed_3d_feedback_includes_output_padding() -> None:
    layer = nn.ConvTranspose3d(4, 2, (1, 4, 4), (1, 2, 2), (0, 1, 1))
    got = tuple(layer(torch.zeros(1, 4, 3, 5, 5)).shape)
    lines = explain_dims([layer], (1, 4, 3, 5, 5), got, (1, 2, 3, 11, 11))
    assert "H and W: expected 11, got 10." in lines[0]
    assert "(5-1)*2 - 2*1 + 1*(4-1) + 0 + 1 = 10" in lines[0]


def test_reconsider_searches_every_axis_of_a_1d_and_3d_layer() -> None:
    cases = [((1, 1, n), (1, 32, n // 4)) for n in (16, 17, 4001)]
    assert reconsider(nn.Conv1d(1, 32, 8, stride=4), cases, set()) == ["padding",
                                                                         "kernel_size"]
    cases3 = [((1, 3, t, h, w), (1, 16, t, -(-h // 2), -(-w // 2)))
              for t, h, w in ((8, 32, 32), (5, 7, 9))]
    assert "stride" in reconsider(nn.Conv3d(3, 16, 3, 2, 1), cases3, set())


def test_a_hidden_3d_failure_names_the_axis_but_not_the_sizes() -> None:
    from convdojo import check
    result = check("video_conv", nn.Conv3d(3, 16, 3, (2, 2, 2), 1), hidden=True, device="cpu")
    text = "\n".join(result.feedback)
    assert "the output has the wrong T (rule:" in text
    assert "(1, 3, 9, 17, 31)" not in text


@pytest.mark.parametrize("layer", [nn.Conv1d(2, 4, 3), nn.Conv3d(2, 4, (1, 3, 3)),
                                   nn.ConvTranspose1d(2, 4, 3), nn.ConvTranspose3d(2, 4, 2)])
def test_forged_kernel_size_is_caught_and_corrected_from_the_weight(layer) -> None:
    assert not malformed(layer) and not inconsistent(layer)
    real = tuple(layer.kernel_size)
    layer.kernel_size = (5,) * len(real)
    assert "the weight is " + "×".join(map(str, real)) in " ".join(inconsistent(layer))
    make_honest(layer)
    assert tuple(layer.kernel_size) == real


def test_malformed_nd_values_are_structural() -> None:
    conv = nn.Conv3d(1, 1, 3)
    conv.stride = (1, 1)  # two values for three axes
    assert any("stride" in m for m in malformed(conv))
    pool = nn.MaxPool1d(2)
    pool.kernel_size = (2, 2)
    assert any("kernel_size" in m for m in malformed(pool))
    assert not malformed(nn.Conv1d(1, 1, 3, padding="same"))


def test_attributes_are_one_value_per_axis() -> None:
    assert attribute(nn.Conv1d(1, 1, 5), "kernel_size") == (5,)
    assert attribute(nn.MaxPool3d(2), "kernel_size") == (2, 2, 2)
    assert padding_px(nn.Conv1d(1, 1, 4, padding="same")) == ((1, 2),)
    assert padding_px(nn.Conv3d(1, 1, 3, padding=(0, 1, 2))) == ((0, 0), (1, 1), (2, 2))


LAYERS_ND = [
    nn.Conv1d(2, 4, 3, stride=2, padding="valid", dilation=2),
    nn.Conv1d(2, 4, 4, padding="same", padding_mode="reflect"),
    nn.Conv3d(2, 4, (1, 3, 3), (1, 2, 2), (0, 1, 1), groups=2),
    nn.ConvTranspose1d(2, 4, 3, 2, 1, output_padding=1),
    nn.ConvTranspose3d(2, 4, (1, 4, 4), (1, 2, 2), (0, 1, 1)),
    nn.MaxPool1d(3, 2, 1, ceil_mode=True),
    nn.MaxPool3d((1, 2, 2), dilation=(1, 2, 1)),
    nn.AvgPool1d(3, 2, 1, count_include_pad=False),
    nn.AvgPool3d(2, ceil_mode=True),
    nn.AdaptiveAvgPool1d(3), nn.AdaptiveMaxPool3d((1, 2, None)),
    nn.BatchNorm1d(2).eval(), nn.BatchNorm3d(2).eval(),
    nn.Sequential(nn.ZeroPad1d((2, 0)), nn.Conv1d(2, 4, 3, dilation=2)),
    nn.Sequential(nn.ConstantPad1d((1, 3), 0.5), nn.Conv1d(2, 2, 3)),
]


def _input(layer: nn.Module) -> torch.Tensor:
    dims = 1 if any("1d" in type(m).__name__ for m in layer.modules()) else 3
    return torch.randn(2, 2, *(7,) * dims)


@pytest.mark.parametrize("layer", LAYERS_ND, ids=lambda m: type(m).__name__)
def test_functional_reference_recomputes_every_nd_layer(layer) -> None:
    containers = (nn.Sequential,)
    assert has_tree_reference(layer, containers)
    x = _input(layer)
    with torch.no_grad():
        assert torch.allclose(reference_tree(layer, containers, x), layer(x), atol=1e-6)


@pytest.fixture(scope="module")
def sender() -> dict:
    return private.load(private.compile_file("sender.py"))


@pytest.mark.parametrize("layer", LAYERS_ND, ids=lambda m: type(m).__name__)
def test_every_nd_layer_survives_the_wall(sender, layer) -> None:
    """Exported as plain data in the sandbox, rebuilt by class name outside: the same layer."""
    back = plain.rebuild(json.loads(json.dumps(codec.to_json(sender["encode"](layer)))))
    assert type(back) is type(layer)
    assert not [m for m in back.modules() if malformed(m) or inconsistent(m)]
    x = _input(layer)
    with torch.no_grad():
        assert torch.equal(back(x), layer(x))


def test_why_it_fails_names_the_1d_layer_and_its_formula() -> None:
    model = nn.Sequential(nn.Conv1d(16, 16, 3, dilation=4), nn.Conv1d(16, 16, 3, dilation=4))
    text = why_it_fails(model, (nn.Sequential,), (1, 16, 12), hidden=False)
    assert text.startswith("nn.Conv1d: the kernel is larger than the padded input")
    assert "[L: floor((12 + 2*0 - 4*(3-1) - 1) / 1) + 1 = 4]" in text
    wrong = why_it_fails(nn.Sequential(nn.Conv3d(3, 8, 3)), (nn.Sequential,), (1, 3, 8, 8),
                         hidden=False)
    assert "which is not (N, C, T, H, W)" in wrong
