"""The sandbox protocol's vocabulary, declared once for the package side.

Four message families cross the sandbox wall (see inside/worker.py):

* child -> sender: tuples ``(kind, ...)`` posted by the notebook's process;
* sender -> worker: MAC-signed frames ``(kind, payload)`` (inside/wire.py);
* worker -> grader: JSON messages ``{"type": ..., ...}`` on the worker's stdout;
* answers and cases: plain trees, dicts tagged ``"t"`` (inside/codec.py).

The code inside the sandbox runs without this package and spells these words
itself; tests/test_grade_protocol.py asserts that both sides use the same ones.
"""

from __future__ import annotations

from .inside.wire import MAGIC, read_exact

__all__ = ["CHILD_KINDS", "FRAME_KINDS", "MAGIC", "MESSAGES", "TREE_TAGS", "PLAIN_TAGS", "ENVELOPE_TAGS",
           "READY", "UNUSABLE", "ANSWER", "RESULT", "CLEAN", "read_exact"]

# child -> sender: note/fatal (a text), answer (exercise, present, value), cells-done,
# results (which, rows), done.
CHILD_KINDS = frozenset({"note", "fatal", "answer", "cells-done", "results", "done"})
# sender -> worker: the same kinds, signed; and "ready" once, when the sender holds its
# key (the worker reads on without it).
FRAME_KINDS = frozenset({"ready", "note", "fatal", "answer", "cells-done", "results", "done"})

# worker -> grader, in this order per notebook: answer* result clean (ready once, first;
# unusable instead of ready when a submission could not get namespaces of its own).
READY, UNUSABLE, ANSWER, RESULT, CLEAN = "ready", "unusable", "answer", "result", "clean"
MESSAGES = frozenset({READY, UNUSABLE, ANSWER, RESULT, CLEAN})

# Tags that inside/codec.decode turns back into plain values on its own.
PLAIN_TAGS = frozenset({"tuple", "list", "dict", "str", "size", "tensor", "ndarray", "npscalar",
                        "bytes", "complex"})
# Every tag a tree may carry: the plain ones, and those grade/plain.py rebuilds.
TREE_TAGS = PLAIN_TAGS | {"missing", "module", "ref", "function", "callable", "class",
                          "opaque", "error"}
# The envelope around an answer whose cell has something to report (raised, or did not
# assign): opened by grade/attribution.py before the answer inside is rebuilt.
ENVELOPE_TAGS = frozenset({"cell"})
