"""Spec extras for layer answers that are containers, plus helpers the topic specs share.

``ExtraLayerSpec`` is a ``LayerSpec`` (kind "layer") with two optional additions
that ``convdojo.checks`` reads when present:

- ``model_checks``: tests on the whole module tree (which template is at the root,
  which kernels a branch uses, a receptive field measured with autograd). Each
  returns ``(ok, message)``; ``gate=True`` makes a failure a structure failure.
- ``targets``: what the output values must be as a function of the input (a global
  average, a box blur that ignores padding). The layer check's reference recomputes
  the student's own layers; a target says what those layers should compute.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd

from ..layer_kinds import CONVS

from .model import LayerSpec

__all__ = ["ModelCheck", "Target", "ExtraLayerSpec", "measure_receptive_field", "convs",
           "key_is", "outcome"]


@dataclass(frozen=True)
class ModelCheck:
    """A test on the answer's module tree: ``test(model) -> (ok, message)``."""

    text: str
    test: Callable[[nn.Module], tuple[bool, str]]
    gate: bool = False
    defining: bool = True  # see convdojo.checks.policy: the point of the exercise, or a slip


@dataclass(frozen=True)
class Target:
    """The values an answer must compute: ``expected(x)``, with recognised wrong ones."""

    text: str
    expected: Callable[[torch.Tensor], torch.Tensor]
    mistakes: tuple[tuple[Callable[[torch.Tensor], torch.Tensor], str], ...] = ()


@dataclass(frozen=True)
class ExtraLayerSpec(LayerSpec):
    model_checks: tuple[ModelCheck, ...] = ()
    targets: tuple[Target, ...] = ()


def convs(module: nn.Module) -> list[_ConvNd]:
    """The convolutions (1-D, 2-D, 3-D, transposed) inside ``module``, in order."""
    # type(m) in CONVS: one of torch's convolutions, all of them _ConvNd
    return [cast(_ConvNd, m) for m in module.modules() if type(m) in CONVS]


def measure_receptive_field(model: nn.Module, in_channels: int,
                            size: int = 65) -> tuple[int, int]:
    """The receptive field (rows, columns) of the centre output pixel, measured with autograd.

    Every weight is set to a positive constant and every bias to zero, so no ReLU is
    dead and no two paths cancel; the input pixels with a non-zero gradient are then
    exactly those the centre output pixel can see. ``size`` caps what can be measured.
    """
    probe = copy.deepcopy(model).to("cpu", torch.float64).eval()
    with torch.no_grad():
        for layer in probe.modules():
            weight = getattr(layer, "weight", None)
            if isinstance(weight, torch.Tensor) and weight.dim() > 1:
                weight.fill_(1.0 / max(1, weight[0].numel()))
            elif isinstance(weight, torch.Tensor):
                weight.fill_(1.0)
            bias = getattr(layer, "bias", None)
            if isinstance(bias, torch.Tensor):
                bias.zero_()
    x = torch.ones(1, in_channels, size, size, dtype=torch.float64, requires_grad=True)
    out = probe(x)
    out[0, :, out.shape[2] // 2, out.shape[3] // 2].sum().backward()
    assert x.grad is not None
    seen = x.grad.abs().sum(dim=(0, 1)) > 0
    return _extent(seen.any(dim=1)), _extent(seen.any(dim=0))


def _extent(mask: torch.Tensor) -> int:
    idx = torch.nonzero(mask).flatten()
    return int(idx.max() - idx.min() + 1) if len(idx) else 0


def key_is(key: str, test: Callable[[Any], bool]) -> Callable[[tuple[str, Any]], bool]:
    """A mistake matcher for one key of a dict answer (quizzes get ``(key, value)`` pairs)."""
    return lambda kv: kv[0] == key and bool(test(kv[1]))


def outcome(make: Callable[[], nn.Module], shape: Iterable[int]) -> Any:
    """Run a freshly built layer on a random input: its output shape or the exception's name."""
    try:
        layer = make()
        with torch.no_grad():
            return tuple(layer(torch.randn(*shape)).shape)
    except Exception as exc:  # the point of a quiz item may be that torch refuses
        return type(exc).__name__
