"""Code that both a spec and its lesson show: plain text, so lessons load without torch.

``convdojo validate`` reads the lessons to check a notebook's structure before any sandbox
(or torch) starts; the specs import torch.
"""

from __future__ import annotations

__all__ = ["BROKEN_NETWORK", "WEIGHTS_FILE"]

# Where the mini-project's trained weights are saved, beside its notebook (specs/project.py).
WEIGHTS_FILE = "glyphs_weights.npz"

# The six-layer network of the ``fix_network`` exercise (specs/networks.py), one layer broken.
BROKEN_NETWORK = """\
net = nn.Sequential(
    nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.ReLU(),             # 3 -> 16 channels
    nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # 16 -> 32, H/2
    nn.Conv2d(16, 64, kernel_size=3, stride=2, padding=1), nn.ReLU(),  # 32 -> 64, H/4
    nn.Conv2d(64, 64, kernel_size=3, padding=1), nn.ReLU(),            # 64 -> 64
    nn.AdaptiveAvgPool2d(1), nn.Flatten(),                             # one value per channel
    nn.Linear(64, 10),                                                 # 10 class scores
)"""
