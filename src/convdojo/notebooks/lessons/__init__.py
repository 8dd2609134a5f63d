"""Every assignment's lesson, in course order."""

from __future__ import annotations

from ..lesson import Lesson
from .conv_computes import LESSON as CONV_COMPUTES
from .beyond_2d import LESSON as BEYOND_2D
from .conv_shapes import LESSON as CONV_SHAPES
from .modern_convs import LESSON as MODERN_CONVS
from .networks import LESSON as NETWORKS
from .pooling import LESSON as POOLING
from .project import LESSON as MINI_PROJECT
from .shape_quiz import LESSON as SHAPE_QUIZ
from .stacking import LESSON as STACKING

LESSONS: tuple[Lesson, ...] = (CONV_SHAPES, POOLING, MODERN_CONVS, STACKING, SHAPE_QUIZ,
                              CONV_COMPUTES, BEYOND_2D, NETWORKS, MINI_PROJECT)

__all__ = ["LESSONS"]
