"""The forked child: limits, a clean file table, the sender thread, then the cells."""

from __future__ import annotations

import _thread
import gc
import os
import resource
import signal
import sys
from types import CodeType
from typing import Any

from . import private, runner, wire

ARM_EVENT = "convdojo.sandbox.arm"
OWN_MODULES = ["cdj_inside"] + [f"cdj_inside.{m}" for m in (
    "child", "cleanup", "codec", "guard", "jail", "notebook", "private", "runner", "sender",
    "shell", "wire", "worker")]


def _limits(job: dict[str, Any]) -> None:
    """Wall time is the worker's job; here: memory, CPU, processes, file size, fds."""
    vm = 0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                vm = int(line.split()[1]) * 1024
    cpu = int(job["timeout"]) + 1
    limits = {
        resource.RLIMIT_AS: vm + int(job["memory"]),  # torch's baseline mappings + the limit
        resource.RLIMIT_CPU: cpu,
        resource.RLIMIT_FSIZE: int(job["fsize"]),
        resource.RLIMIT_NOFILE: 256,
        resource.RLIMIT_CORE: 0,
    }
    if job.get("nproc"):
        limits[resource.RLIMIT_NPROC] = int(job["nproc"])
    for which, value in limits.items():
        soft, hard = resource.getrlimit(which)
        cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (cap, cap if which != resource.RLIMIT_CPU else cap + 1))


def _file_table(keep: tuple[int, ...]) -> None:
    """0, 1, 2 go to /dev/null (printing forges nothing); every other fd but ``keep`` closes."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    low = 3
    for fd in sorted(keep) + [1 << 16]:
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1


def _signals() -> None:
    # The worker installs no handlers of its own: only Python's defaults need restating.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails, it does not kill
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _sender_thread(code: CodeType, key_fd: int, res_fd: int, box: list[Any]) -> None:
    namespace = private.load(code)  # before any student code: pristine builtins and modules
    namespace["main"](key_fd, res_fd, box)


def main(job: dict[str, Any], job_fd: int, key_fd: int, res_fd: int, case_fd: int,
         sender: CodeType, progress: Any) -> None:
    """Never returns: gets ready, waits for a notebook, runs it and ``os._exit``s.

    Everything up to the wait happens before the submission is handed over (the worker
    forks the next child while the grader checks the previous answers), so a
    submission's clock starts at a child that is already set up.
    """
    status = 70
    try:
        os.setsid()
        _limits(job)
        if os.environ.get("CONVDOJO_JAIL") == "1":
            from . import jail
            jail.enter()  # from here on: the submission's own namespaces
        _file_table((job_fd, key_fd, res_fd, case_fd))
        _signals()
        gc.disable()  # no collector pass may run student finalizers on the sender's thread
        req, done, ready = (_thread.allocate_lock() for _ in range(3))
        for lock in (req, done, ready):
            lock.acquire()
        slot: list[Any] = [None]
        _thread.start_new_thread(_sender_thread, (sender, key_fd, res_fd, [req, done, ready, slot]))
        ready.acquire()
        data = wire.read_msg(job_fd)  # the submission: blocks until the worker has one
        os.close(job_fd)

        def post(item: tuple) -> None:
            slot[0] = item
            req.release()
            done.acquire()

        for name in OWN_MODULES:  # the sandbox's own modules: out of student code's way
            sys.modules.pop(name, None)
        has_functions = any(e["kind"] == "function" for e in job["exercises"])
        os.chdir(job.get("scratch") or "/")
        sys.audit(ARM_EVENT)
        functions = runner.run_cells(data, job["exercises"], post, progress)
        post(("cells-done",))
        if has_functions:
            runner.call_cases(functions, case_fd, "public", post)
            runner.call_cases(functions, case_fd, "hidden", post)
        post(("done",))
        status = 0
    finally:
        os._exit(status)
