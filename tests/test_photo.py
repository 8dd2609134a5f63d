"""The conv_computes photograph ships inside a package: nothing is downloaded."""

from __future__ import annotations

import socket
from pathlib import Path

import matplotlib
import pytest
import torch

from convdojo import photo


def test_the_photo_is_a_file_of_the_matplotlib_wheel() -> None:
    from matplotlib import cbook

    path = Path(cbook.get_sample_data(photo.PHOTO, asfileobj=False)).resolve()
    assert path.is_file() and Path(matplotlib.__file__).resolve().parent in path.parents


def test_loading_it_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("photo tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    photo._rgb.cache_clear()
    rgb, gray = photo.rgb(), photo.gray(4)
    assert rgb.shape == (1, 3, 600, 512) and rgb.dtype == torch.float32
    assert 0 <= float(rgb.min()) < float(rgb.max()) <= 1
    assert gray.shape == (1, 1, 150, 128)
    # a real photograph, not a flat test card: its three channels differ
    assert float((rgb[0, 0] - rgb[0, 2]).abs().mean()) > 0.02


def test_feature_maps_are_drawn_beside_the_photo() -> None:
    matplotlib.use("Agg")
    fig = photo.show_maps(photo.rgb(4), {"grey": photo.gray(4), "edges": photo.gray(4) * 0})
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["photo", "grey", "edges"]
