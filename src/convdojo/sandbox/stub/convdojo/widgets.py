"""Stand-in widgets: building or showing one works, and does nothing while grading."""

from __future__ import annotations

from typing import Any

from . import _NoOp

# An instance, not a class: SlidingKernel(...), SlidingKernel.from_layer(...) and whatever
# the real widget offers all return a silent stand-in.
SlidingKernel = _NoOp("SlidingKernel")


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return _NoOp(f"convdojo.widgets.{name}")
