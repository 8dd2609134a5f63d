"""The catalogue, table-driven: for every exercise one correct answer and characteristic mistakes.

Each mistake must fail, score exactly the points written next to it (the grading policy:
at most 25 % when the shown input fails, at most 50 % when another input breaks the rule
or a defining constraint is broken, 10 % off per secondary slip, 0 for a structural
failure; see test_policy for the policy itself), and name its cause in the feedback.
Hidden inputs never appear in it.
The second half checks every value and function spec's reference against real torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import catalogue_beyond_2d
from convdojo import check, shapes, specs
from convdojo.specs import modern_convs, pooling, shape_quiz, stacking
from convdojo.specs.extras import measure_receptive_field
from convdojo.templates import DownBlock
from catalogue_networks import CASES as NETWORK_CASES

import compute_answers as ca


@dataclass
class Mistake:
    answer: Callable[[], Any]
    words: list[str]
    points: float  # exactly what the grading policy gives it, with the hidden inputs


@dataclass
class Case:
    correct: Callable[[], Any]
    mistakes: list[Mistake] = field(default_factory=list)
    also_correct: list[Callable[[], Any]] = field(default_factory=list)  # other right forms


def _fn(f: Callable[..., Any]) -> Callable[[], Callable[..., Any]]:
    return lambda: f


# --- answers that several rows share -----------------------------------------------------

def _params_no_bias(cin, cout, k, bias=True, groups=1):
    kh, kw = (k, k) if isinstance(k, int) else k
    return cout * (cin // groups) * kh * kw


def _params_no_groups(cin, cout, k, bias=True, groups=1):
    kh, kw = (k, k) if isinstance(k, int) else k
    return cout * cin * kh * kw + (cout if bias else 0)


def _params_square(cin, cout, k, bias=True, groups=1):
    kh = k if isinstance(k, int) else k[0]
    return cout * (cin // groups) * kh * kh + (cout if bias else 0)


def _params_alt(in_channels, out_channels, kernel_size, bias=True, groups=1):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return int(np.prod([out_channels, in_channels // groups, kh, kw])) + bias * out_channels


def _nchw_reshape(a):
    t = torch.from_numpy(a).float()
    if t.dim() == 3:
        return t.reshape(1, a.shape[2], a.shape[0], a.shape[1])
    return t.reshape(a.shape[0], a.shape[3], a.shape[1], a.shape[2])


def _nchw_no_float(a):
    t = torch.from_numpy(a)
    return t.permute(2, 0, 1)[None] if t.dim() == 3 else t.permute(0, 3, 1, 2)


def _nchw_swapped(a):
    t = torch.from_numpy(a).float()
    return t.permute(2, 1, 0)[None] if t.dim() == 3 else t.permute(0, 3, 2, 1)


def _nchw_no_batch(a):
    t = torch.from_numpy(a).float()
    return t.permute(2, 0, 1) if t.dim() == 3 else t.permute(0, 3, 1, 2)


def _nchw_alt(image):
    batch = image[None] if image.ndim == 3 else image
    return torch.tensor(np.transpose(batch, (0, 3, 1, 2)), dtype=torch.float32)


def _rf_no_stride(layers):
    return 1 + sum(d * (k - 1) for k, s, d in layers)


def _rf_no_dilation(layers):
    field_, jump = 1, 1
    for k, s, d in layers:
        field_ += (k - 1) * jump
        jump *= s
    return field_


def _rf_own_stride(layers):
    field_, jump = 1, 1
    for k, s, d in layers:
        jump *= s
        field_ += d * (k - 1) * jump
    return field_


def _rf_alt(layers):
    field_, jumps = 1, [1]
    for k, s, d in layers:
        field_ += (d * (k - 1)) * int(np.prod(jumps))
        jumps.append(s)
    return field_


def _lenet(pad: int = 2, flat: nn.Module | None = None, features: int = 400,
           pool: type = nn.MaxPool2d, relu: bool = True) -> nn.Sequential:
    act = nn.ReLU if relu else nn.Identity
    layers = [nn.Conv2d(1, 6, 5, padding=pad), act(), pool(2), nn.Conv2d(6, 16, 5), act(),
              pool(2), flat or nn.Flatten(), nn.Linear(features, 120), nn.ReLU(),
              nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)]
    return nn.Sequential(*[m for m in layers if type(m) is not nn.Identity])


def _main(second_stride: int = 1, first_kernel: int = 3, pad: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(64, 128, first_kernel, stride=2, padding=pad), nn.ReLU(),
                         nn.Conv2d(128, 128, 3, stride=second_stride, padding=1))


def _stack(dilations: list[int], cin: int = 3) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, d in enumerate(dilations):
        layers += [nn.Conv2d(cin if i == 0 else 16, 16, 3, padding=d, dilation=d), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


RIGHT_SHAPES = {"a": "ValueError", "b": "RuntimeError", "c": (1, 1, 3, 3), "d": (1, 1, 2, 2),
                "e": (1, 4, 4, 4), "f": (1, 96, 54, 54), "g": (2, 16, 3, 3), "h": (1, 2, 7, 7)}
RIGHT_PARAMS = {"conv": 448, "no_bias": 432, "grouped": 18560, "transposed": 8224,
                "linear": 48120, "batchnorm": 128}

# --- the table ---------------------------------------------------------------------------

CATALOGUE: dict[str, Case] = {
    # conv_shapes (the foundation's assignment; test_check_core has more)
    "worked_7x7": Case(lambda: nn.Conv2d(1, 1, (3, 3), padding=0), [
        Mistake(lambda: nn.Conv2d(1, 1, 3, padding=1), ["= 7", "Reconsider padding"], 0.25),
        Mistake(lambda: nn.Conv2d(1, 3, 3), ["out_channels is 3", "C: expected 1, got 3"], 0.12),
    ]),
    "channels": Case(lambda: nn.Conv2d(3, 16, 3, padding="same"), [
        Mistake(lambda: nn.Conv2d(3, 16, 3), ["= 14", "Reconsider padding"], 0.5),
        Mistake(lambda: nn.AdaptiveAvgPool2d(16), ["nn.AdaptiveAvgPool2d"], 0),
    ]),
    "padding": Case(lambda: nn.Conv2d(16, 16, 5, padding="valid"), [
        Mistake(lambda: nn.Conv2d(16, 16, 5, padding=1), ["padding is ((1, 1), (1, 1))"], 0.25),
        Mistake(lambda: nn.Conv2d(16, 16, 3), ["kernel_size is (3, 3)", "5×5"], 0.25),
    ]),
    "stride": Case(lambda: nn.Conv2d(3, 3, 5, stride=2, padding=2), [
        Mistake(lambda: nn.Conv2d(3, 3, 3, stride=2, padding=1), ["kernel_size is (3, 3)"], 1),
        Mistake(lambda: nn.Conv2d(3, 3, 5, stride=2, padding=1), ["= 31", "Reconsider padding"], 0.5),
        # ST-1: kernel 33 halves 64 only, and breaks both the kernel and the stride asked for
        Mistake(lambda: nn.Conv2d(3, 3, 33), ["kernel_size is (33, 33)", "= 68"], 0.5),
    ]),
    "combination": Case(lambda: nn.Conv2d(3, 16, (3, 3), stride=(2, 2), padding=(1, 1)), [
        Mistake(lambda: nn.Conv2d(3, 16, 3, stride=2), ["= 15", "Reconsider padding"], 0.5),
        # CB-1: kernel 17 gives 16 from 32 only
        Mistake(lambda: nn.Conv2d(3, 16, 17), ["kernel_size is (17, 17)", "= 48"], 0.5),
        Mistake(lambda: nn.Conv2d(16, 16, 3, stride=2, padding=1), ["in_channels is 16"], 0.25),
    ]),
    "weight_shape": Case(lambda: (5, 3, 5, 5), [
        Mistake(lambda: (5, 5, 3, 5), ["TensorFlow"], 0),
        Mistake(lambda: (5, 5, 5), ["spans every input channel", "channel dimension"], 0),
    ]),
    "param_count": Case(lambda: 380, [
        Mistake(lambda: 375, ["bias"], 0),
        Mistake(lambda: 25, ["5×5×3"], 0),
    ]),
    # pooling
    "max_pool": Case(lambda: nn.MaxPool2d(kernel_size=(2, 2), stride=2), [
        Mistake(lambda: nn.Conv2d(16, 16, 2, stride=2), ["nn.Conv2d", "nn.MaxPool2d"], 0),
        Mistake(lambda: nn.MaxPool2d(2, stride=1), ["/ 1) + 1 = 31", "Reconsider stride"], 0.5),
        Mistake(lambda: nn.MaxPool2d(2, ceil_mode=True),
                ["ceil((7 + 2*0 - 1*(2-1) - 1) / 2) + 1 = 4", "ceil_mode"], 1),
    ]),
    "avg_pool_blur": Case(lambda: nn.AvgPool2d((3, 3), (1, 1), (1, 1), count_include_pad=False), [
        Mistake(lambda: nn.AvgPool2d(3, stride=1, padding=1),
                ["not the mean of the real pixels", "count_include_pad=False"], 1),
        Mistake(lambda: nn.AvgPool2d(3), ["/ 3) + 1 = 10", "overhang by one"], 0.5),
        Mistake(lambda: nn.MaxPool2d(3, 1, 1), ["nn.MaxPool2d", "nn.AvgPool2d"], 0),
    ]),
    "ceil_mode_pool": Case(lambda: nn.MaxPool2d(2, stride=2, ceil_mode=True), [
        Mistake(lambda: nn.MaxPool2d(2, padding=1),
                ["(even size, another channel count) expected (1, 3, 4, 4), got (1, 3, 5, 5)",
                 "floor((8 + 2*1 - 1*(2-1) - 1) / 2) + 1 = 5"], 0.5),
        Mistake(lambda: nn.MaxPool2d(2), ["= 3", "ceil_mode is False, but the prompt asks for rounding up"], 0.25),
    ]),
    "overlap_pool": Case(lambda: nn.MaxPool2d((3, 3), stride=(2, 2)), [
        Mistake(lambda: nn.MaxPool2d(3), ["stride is (3, 3)", "/ 3) + 1 = 18"], 0.25),
        Mistake(lambda: nn.MaxPool2d(2),
                ["kernel_size is (2, 2)", "expected (2, 4, 3, 4), got (2, 4, 4, 5)"], 0.5),
        Mistake(lambda: nn.MaxPool2d(3, 2, 1), ["padding is ((1, 1), (1, 1))", "= 28"], 0.25),
    ]),
    "padded_pool": Case(lambda: nn.MaxPool2d(3, 2, padding=(1, 1)), [
        Mistake(lambda: nn.MaxPool2d(3, 2), ["= 55", "Reconsider padding"], 0.5),
        Mistake(lambda: nn.MaxPool2d(3, 2, 2),
                ["pad should be at most half", "at most half the kernel size"], 0.5),
        Mistake(lambda: nn.MaxPool2d(2), ["kernel_size is (2, 2)", "= 3"], 0.5),
    ]),
    "global_pool": Case(lambda: nn.AdaptiveAvgPool2d((1, 1)), [
        Mistake(lambda: nn.AvgPool2d(7),
                ["/ 7) + 1 = 2", "a fixed kernel covers the whole map for one input size"], 0.5),
        Mistake(lambda: nn.AdaptiveMaxPool2d(1), ["You take the maximum"], 1),
        Mistake(lambda: nn.AdaptiveAvgPool2d(2), ["expected (4, 128, 1, 1), got (4, 128, 2, 2)",
                                                  "output_size fixes it at 2"], 0.5),
    ]),
    "pool_vs_conv": Case(lambda: {"conv_params": 36928, "pool_params": 0,
                                  "pool_shape": [1, 64, 56, 56]}, [
        Mistake(lambda: {"conv_params": 36928, "pool_params": 576,
                         "pool_shape": (1, 64, 56, 56)}, ["'pool_params'", "no weights"], 1.33),
        Mistake(lambda: {"conv_params": 36864, "pool_params": 0,
                         "pool_shape": (1, 1, 56, 56)}, ["also has a bias", "channel count"], 0.66),
        Mistake(lambda: {"conv_params": 36928, "pool_params": 0,
                         "pool_shape": (1, 64, 55, 55)}, ["padding 1"], 1.33),
    ]),
    # modern_convs
    "dilated_conv": Case(lambda: nn.Conv2d(16, 16, 3, dilation=(2, 2), padding="same"), [
        Mistake(lambda: nn.Conv2d(16, 16, 3, dilation=2, padding=1),
                ["- 2*(3-1) - 1) / 1) + 1 = 30", "Reconsider padding"], 0.5),
        Mistake(lambda: nn.Conv2d(16, 16, 5, padding=2), ["kernel_size is (5, 5)",
                                                          "dilation is (1, 1)"], 1),
    ]),
    "pointwise_conv": Case(lambda: nn.Conv2d(64, 32, (1, 1), padding=0), [
        Mistake(lambda: nn.Conv2d(64, 32, 3, padding=1), ["kernel_size is (3, 3)", "1×1 kernel", "2080 parameters"], 1),
        Mistake(lambda: nn.Conv2d(64, 32, 1, padding=1), ["= 30", "Reconsider padding"], 0.5),
        Mistake(lambda: nn.Linear(64, 32), ["nn.Linear", "nn.Conv2d"], 0),
    ]),
    "depthwise_conv": Case(lambda: nn.Conv2d(32, 32, 3, padding="same", groups=32), [
        Mistake(lambda: nn.Conv2d(32, 32, 3, padding=1), ["groups is 1", "groups=32", "its own channel"], 1),
        Mistake(lambda: nn.Conv2d(32, 32, 3, groups=32), ["= 26", "Reconsider padding"], 0.5),
        Mistake(lambda: nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False),
                ["bias is False", "secondary slip"], 1.8),
    ]),
    "separable_conv": Case(lambda: nn.Sequential(nn.Conv2d(32, 32, (3, 3), padding=(1, 1),
                                                           groups=32),
                                                 nn.Conv2d(32, 64, 1, bias=True)), [
        Mistake(lambda: nn.Conv2d(32, 64, 3, padding=1), ["1 layers", "exactly 2"], 0),
        Mistake(lambda: nn.Sequential(nn.Conv2d(32, 64, 1),
                                      nn.Conv2d(64, 64, 3, padding=1, groups=64)),
                ["kernel_size is (1, 1)", "a 3×3 kernel in the first layer",
                 "groups is 64"], 1.5),
        Mistake(lambda: nn.Sequential(nn.Conv2d(32, 32, 3, padding=1), nn.Conv2d(32, 64, 1)),
                ["groups is 1", "a depthwise first layer"], 1.5),
    ]),
    "conv_params": Case(_fn(_params_alt), [
        Mistake(_fn(_params_no_bias), ["returned 432, expected 448", "bias is missing"], 0.6),
        Mistake(_fn(_params_no_groups), ["returned 73856, expected 18560",
                                         "groups is ignored"], 1.5),
        Mistake(_fn(_params_square), ["returned 448, expected 736", "non-square kernel"], 1.5),
    ]),
    "upsample_transposed": Case(lambda: nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), [
        Mistake(lambda: nn.Upsample(scale_factor=2), ["nn.Upsample", "nn.ConvTranspose2d"], 0),
        Mistake(lambda: nn.ConvTranspose2d(64, 32, 3, stride=2),
                ["(16-1)*2 - 2*0 + 1*(3-1) + 0 + 1 = 33", "Reconsider kernel_size"], 0.5),
        Mistake(lambda: nn.ConvTranspose2d(32, 64, 2, stride=2),
                ["in_channels is 32, but the input has 64 channels"], 0.25),
    ]),
    "tconv_weight_shape": Case(lambda: torch.Size([64, 32, 2, 2]), [
        Mistake(lambda: (32, 64, 2, 2), ["nn.Conv2d's order", "(in_channels, out_channels"], 0),
        Mistake(lambda: (64, 32, 2), ["4-D"], 0),
    ]),
    "undo_downsample": Case(lambda: nn.ConvTranspose2d(16, 8, (3, 3), 2, 1, output_padding=(1, 1)),
                            [
        Mistake(lambda: nn.ConvTranspose2d(16, 8, 3, 2, 1),
                ["(4-1)*2 - 2*1 + 1*(3-1) + 0 + 1 = 7", "Reconsider output_padding"], 0.5),
        Mistake(lambda: nn.ConvTranspose2d(16, 8, 3, 2, 1, output_padding=2),
                ["output padding must be smaller", "output_padding=2, stride=2"], 0.5),
        Mistake(lambda: nn.ConvTranspose2d(16, 8, 4, 2, 1), ["kernel_size is (4, 4)"], 1),
    ]),
    # stacking
    "channels_last": Case(_fn(_nchw_alt), [
        Mistake(_fn(_nchw_reshape), ["Right shape, scrambled values", "permute"], 0.5),
        Mistake(_fn(_nchw_no_float), ["not float32", ".float()"], 0.5),
        Mistake(_fn(_nchw_swapped), ["H and W are swapped"], 0),
        Mistake(_fn(_nchw_no_batch), ["batch dimension is missing"], 0.75),
    ]),
    "lenet": Case(lambda: _lenet(pool=nn.AvgPool2d), [
        Mistake(lambda: _lenet(pad=0),
                ["receives 256 features (= 16×4×4", "(2, 2)"], 0.37),
        Mistake(lambda: _lenet(flat=nn.Flatten(0)),
                ["start_dim=0 folds the batch", "got (10,)"], 0.75),
        # sizing the Linear to the unpadded features runs, but it is not LeNet
        Mistake(lambda: _lenet(pad=0, features=256),
                ["The convolutions are [(1, 6, (5, 5), (0, 0))", "(1, 6, (5, 5), (2, 2))"], 1.5),
        Mistake(lambda: _lenet(relu=False), ["The network has 10 layers"], 1.5),
    ]),
    "flatten_batch": Case(lambda: {"view": torch.Size([16, 400]), "flatten": [25, 256]}, [
        Mistake(lambda: {"view": (25, 400), "flatten": (25, 256)},
                ["'view'", "rows of 400", "silently"], 1),
        Mistake(lambda: {"view": (16, 400), "flatten": (25, 400)}, ["'flatten'", "C·H·W features"], 1),
    ]),
    "receptive_field": Case(_fn(_rf_alt), [
        Mistake(_fn(_rf_no_stride), ["returned 5, expected 7", "Strides are ignored"], 1.5),
        Mistake(_fn(_rf_no_dilation), ["returned 7, expected 15", "Dilation is ignored"], 1.5),
        Mistake(_fn(_rf_own_stride), ["returned 13, expected 7", "own stride"], 1.5),
    ]),
    "rf_stack": Case(lambda: _stack([1, 2, 2]), [
        Mistake(lambda: _stack([1, 1, 1, 1]), ["measured receptive field is 9×9"], 1.5),
        Mistake(lambda: nn.Sequential(nn.Conv2d(3, 16, 11, padding=5)),
                ["Only 3×3 kernels", "(11, 11)"], 1.5),
        Mistake(lambda: nn.Sequential(*[nn.Conv2d(3 if i == 0 else 16, 16, 3) for i in range(5)]),
                ["floor((32 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 30"], 0.75),
    ]),
    "residual_down": Case(lambda: DownBlock(
            main=nn.Sequential(nn.Conv2d(64, 128, 3, 2, 1, bias=False), nn.BatchNorm2d(128),
                               nn.ReLU(), nn.Conv2d(128, 128, 3, padding=1, bias=False),
                               nn.BatchNorm2d(128)),
            shortcut=nn.Sequential(nn.Conv2d(64, 128, 1, stride=2, bias=False),
                                   nn.BatchNorm2d(128))), [
        Mistake(lambda: DownBlock(_main(first_kernel=2, pad=0), nn.Conv2d(64, 128, 1, stride=2)),
                ["The main branch gives (1, 128, 3, 3) but the shortcut gives (1, 128, 4, 4)",
                 "floor((7 + 2*0 - 1*(2-1) - 1) / 2) + 1 = 3"], 0.75),
        Mistake(lambda: DownBlock(_main(), nn.Conv2d(64, 128, 1)),
                ["shortcut gives (1, 128, 32, 32)"], 0.75),
        Mistake(lambda: DownBlock(_main(), nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(64, 128, 1))),
                ["nn.AvgPool2d → (1, 64, 3, 3)", "both must give the same shape to be added"], 1.5),
        Mistake(lambda: _main(), ["DownBlock(main=..., shortcut=...)"], 0),
    ]),
    # shape_quiz
    "predict_shapes": Case(lambda: {**RIGHT_SHAPES, "a": ValueError, "b": RuntimeError}, [
        Mistake(lambda: {**RIGHT_SHAPES, "a": (1, 8, 4, 4), "e": (1, 4, 5, 5)},
                ["refuses it when the layer is built", "PyTorch rounds down"], 3),
        Mistake(lambda: {**RIGHT_SHAPES, "f": (1, 96, 55, 55), "h": (1, 2, 8, 8)},
                ["227×227", "Without output_padding"], 3),
        Mistake(lambda: {"a": "ValueError"}, ["'b' is missing"], 0.5),
    ]),
    "predict_params": Case(lambda: dict(RIGHT_PARAMS), [
        Mistake(lambda: {**RIGHT_PARAMS, "batchnorm": 256}, ["buffers"], 2.5),
        Mistake(lambda: {**RIGHT_PARAMS, "grouped": 73856, "conv": 432},
                ["groups=4", "also has a bias"], 2),
    ]),
    "conv_single": Case(_fn(ca.single_loops), [
        Mistake(_fn(ca.single_flipped), ["turned by 180°", "cross-correlation"], 0),
        Mistake(_fn(ca.single_same), ["the input's size", "fit entirely"], 0),
    ]),
    "conv_multi": Case(_fn(ca.multi_by_channel), [
        Mistake(_fn(ca.multi_first), ["Only the first input channel"], 0.4),
        Mistake(_fn(ca.multi_kept), ["channels must be summed", "(4, 3, 3, 4)"],
                0),
    ]),
    "conv_strided": Case(_fn(ca.strided), [
        Mistake(_fn(ca.strided_no_padding), ["padding is missing"], 0.75),
        Mistake(_fn(ca.strided_no_stride), ["stride is ignored"], 0.5),
        Mistake(_fn(ca.strided_range_short), ["last window is missing", "+ 1"], 0.5),
    ]),
    "im2col_shapes": Case(lambda: {"patches": torch.Size([2, 27, 70]), "weight": [8, 27],
                                   "product": (2, 8, 70), "output": (2, 8, 7, 10)}, [
        Mistake(lambda: {"patches": (2, 70, 27), "weight": (8, 27), "product": (2, 8, 70),
                         "output": (2, 8, 7, 10)}, ["'patches'", "each window is a column"],
                1.5),
        Mistake(lambda: {"patches": (2, 27, 108), "weight": (8, 27), "product": (2, 8, 108),
                         "output": (2, 8, 9, 12)}, ["L counts the positions",
                                                    "feature maps shrink"], 0.5),
    ]),
    "im2col": Case(_fn(ca.im2col), [
        Mistake(_fn(ca.im2col_swapped), ["H_out and W_out are swapped"], 0.6),
        Mistake(_fn(ca.im2col_channels_last), ["flattened in another order"], 0.75),
    ]),
    "photo_kernels": Case(lambda: dict(ca.KERNELS), [
        Mistake(lambda: {**ca.KERNELS, "box_blur": torch.ones(3, 3)},
                ["'box_blur'", "sum to 9"], 3),
        Mistake(lambda: {**ca.KERNELS, "sobel_x": -ca.KERNELS["sobel_x"],
                         "sobel_y": ca.KERNELS["sobel_x"]},
                ["signs are reversed", "horizontal gradient"], 2),
        Mistake(lambda: {**ca.KERNELS, "sharpen": [[0, -1, 0], [-1, 4, -1], [0, -1, 0]]},
                ["Laplacian alone", "adds the pixel itself"], 3),
        Mistake(lambda: {"box_blur": torch.ones(5, 5) / 25}, ["not 3×3", "'sobel_y' is missing"],
                0),
    ]),
    "edge_magnitude": Case(_fn(ca.edges), [
        Mistake(_fn(ca.edges_squared), ["square root is missing"], 0),
        Mistake(_fn(ca.edges_l1), ["Euclidean length"], 0),
        Mistake(_fn(ca.edges_unpadded), ["smaller than the photo", "(1, 1, 38, 46)"], 0),
    ]),
    "colour_kernel": Case(lambda: ca.colour(2, -1, -1, k=3), [
        Mistake(lambda: ca.colour(1, 0, 0), ["responds to grey", "sum to zero"], 1.5),
        Mistake(lambda: ca.colour(0, 1, -1), ["Pure red", "fires on green"], 1),
        Mistake(lambda: torch.ones(1, 3, 3, 3), ["fires on green", "fires on blue"], 0.5),
        Mistake(lambda: torch.ones(3, 1, 1), ["(1, 3, kh, kw)"], 0),
    ]),
}
CATALOGUE.update(catalogue_beyond_2d.rows(Case, Mistake, _fn))

CATALOGUE.update({ex: Case(right[0], [Mistake(*m) for m in wrong], right[1:])
                  for ex, (right, wrong) in NETWORK_CASES.items()})
ROWS = [(ex, i, m) for ex, case in CATALOGUE.items() for i, m in enumerate(case.mistakes)]


def _feedback(result) -> str:
    return "\n".join(result.feedback)


def test_every_exercise_is_in_the_table() -> None:
    ids = {s.id for s in specs.all_specs()}
    assert set(CATALOGUE) == ids
    for exercise, case in CATALOGUE.items():
        assert len(case.mistakes) >= 2, exercise


def test_at_least_24_autograded_exercises() -> None:
    assert sum(len(a.exercises) for a in specs.assignments()) >= 24


@pytest.mark.parametrize("exercise", sorted(CATALOGUE))
def test_correct_answer_gets_full_marks(exercise: str) -> None:
    for correct in [CATALOGUE[exercise].correct] + CATALOGUE[exercise].also_correct:
        result = check(exercise, correct(), hidden=True, device="cpu")
        assert result.passed and result.score == result.max_score > 0, result


@pytest.mark.parametrize("exercise,index,mistake", ROWS,
                         ids=[f"{e}-{i}" for e, i, _ in ROWS])
def test_mistake_fails_and_names_the_cause(exercise: str, index: int, mistake: Mistake) -> None:
    result = check(exercise, mistake.answer(), hidden=True, device="cpu")
    assert not result.passed, result
    assert result.score == mistake.points, result
    if specs.get(exercise).kind != "value":  # a quiz earns its share of right items
        assert result.score <= result.max_score / 2 or "secondary slip" in _feedback(result)
    text = _feedback(result)
    for word in mistake.words:
        assert word in text, f"{word!r} not in feedback:\n{text}"
    _reveals_nothing_hidden(specs.get(exercise), text)


def _reveals_nothing_hidden(spec, text: str) -> None:
    if spec.kind == "layer":
        shown = {tuple(v.input_shape) for v in spec.all_variants(hidden=False)}
        for v in spec.variants:
            if v.hidden and tuple(v.input_shape) not in shown:
                assert str(tuple(v.input_shape)) not in text, (v, text)
    elif spec.kind == "function":
        for args, kwargs, is_hidden in spec.cases:
            if is_hidden and all(isinstance(a, (int, list, tuple)) for a in args):
                call = ", ".join(repr(a) for a in args)
                assert f"{spec.answer_name}({call}" not in text


@pytest.mark.parametrize("exercise", sorted(CATALOGUE))
def test_self_check_without_hidden_never_mentions_hidden_labels(exercise: str) -> None:
    result = check(exercise, CATALOGUE[exercise].mistakes[0].answer(), device="cpu")
    assert "hidden inputs failed" not in _feedback(result)


# --- references of value and function specs against real torch ------------------------


@pytest.mark.parametrize("args,kwargs,hidden", modern_convs.conv_params.cases)
def test_conv_params_reference_matches_real_layers(args, kwargs, hidden) -> None:
    layer = nn.Conv2d(*args, **kwargs)  # a real CPU layer, initialised
    real = sum(p.numel() for p in layer.parameters())
    assert modern_convs.conv_params.reference(*args, **kwargs) == real
    assert shapes.conv_params(*args, **kwargs) == real


@pytest.mark.parametrize("args,kwargs,hidden", stacking.receptive_field.cases)
def test_receptive_field_reference_matches_closed_form(args, kwargs, hidden) -> None:
    assert stacking.receptive_field.reference(*args) == shapes.receptive_field(args[0])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3)),
                min_size=1, max_size=4))
def test_measured_receptive_field_is_the_closed_form(layers) -> None:
    assert stacking.receptive_field.reference(layers) == shapes.receptive_field(layers)


@pytest.mark.parametrize("dilations", [[1], [1, 1], [1, 2, 2], [1, 1, 1, 1, 1], [2, 4]])
def test_measured_2d_receptive_field_of_a_stack(dilations) -> None:
    torch.manual_seed(0)
    stack = _stack(dilations)
    want = shapes.receptive_field([(3, 1, d) for d in dilations])
    assert measure_receptive_field(stack, in_channels=3) == (want, want)


@pytest.mark.parametrize("args,kwargs,hidden", stacking.channels_last.cases)
def test_channels_last_reference_moves_axes_and_feeds_a_conv(args, kwargs, hidden) -> None:
    image = args[0]
    t = stacking.channels_last.reference(image)
    batch = image[None] if image.ndim == 3 else image
    assert t.dtype == torch.float32 and tuple(t.shape) == (batch.shape[0], batch.shape[3],
                                                           batch.shape[1], batch.shape[2])
    n, h, w, c = batch.shape
    for i in range(n):
        for y in range(h):
            for x in range(w):
                assert t[i, :, y, x].tolist() == batch[i, y, x].astype(np.float32).tolist()
    conv = nn.Conv2d(c, 8, 3, padding=1)
    assert conv(t).shape == (n, 8, h, w)


def test_quiz_expectations_agree_with_the_formulas() -> None:
    expected = shape_quiz.predict_shapes.expected()
    assert expected == RIGHT_SHAPES
    with pytest.raises(ValueError):
        shapes.conv_out(8, 3, 2, "same")
    with pytest.raises(ValueError):
        shapes.pool_out(8, 3, 2, 2)
    assert shapes.conv_out(7, 3, dilation=2) == 3
    assert (shapes.conv_out(8, 3, 3, 0), shapes.conv_out(8, 5, 4, 1)) == (2, 2)
    assert shapes.conv_out(10, 3, 2) == 4
    assert shapes.conv_out(224, 11, 4) == 54 and shapes.conv_out(227, 11, 4) == 55
    assert shapes.pool_out(5, 2, ceil_mode=True) == 3
    assert shapes.conv_transpose_out(4, 3, 2, 1) == 7


def test_parameter_quiz_agrees_with_the_formulas() -> None:
    assert shape_quiz.predict_params.expected() == RIGHT_PARAMS
    assert RIGHT_PARAMS["conv"] == shapes.conv_params(3, 16, 3)
    assert RIGHT_PARAMS["grouped"] == shapes.conv_params(64, 128, 3, groups=4)
    assert RIGHT_PARAMS["transposed"] == shapes.conv_transpose_params(64, 32, 2)
    assert RIGHT_PARAMS["linear"] == shapes.linear_params(400, 120)


def test_other_value_specs_agree_with_torch() -> None:
    x = torch.randn(1, 64, 112, 112)
    assert pooling.pool_vs_conv.expected() == {
        "conv_params": shapes.conv_params(64, 64, 3), "pool_params": 0,
        "pool_shape": tuple(nn.MaxPool2d(3, 2, 1)(x).shape)}
    assert stacking.flatten_batch.expected() == {"view": (16, 400), "flatten": (25, 256)}
    assert modern_convs.tconv_weight_shape.expected() == (64, 32, 2, 2)
    assert specs.get("weight_shape").expected() == (5, 3, 5, 5)


def test_targets_agree_with_real_layers() -> None:
    x = torch.randn(2, 5, 9, 6)
    (mean,) = pooling.global_pool.targets
    assert torch.allclose(mean.expected(x), nn.AdaptiveAvgPool2d(1)(x), atol=1e-6)
    (blur,) = pooling.avg_pool_blur.targets
    want = torch.zeros_like(x)
    padded = F.pad(x, (1, 1, 1, 1))
    count = F.pad(torch.ones_like(x), (1, 1, 1, 1))
    for y in range(9):
        for z in range(6):
            want[..., y, z] = (padded[..., y:y + 3, z:z + 3].sum((-1, -2))
                               / count[..., y:y + 3, z:z + 3].sum((-1, -2)))
    assert torch.allclose(blur.expected(x), want, atol=1e-6)


def test_lenet_rule_agrees_with_torch_on_sizes_around_28() -> None:
    net = _lenet()
    for size in range(24, 36):
        want = stacking.lenet.rule((2, 1, size, 29))
        try:
            got = tuple(net(torch.randn(2, 1, size, 29)).shape)
        except RuntimeError:
            got = specs.RAISES
        assert got == want, size


POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


@pytest.mark.parametrize("spec", [s for s in specs.all_specs() if s.kind == "layer"
                                  and all(t in POOLS for t in s.layer_types)],
                         ids=lambda s: s.id)
def test_channel_agnostic_exercises_vary_the_channels(spec) -> None:
    """Pooling keeps C: the rule says so and the variants use other channel counts."""
    from convdojo.course_secret import FIXED
    from convdojo.specs.personal import with_hidden

    spec = with_hidden(spec, FIXED)  # the hidden inputs the grader draws
    channels = {v.input_shape[1] for v in spec.all_variants(hidden=True)}
    assert len(channels) >= 2
    for v in spec.all_variants(hidden=True):
        assert spec.expected(v)[1] == v.input_shape[1]


@pytest.mark.parametrize("assignment", specs.assignments(), ids=lambda a: a.name)
def test_assignments_have_written_questions_and_a_time(assignment) -> None:
    assert assignment.written, "at least one written question with a rubric"
    for question in assignment.written:
        assert specs.get_written(question).rubric.strip()
    assert 10 <= assignment.minutes <= 120
