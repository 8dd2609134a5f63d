"""Choosing the device that checks run on: once, from an argument or CONVDOJO_DEVICE."""

from __future__ import annotations

import os
from functools import lru_cache

import torch

from .vocab import DEVICES

__all__ = ["resolve_device", "default_device", "DEVICES"]



@lru_cache(maxsize=1)
def default_device() -> torch.device:
    """CONVDOJO_DEVICE if set, else CUDA when available, else CPU (decided once)."""
    env = os.environ.get("CONVDOJO_DEVICE", "").strip()
    if env:
        return resolve_device(env)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """Turn 'cpu', 'cuda', 'cuda:1', 'meta' or None into a usable torch.device."""
    if device is None:
        return default_device()
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"unknown device {device!r}: use one of {', '.join(DEVICES)}"
        ) from exc
    if dev.type not in DEVICES:
        raise ValueError(f"unsupported device {device!r}: use one of {', '.join(DEVICES)}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} was asked for, but this machine has no usable CUDA device; "
            "use 'cpu' or 'meta' (or unset CONVDOJO_DEVICE)"
        )
    return dev
