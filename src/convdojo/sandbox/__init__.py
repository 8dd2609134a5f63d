"""Running untrusted notebooks: warm bubblewrap workers, one namespace jail per notebook.

What runs inside (``inside/``) works without this package and sends back plain
data only; everything that decides a grade lives in :mod:`convdojo.grade`.

- ``isolation``: is bubblewrap usable here, and the command that starts a worker;
- ``workers``: the grader's handle on one warm worker (send a notebook, read answers);
- ``protocol``: the words both sides of the wall use, declared once;
- ``inside/``: the worker, the per-notebook jail, the cell runner and the sender;
- ``stub/``: the stand-in ``convdojo`` that student code imports in there.
"""

from .isolation import (BWRAP_ENV, INSTALL, Isolation, SandboxUnavailable, available,
                        bwrap_command, detect, launch, make_workdir, plain_command,
                        scratch_for)

__all__ = ["BWRAP_ENV", "INSTALL", "Isolation", "SandboxUnavailable", "available",
           "bwrap_command", "detect", "launch", "make_workdir", "plain_command", "scratch_for"]
