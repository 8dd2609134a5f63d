"""The kit's output-size arithmetic (pure formulas, no exercise data), re-exported."""

try:
    from convdojo_shapes import *  # noqa: F403  (mounted beside this stand-in)
    from convdojo_shapes import __all__
except ImportError:  # imported outside the sandbox, e.g. by a tool walking the package
    from convdojo.shapes import *  # type: ignore[no-redef]  # noqa: F403
    from convdojo.shapes import __all__  # type: ignore[no-redef]  # noqa: F401
