"""Loading trusted code into a private namespace that student code cannot reach.

Student code runs in the same interpreter as the sandbox's own bookkeeping, so
anything reachable through ``sys.modules``, a module's globals or the shared
``builtins`` can be monkeypatched.  Code loaded here gets its own globals dict
and its own copy of the builtins, taken before any student code ran; once its
functions are held only by the interpreter (an audit hook) or by one thread's
locals, later patches to modules or builtins no longer reach them.
"""

from __future__ import annotations

import builtins
import os
from types import CodeType
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


def compile_file(name: str) -> CodeType:
    """Compile a sibling module's source (done once, in the worker)."""
    path = os.path.join(HERE, name)
    with open(path, encoding="utf-8") as fh:
        return compile(fh.read(), path, "exec")


def load(code: CodeType) -> dict[str, Any]:
    """Execute ``code`` in a fresh namespace with a snapshot of the builtins."""
    namespace: dict[str, Any] = {
        "__builtins__": dict(builtins.__dict__),
        "__name__": "_convdojo_private",
    }
    exec(code, namespace)
    return namespace
