"""Unusual but correct answers: each computes what the exercise asks, so each earns full marks.

Written as a student might: other argument spellings, tuples for ints, a lone layer in an
nn.Sequential, counts as floats or numpy integers, shapes as lists or torch.Size. Used
in-process (tests/test_fair_answers.py) and through ``convdojo grade``.
"""

from __future__ import annotations

FAIR: dict[str, list[str]] = {
    "worked_7x7": ["conv7 = nn.Conv2d(1, 1, (3, 3))", "conv7 = nn.Conv2d(1, 1, 3, padding=0)",
                   "conv7 = nn.Conv2d(1, 1, 3, 1, 0, bias=False)"],
    "channels": ["conv = nn.Conv2d(3, 16, 3, padding='same')",
                 "conv = nn.Conv2d(3, 16, (3, 3), padding=(1, 1))",
                 "conv = nn.Conv2d(3, 16, 3, 1, 1)",
                 "conv = nn.Conv2d(3, 16, 3, padding=1, bias=False)",
                 "conv = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1))",
                 "conv = nn.Conv2d(3, 16, kernel_size=3, padding=1, dilation=(1, 1), groups=1,"
                 " padding_mode='zeros')",
                 "conv = nn.Conv2d(3, 16, 3, padding=1).eval()",
                 "conv = nn.Conv2d(3, 16, 3, padding=1, dtype=torch.float32, device='cpu')",
                 "conv = nn.Conv2d(int(3.0), 16, 3, padding=1)",
                 "conv = nn.Conv2d(3, 16, 3, padding=1)\nnn.init.normal_(conv.weight)",
                 "conv = nn.Conv2d(3, 16, 3, padding=1).float().requires_grad_(True)",
                 "from torch.nn import Conv2d\nconv = Conv2d(3, 16, 3, padding=1)"],
    "padding": ["conv = nn.Conv2d(16, 16, 5)", "conv = nn.Conv2d(16, 16, (5, 5), padding=0)",
                "conv = nn.Conv2d(16, 16, 5, padding=(0, 0))", "conv = nn.Conv2d(16, 16, 5, 1, 0)"],
    "stride": ["conv = nn.Conv2d(3, 3, (5, 5), stride=(2, 2), padding=(2, 2))",
               "conv = nn.Conv2d(3, 3, 5, 2, 2)"],
    "combination": ["conv = nn.Conv2d(3, 16, 3, 2, 1)",
                    "conv = nn.Conv2d(3, 16, (3, 3), stride=(2, 2), padding=(1, 1))"],
    "weight_shape": ["weight_shape = torch.Size([5, 3, 5, 5])", "weight_shape = [5, 3, 5, 5]",
                     "weight_shape = nn.Conv2d(3, 5, 5).weight.shape",
                     "weight_shape = tuple(np.array([5, 3, 5, 5]))"],
    "param_count": ["n_params = 380.0", "n_params = int('380')", "n_params = np.int64(380)", "n_params = torch.tensor(380)",
                    "n_params = sum(p.numel() for p in nn.Conv2d(3, 5, 5).parameters())"],
    "max_pool": ["pool = nn.MaxPool2d(2, 2)", "pool = nn.MaxPool2d((2, 2))",
                 "pool = nn.MaxPool2d(2, ceil_mode=False, return_indices=False)",
                 "pool = nn.MaxPool2d(kernel_size=2, stride=2, padding=0)"],
    "avg_pool_blur": ["blur = nn.AvgPool2d(3, 1, 1, count_include_pad=False)",
                      "blur = nn.AvgPool2d((3, 3), (1, 1), (1, 1), count_include_pad=False)"],
    "ceil_mode_pool": ["pool = nn.MaxPool2d(2, 2, ceil_mode=True)"],
    "global_pool": ["gap = nn.AdaptiveAvgPool2d((1, 1))", "gap = nn.AdaptiveAvgPool2d(output_size=1)"],
    "overlap_pool": ["pool = nn.MaxPool2d((3, 3), (2, 2))"],
    "padded_pool": ["pool = nn.MaxPool2d(3, 2, 1)"],
    "pointwise_conv": ["mix = nn.Conv2d(64, 32, (1, 1))", "mix = torch.nn.Conv2d(64, 32, 1, 1, 0)"],
    "depthwise_conv": ["depthwise = nn.Conv2d(32, 32, 3, padding='same', groups=32)"],
    "dilated_conv": ["conv = nn.Conv2d(16, 16, 3, dilation=2, padding='same')",
                     "conv = nn.Conv2d(16, 16, (3, 3), dilation=(2, 2), padding=(2, 2))"],
    "upsample_transposed": ["up = nn.ConvTranspose2d(64, 32, (2, 2), (2, 2))"],
    "tconv_weight_shape": ["tconv_shape = nn.ConvTranspose2d(64, 32, 2, 2).weight.shape"],
    "video_conv": ["video = nn.Conv3d(3, 16, (3, 3, 3), stride=(1, 2, 2), padding=(1, 1, 1))"],
    "audio_frontend": ["frontend = nn.Conv1d(1, 32, 8, 4, 2)"],
    "undo_downsample": ["up = nn.ConvTranspose2d(16, 8, 3, 2, 1, 1)",
                        "up = nn.ConvTranspose2d(16, 8, (3, 3), stride=(2, 2), padding=(1, 1), "
                        "output_padding=(1, 1))"],
    "lenet": ["lenet = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(inplace=True), "
              "nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5), nn.ReLU(inplace=True), "
              "nn.MaxPool2d(kernel_size=2), nn.Flatten(start_dim=1), nn.Linear(400, 120), "
              "nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))"],
    "rf_stack": ["stack = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), "
                 "nn.Conv2d(16, 16, 3, padding=2, dilation=2), nn.ReLU(), "
                 "nn.Conv2d(16, 16, 3, padding=2, dilation=2))",
                 "stack = nn.Sequential(*[nn.Conv2d(3 if i == 0 else 16, 16, 3, padding='same') "
                 "for i in range(5)])"],
    "separable_conv": ["separable = nn.Sequential(nn.Conv2d(32, 32, 3, padding='same', groups=32),"
                       " nn.Conv2d(32, 64, 1))"],
    "causal_stack": ["causal = nn.Sequential(nn.ConstantPad1d((2, 0), 0.0), nn.Conv1d(16, 16, 3), "
                     "nn.ReLU(), nn.ConstantPad1d((4, 0), 0), nn.Conv1d(16, 16, 3, dilation=2), "
                     "nn.ReLU(), nn.ConstantPad1d((8, 0), 0), nn.Conv1d(16, 16, 3, dilation=4))"],
}
