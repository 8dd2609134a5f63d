"""Interactive teaching widgets."""

from .sliding_kernel import SlidingKernel

__all__ = ["SlidingKernel"]
