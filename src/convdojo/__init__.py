"""convdojo: exercises, self-checks and grading for PyTorch convolution and pooling shapes."""

from __future__ import annotations

from .checks import CheckResult, check

__all__ = ["check", "CheckResult", "__version__"]
__version__ = "0.1.0"
