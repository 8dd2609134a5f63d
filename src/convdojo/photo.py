"""A real photograph for the conv_computes assignment, and a picture of its feature maps.

The photo is Grace Hopper's portrait that matplotlib ships in its wheel
(``mpl-data/sample_data/grace_hopper.jpg``): nothing is downloaded, at install or at run time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch

__all__ = ["PHOTO", "rgb", "gray", "crop", "show_maps"]

PHOTO = "grace_hopper.jpg"  # in matplotlib's sample_data, next to its own test images


def _path() -> str:
    """The photo inside the installed matplotlib package, found without importing
    matplotlib (its import costs every validate and grader start a fifth of a second)."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("matplotlib is not installed: it ships the photo")
    folder = list(spec.submodule_search_locations)[0]
    return os.path.join(folder, "mpl-data", "sample_data", PHOTO)


@lru_cache(maxsize=4)
def _rgb(scale: int) -> np.ndarray:
    from PIL import Image

    with Image.open(_path()) as file:
        image = file.convert("RGB")
    if scale > 1:
        image = image.resize((image.width // scale, image.height // scale),
                             Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32) / 255


def rgb(scale: int = 1) -> torch.Tensor:
    """The photo as a (1, 3, H, W) float tensor in [0, 1]; ``scale`` shrinks each side."""
    return torch.from_numpy(_rgb(scale).copy()).permute(2, 0, 1).unsqueeze(0)


def gray(scale: int = 1) -> torch.Tensor:
    """The photo in grey levels (ITU-R 601 luma), shape (1, 1, H, W), values in [0, 1]."""
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (rgb(scale) * weights).sum(1, keepdim=True)


def crop(image: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """A contiguous (…, height, width) window of ``image``: hidden inputs are such crops."""
    return image[..., top:top + height, left:left + width].contiguous()


def show_maps(image: torch.Tensor, maps: dict[str, torch.Tensor], *, columns: int = 3) -> Any:
    """A matplotlib figure: the photo, then each (1, 1, H, W) feature map beside it."""
    import matplotlib.pyplot as plt

    panels = [("photo", image)] + list(maps.items())
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.6 * rows),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (title, t) in zip(axes.flat, panels):
        t = t.detach().float().cpu()[0]
        if t.shape[0] == 3:
            ax.imshow(t.permute(1, 2, 0).clamp(0, 1).numpy())
        else:  # a feature map: its 1st to 99th percentile, so a few extremes do not grey it
            low, high = torch.quantile(t[0].flatten(), torch.tensor([0.01, 0.99])).tolist()
            ax.imshow(t[0].numpy(), cmap="gray", vmin=low, vmax=max(high, low + 1e-6))
        ax.set_title(title)
    fig.tight_layout()
    return fig
