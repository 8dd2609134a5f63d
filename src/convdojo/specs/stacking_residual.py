"""Stacking layers, the residual block: a downsampling DownBlock whose branches must agree
(catalogue SK-4)."""

from __future__ import annotations

from torch import nn

from ..templates import DownBlock
from . import matchers as m
from .extras import ExtraLayerSpec, ModelCheck
from .rules import CEIL_HALF, spatial
from .variants import Draw, public, varying

__all__ = ["residual_down"]


def _residual_down(c_in: int, c_out: int, h: int) -> ExtraLayerSpec:
    return ExtraLayerSpec(
        id="residual_down",
        title="A downsampling residual block",
        prompt=(
            f"Build ResNet's downsampling block {c_in} → {c_out} channels with the template "
            "`DownBlock(main, shortcut)`, whose fixed forward is `relu(main(x) + shortcut(x))`. "
            f"`main`: a 3×3 convolution {c_in} → {c_out} with stride 2, a ReLU, and a 3×3 "
            f"convolution {c_out} → {c_out} with stride 1 (choose the paddings). `shortcut`: "
            f"one 1×1 convolution {c_in} → {c_out} that makes the input fit the main branch. "
            "The output is ceil(H/2) × ceil(W/2) for every H and W, odd ones too."
        ),
        answer_name="block",
        points=3,
        solution=(
            "from convdojo.templates import DownBlock\n\n"
            "block = DownBlock(\n"
            "    main=nn.Sequential(\n"
            f"        nn.Conv2d({c_in}, {c_out}, kernel_size=3, stride=2, padding=1),\n"
            "        nn.ReLU(),\n"
            f"        nn.Conv2d({c_out}, {c_out}, kernel_size=3, padding=1),\n"
            "    ),\n"
            f"    shortcut=nn.Conv2d({c_in}, {c_out}, kernel_size=1, stride=2),\n"
            ")"
        ),
        hints=(
            "The two branches are added, so they must agree on (N, C, H, W) for every input.",
            "Check both branches on an odd size, e.g. 7: floor((7 + 2p − k) / s) + 1.",
        ),
        input_shape=(1, c_in, h, h),
        rule=spatial(c_out, CEIL_HALF),
        layer_types=(nn.Conv2d, nn.ReLU, nn.BatchNorm2d, nn.AvgPool2d, nn.MaxPool2d),
        container_types=(DownBlock, nn.Sequential),
        min_layers=2,
        max_layers=10,
        variants=public(((1, c_in, 7, 7), "odd size"),
                        ((2, c_in, 9, 14), "non-square, odd height")),
        hidden_draws=(Draw("a 1×1 map", 1, 1, max_batch=3),
                      Draw("non-square, odd width", 2, 12, square=False, parity="mixed"),
                      Draw("another size", 1, 24, count=2, max_batch=2)),
        model_checks=(ModelCheck("a DownBlock", m.is_downblock, gate=True),
                      ModelCheck("the main branch", m.main_convs_for(c_in, c_out)),
                      ModelCheck("a 1×1 shortcut", m.shortcut_1x1)),
    )


residual_down = varying(_residual_down, {"c_in": (16, 24, 32, 48, 64),
                                         "c_out": (64, 96, 128), "h": (16, 24, 32)},
                        {"c_in": 64, "c_out": 128, "h": 32}, lambda c_in, c_out, h: c_out > c_in)

