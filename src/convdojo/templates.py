"""Trusted container modules: a fixed forward pass that students fill with layers.

Some exercises need a forward pass that an ``nn.Sequential`` cannot express (a
residual block adds two branches). Students do not write that forward: they pass
their layers to one of these templates, so an answer is still fully described by
its module tree (template types, torch.nn layers, hyperparameters and weights).

This module depends on torch alone, so a grader's sandbox can load it without the
rest of convdojo. Each template's constructor takes its children by the names they
are registered under, so ``cls(**dict(module.named_children()))`` rebuilds it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["DownBlock", "TEMPLATES"]


class DownBlock(nn.Module):
    """A downsampling residual block: ``relu(main(x) + shortcut(x))``.

    ``main`` is the block's branch of convolutions (typically a stride-2 3×3
    convolution, a ReLU and a 3×3 convolution); ``shortcut`` brings the input to
    the same shape (typically a stride-2 1×1 convolution). Both must produce the
    same (N, C, H, W) for every input, or the addition fails.
    """

    def __init__(self, main: nn.Module, shortcut: nn.Module) -> None:
        super().__init__()
        if not isinstance(main, nn.Module) or not isinstance(shortcut, nn.Module):
            raise TypeError(
                "DownBlock(main, shortcut) takes two layers (nn.Module objects), e.g. "
                "DownBlock(main=nn.Sequential(...), shortcut=nn.Conv2d(...)); got "
                f"{type(main).__name__} and {type(shortcut).__name__}"
            )
        self.main = main
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.main(x) + self.shortcut(x))


TEMPLATES: tuple[type[nn.Module], ...] = (DownBlock,)
