"""The bundled photograph's loader (no exercise data), re-exported."""

try:
    from convdojo_photo import *  # noqa: F403  (mounted beside this stand-in)
    from convdojo_photo import __all__
except ImportError:  # imported outside the sandbox, e.g. by a tool walking the package
    from convdojo.photo import *  # type: ignore[no-redef]  # noqa: F403
    from convdojo.photo import __all__  # type: ignore[no-redef]  # noqa: F401
