"""Render the conv_computes feature maps for the README: docs/img/feature_maps.png.

It runs the solution's kernels (the spec's own answers) on the photograph matplotlib
ships, exactly as the notebook's cells do, and saves the figure photo.show_maps draws.
Usage: .venv/bin/python bench/screenshot_feature_maps.py
"""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")

import torch
import torch.nn.functional as F

from convdojo import photo, specs

REPO = pathlib.Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "img" / "feature_maps.png"


def main() -> int:
    namespace: dict = {"torch": torch, "F": F}
    for exercise in ("photo_kernels", "edge_magnitude", "colour_kernel"):
        exec(specs.get(exercise).solution, namespace)
    gray, rgb = photo.gray(2), photo.rgb(2)
    maps = {name: F.conv2d(gray, k.view(1, 1, 3, 3), padding=1)
            for name, k in namespace["kernels"].items()}
    maps = {name: m.abs() if name.startswith("sobel") else m for name, m in maps.items()}
    maps["edge magnitude"] = namespace["edge_magnitude"](gray)
    red = F.conv2d(rgb, namespace["red_kernel"]).clamp(min=0)
    maps["red detector"] = red
    fig = photo.show_maps(rgb, maps, columns=4)
    fig.savefig(OUT, dpi=72)
    print(f"wrote {OUT.relative_to(REPO)} ({OUT.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
