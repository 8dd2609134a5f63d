"""The kit's trusted container templates (torch only, no exercise data), re-exported."""

try:
    from convdojo_templates import *  # noqa: F403  (mounted beside this stand-in)
    from convdojo_templates import TEMPLATES, __all__
except ImportError:  # imported outside the sandbox, e.g. by a tool walking the package
    from convdojo.templates import *  # type: ignore[no-redef]  # noqa: F403
    from convdojo.templates import TEMPLATES, __all__  # type: ignore[no-redef]  # noqa: F401
