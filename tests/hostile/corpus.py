"""The hostile corpus: one submission per attack, each with the scores it deserves.

``expect`` maps an exercise to what its row must say: ``"ok"`` (the score the
honest answer in ``answers`` earns from an in-process ``check``), ``0`` (nothing:
the attack must not earn a point), a status such as ``"timeout"``/``"error"``
(the run never reached the answer), or ``"ok-or-error"``.  ``@SECRET@``,
``@CANARY@`` and ``@PORT@`` in sources are filled in by the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .notebooks import EXERCISES, SOLUTIONS

BEFORE_MID = ("worked_7x7", "channels")  # answered before a cell placed after channels_test
AFTER_MID = tuple(e for e in EXERCISES if e not in BEFORE_MID)
MID = "channels_test"


@dataclass
class Case:
    name: str
    extra: list[tuple[str, str]] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=lambda: dict(SOLUTIONS))
    expect: dict[str, object] = field(default_factory=dict)
    raw: bytes | None = None  # a file that is not a notebook at all
    edit: str | None = None  # a named edit of the notebook (see test_grade_hostile)

    def expected(self, exercise: str) -> object:
        return self.expect.get(exercise, "ok")


def _mid(name: str, source: str, after: str = "error") -> Case:
    return Case(name, [(MID, source)], expect={e: after for e in AFTER_MID})


WRONG_CHANNELS = "conv = nn.Conv2d(3, 16, 3)"
NONE = {e: f"{v.split(' = ')[0]} = None" for e, v in SOLUTIONS.items()}

CASES = [
    Case("honest_full"),
    # --- crashes and stops: answers before the crash keep their grade ---------------
    _mid("crash_abort", "import os\nos.abort()"),
    _mid("crash_segfault", "import faulthandler\nfaulthandler._sigsegv()"),
    _mid("crash_os_exit", "import os\nos._exit(0)"),
    Case("crash_ctypes_refused", [(MID, "import ctypes\nctypes.string_at(0)")]),
    Case("sys_exit_is_a_cell_error", [(MID, "import sys\nsys.exit(3)")]),
    _mid("infinite_loop", "while True:\n    pass", after="timeout"),
    _mid("infinite_loop_swallowing", "while True:\n    try:\n        pass\n"
         "    except BaseException:\n        pass", after="timeout"),
    Case("syntax_error_cell", [("start", "def broken(:\n    pass")]),
    # --- resources ---------------------------------------------------------------------
    Case("memory_bomb", [("start", "x = bytearray(50 * 2**30)"),
                         ("start", "import torch\ny = torch.empty(2**40)"),
                         ("start", "hog = []\nwhile True:\n    hog.append(bytearray(2**24))")]),
    Case("fork_bomb", [(MID, "import os\nwhile True:\n    os.fork()")],
         expect={e: "ok-or-error" for e in AFTER_MID}),
    Case("absurd_hyperparameters", answers={
        **SOLUTIONS, "channels": "conv = nn.Conv2d(3, 16, 3)\nconv.padding = (10**6, 10**6)",
        "padding": "conv = nn.Conv2d(16, 16, 5)\nconv.dilation = (3000, 3000)"},
        expect={"channels": 0}),  # padding: what check() says of dilation 3000 (0.75)
    Case("huge_answer", [("weight_shape", "import torch\nweight_shape = torch.zeros(10**8)")],
         expect={"weight_shape": 0}),
    # --- tampering with the environment changes nothing -------------------------------
    # Patched after the last layer answer is built, before any of them is read.
    Case("patch_torch_and_builtins", [("start", """
import torch
from torch import nn
torch.Size = lambda *a: (4, 16, 16, 16)
import torch.nn.functional as F
F.conv2d = lambda *a, **k: torch.zeros(4, 16, 16, 16)
"""), ("start", "nn.Conv2d.forward = lambda self, x: torch.zeros(4, 16, 16, 16)"),
        ("start", "torch.Tensor.shape = property(lambda self: (4, 16, 16, 16))"),
        ("start", "nn.Module.__call__ = lambda self, x: torch.zeros(4, 16, 16, 16)"),
        ("combination", """
import builtins
builtins.isinstance = lambda *a, **k: True
builtins.callable = lambda obj: True
builtins.len = lambda obj: 0
builtins.type = lambda *a: tuple
builtins.getattr = lambda *a: 16
builtins.vars = lambda *a: {}
""")], answers={**SOLUTIONS, "channels": WRONG_CHANNELS,
                "combination": "conv = nn.Conv2d(3, 16, 3, stride=2)"}),
    Case("patch_convdojo_and_ipython", [("start", """
import sys, types, convdojo
class Full:
    score = 2.0
    def report(self):
        return 2.0
convdojo.check = lambda *a, **k: Full()
fake = types.ModuleType("convdojo")
fake.check = convdojo.check
sys.modules["convdojo"] = fake
get_ipython = lambda: None
import IPython.display
IPython.display.display = None
""")], answers={**SOLUTIONS, "channels": NONE["channels"]}, expect={"channels": 0}),
    # --- the notebook's own test cells -------------------------------------------------
    Case("test_cells_deleted", edit="delete_tests"),
    Case("test_cells_edited", edit="edit_tests", answers=dict(NONE),
         expect={e: 0 for e in EXERCISES}),
    Case("metadata_stripped", edit="strip_metadata"),
    # --- fakes -------------------------------------------------------------------------
    Case("fakes_with_the_right_shape", answers={
        "worked_7x7": "conv7 = lambda x: torch.zeros(x.shape[0], 1, x.shape[2] - 2, "
                      "x.shape[3] - 2)",
        "channels": "class Fake(nn.Module):\n    def forward(self, x):\n        return "
                    "torch.zeros(x.shape[0], 16, *x.shape[2:])\nconv = Fake()",
        "padding": "class Sub(nn.Conv2d):\n    def forward(self, x):\n        return "
                   "super().forward(x)[..., 2:-2, 2:-2]\nconv = Sub(16, 16, 5, padding=2)",
        "stride": "conv = nn.Conv2d(3, 3, 5, stride=2, padding=2)\nconv.register_forward_hook("
                  "lambda m, i, o: o * 0)",
        "combination": "conv = nn.Conv2d(3, 16, 3, stride=2, padding=1)\n_f = conv.forward\n"
                       "conv.forward = lambda x: _f(x)",
        "weight_shape": "class T(tuple):\n    def __eq__(self, other):\n        return True\n"
                        "    __hash__ = tuple.__hash__\nweight_shape = T((1, 2))",
        "param_count": "class I(int):\n    def __eq__(self, other):\n        return True\n"
                       "    __hash__ = int.__hash__\nn_params = I(0)",
    }, expect={e: 0 for e in EXERCISES}),
    # --- isolation ---------------------------------------------------------------------
    Case("files_outside", [("param_count", """
import os
leaked = []
for path in @SECRET@:
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        leaked.append(path)
    except OSError:
        pass
for path in @CANARY@:
    try:
        with open(path, "w") as fh:
            fh.write("pwned")
        leaked.append(path)
    except OSError:
        pass
n_params = 380 if not leaked else -len(leaked)
""")]),
    Case("network", [("param_count", """
import socket
reached = []
try:
    socket.create_connection(("127.0.0.1", @PORT@), timeout=2).close()
    reached.append("loopback")
except OSError:
    pass
try:
    socket.getaddrinfo("pypi.org", 443)
    reached.append("dns")
except OSError:
    pass
n_params = 380 if not reached else -1
""")]),
    Case("introspection_refused", [("param_count", """
import gc, sys
opened = []
for attempt in (lambda: gc.get_objects(), lambda: sys.settrace(lambda *a: None),
                lambda: sys._current_frames(), lambda: open("/proc/self/mem", "rb"),
                lambda: open("/proc/self/fd/3", "rb"), lambda: __import__("ctypes").CDLL(None)):
    try:
        attempt()
        opened.append(attempt)
    except Exception:
        pass
heard = []
sys.addaudithook(lambda event, args: heard.append(event))  # refused silently: never called
sys.audit("convdojo.test")
n_params = 380 if not opened and not heard else -1
""")]),
    # --- forged results ----------------------------------------------------------------
    Case("forged_output", [("start", """
import json, os
fake = {"type": "result", "status": "ok", "answers": {"channels": {"t": "module"}}}
text = json.dumps(fake).encode()
print(text.decode())
frame = b"CDJFRAME" + (200).to_bytes(8, "big") + os.urandom(32) + os.urandom(200)
for fd in range(0, 64):
    for blob in (len(text).to_bytes(8, "big") + text, frame, b"CDJFRAME" * 10):
        try:
            os.write(fd, blob)
        except OSError:
            pass
""")], answers=dict(NONE), expect={e: 0 for e in EXERCISES}),
    Case("forged_frames_then_honest", [("start", """
import os
junk = b"CDJFRAME" + (10**8).to_bytes(8, "big") + b"x" * 40
for fd in range(3, 64):
    try:
        os.write(fd, junk)
    except OSError:
        pass
""")]),
    # Each notebook is in a PID namespace of its own: its parent is that namespace's init,
    # which ignores signals from inside, and the worker is out of sight.  Nothing dies.
    Case("kill_the_worker", [(MID, "import os, subprocess\n"
                                   "subprocess.run(['kill', '-9', str(os.getppid())])")]),
    # --- files that are not notebooks ---------------------------------------------------
    Case("malformed_truncated", raw=b'{"cells": [{"cell_type": "code", "source": "conv = nn.',
         expect={e: "error" for e in EXERCISES}),
    Case("malformed_not_a_notebook", raw=b'["not", "a", "notebook"]',
         expect={e: "error" for e in EXERCISES}),
    Case("malformed_binary", raw=bytes(range(256)) * 4, expect={e: "error" for e in EXERCISES}),
    # json's decoder recurses per level: this once stopped the whole batch
    Case("malformed_deep_nesting", raw=b"[" * 200_000 + b"]" * 200_000,
         expect={e: "error" for e in EXERCISES}),
    Case("malformed_utf16", raw='{"cells": []}'.encode("utf-16"),
         expect={e: "error" for e in EXERCISES}),
    Case("malformed_cells_not_a_list", raw=b'{"cells": {"a": 1}, "nbformat": 4}',
         expect={e: "error" for e in EXERCISES}),
    Case("malformed_source_numbers", raw=b'{"cells": [{"cell_type": "code", "source": [1, 2]}]}',
         expect={e: "error" for e in EXERCISES}),
    # honest notebooks as other editors save them: full marks
    Case("saved_with_a_bom", edit="bom"),
    Case("saved_with_crlf", edit="crlf"),
]

# Pairs graded one after the other by the same worker: what one leaves, the next must not see.
LEAVE_FILES = Case("s1_leave_files", [("start", """
import os
for folder in ("/tmp", "/scratch", "/dev/shm", os.path.expanduser("~"), os.getcwd()):
    try:
        with open(os.path.join(folder, "left_behind"), "w") as fh:
            fh.write("x")
    except OSError:
        pass
""")])
SEE_FILES = Case("s2_see_files", [("param_count", """
import os
seen = [f for f in ("/tmp", "/scratch", "/dev/shm", os.path.expanduser("~"), os.getcwd())
        if os.path.exists(os.path.join(f, "left_behind"))]
n_params = 380 if not seen else -1
""")])
LEAVE_DAEMON = Case("s3_leave_daemon", [("start", """
import os, subprocess
subprocess.Popen(["sleep", "987654"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "987655"])
    os._exit(0)
""")])
SEE_DAEMON = Case("s4_see_daemon", [("param_count", """
import os
alive = []
for pid in os.listdir("/proc"):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            if b"98765" in fh.read():
                alive.append(pid)
    except OSError:
        pass
n_params = 380 if not alive else -1
""")])
SEQUENTIAL = [LEAVE_FILES, SEE_FILES, LEAVE_DAEMON, SEE_DAEMON]
