"""Catalogue rows of the beyond_2d assignment (test_catalogue.py runs them with the rest):
one correct answer per exercise and its characteristic mistakes, with exact scores."""

from __future__ import annotations

from torch import nn


def causal(dilations, pad="left", kernel=3):
    """A Conv1d stack 16 -> 16; ``pad``: left (causal), both, right or none."""
    layers: list[nn.Module] = []
    for i, d in enumerate(dilations):
        total = d * (kernel - 1)
        if pad == "left":
            layers.append(nn.ZeroPad1d((total, 0)))
        elif pad == "right":
            layers.append(nn.ZeroPad1d((0, total)))
        layers.append(nn.Conv1d(16, 16, kernel, dilation=d,
                                padding=total // 2 if pad == "both" else 0))
        if i < len(dilations) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def params(cin, cout, k, bias=True):
    kt, kh, kw = (k,) * 3 if isinstance(k, int) else k
    return cout * cin * kt * kh * kw + (cout if bias else 0)


def _params_no_bias(cin, cout, k, bias=True):
    return params(cin, cout, k, False)


def _params_2d(cin, cout, k, bias=True):
    kh, kw = (k, k) if isinstance(k, int) else k[1:]
    return params(cin, cout, (1, kh, kw), bias)


def _params_one_channel(cin, cout, k, bias=True):
    return params(1, cout, k, bias)


def rows(Case, Mistake, fn):
    """The rows, built with test_catalogue's own Case, Mistake and _fn."""
    return {
        "audio_frontend": Case(lambda: nn.Conv1d(1, 32, 8, stride=4, padding=2), [
            Mistake(lambda: nn.Conv1d(1, 32, 8, stride=4),
                    ["L: expected 4000, got 3999",
                     "floor((16000 + 2*0 - 1*(8-1) - 1) / 4) + 1 = 3999",
                     "loses k − 1 pixels unless the input is padded"], 0.75),
            Mistake(lambda: nn.Conv1d(1, 32, 8, padding=2),
                    ["floor((16000 + 2*2 - 1*(8-1) - 1) / 1) + 1 = 15997", "Reconsider stride",
                     "Downsampling by s needs stride=s"], 0.75),
            Mistake(lambda: nn.Conv1d(1, 32, 8, stride=4, padding=4),
                    ["= 4001", "2p in total"], 0.75),
        ]),
        "causal_stack": Case(lambda: causal([1, 2, 4]), [
            Mistake(lambda: causal([1, 2, 4], pad="both"),
                    ["not causal", "up to 67", "padding=p in Conv1d pads both sides"], 1.5),
            Mistake(lambda: causal([1, 2, 4], pad="right"), ["not causal", "up to 74"], 1.5),
            Mistake(lambda: causal([1, 1, 1]),
                    ["measured receptive field is 7 samples, not 15"], 1.5),
            Mistake(lambda: causal([1, 2, 4], pad="none"),
                    ["L: expected 100, got 86", "floor((94 + 2*0 - 4*(3-1) - 1) / 1) + 1 = 86"],
                    0.37),
        ]),
        "video_conv": Case(lambda: nn.Conv3d(3, 16, 3, stride=(1, 2, 2), padding=1), [
            Mistake(lambda: nn.Conv3d(3, 16, 3, stride=2, padding=1),
                    ["T: expected 8, got 4", "floor((8 + 2*1 - 1*(3-1) - 1) / 2) + 1 = 4"],
                    0.75),
            Mistake(lambda: nn.Conv3d(3, 16, (1, 3, 3), stride=(1, 2, 2), padding=1),
                    ["T: expected 8, got 10", "floor((8 + 2*1 - 1*(1-1) - 1) / 1) + 1 = 10"],
                    0.75),
            Mistake(lambda: nn.Conv3d(3, 16, 3, stride=(1, 2, 2)),
                    ["T: expected 8, got 6", "H: expected 16, got 15", "Reconsider padding"],
                    0.75),
            Mistake(lambda: nn.Conv3d(3, 16, 5, stride=(1, 2, 2), padding=2),
                    ["kernel_size is (5, 5, 5)", "3×3 pixels in H and W"], 1.5),
        ]),
        "conv3d_params": Case(fn(params), [
            Mistake(fn(_params_no_bias), ["returned 1296, expected 1312", "bias is missing"],
                    0.75),
            Mistake(fn(_params_2d), ["returned 36864, expected 110592", "(1, k, k) kernel"],
                    0.75),
            Mistake(fn(_params_one_channel), ["returned 640, expected 36928",
                                              "Each filter spans every input channel"], 0),
        ]),
    }


# The misconception code each mistake above carries (test_class_report_catalogue.py);
# an empty set: no error model explains it (causality and the receptive field are model
# checks, not a changed hyperparameter).
CODES = {
    "audio_frontend": [{"padding.missing"}, {"stride.forgotten"}, {"padding.total_vs_per_side"}],
    "causal_stack": [set(), set(), set(), set()],
    "video_conv": [set(), {"kernel.wrong_size"}, {"padding.missing"}, {"kernel.wrong_size"}],
    "conv3d_params": [{"params.bias_forgotten"}, set(), set()],
}
