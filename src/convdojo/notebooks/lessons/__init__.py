"""Every assignment's lesson, in course order."""

from __future__ import annotations

from ..lesson import Lesson
from .conv_shapes import LESSON as CONV_SHAPES

LESSONS: tuple[Lesson, ...] = (CONV_SHAPES,)

__all__ = ["LESSONS"]
