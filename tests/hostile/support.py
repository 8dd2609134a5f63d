"""Helpers shared by the grader tests: expected scores, edits, reading outputs."""

from __future__ import annotations

import csv
import hashlib
import os
import socket
import threading
from pathlib import Path
from typing import Any

import nbformat

from .corpus import Case
from .notebooks import EXERCISES, fill, write


def in_process(exercise: str, source: str) -> tuple[float, str]:
    """(score, status) that ``check(..., hidden=True)`` gives the honest answer in-process."""
    import torch
    from torch import nn

    from convdojo import check, specs
    from convdojo.checks import MISSING

    ns: dict[str, Any] = {"torch": torch, "nn": nn}
    exec(source, ns)  # trusted test snippets only
    value = ns.get(specs.get(exercise).answer_name, MISSING)
    result = check(exercise, value, hidden=True)
    return result.score, result.status


def edit(nb: nbformat.NotebookNode, how: str | None) -> nbformat.NotebookNode:
    if how == "delete_tests":
        nb.cells = [c for c in nb.cells if c.metadata.get("convdojo", {}).get("role")
                    not in ("test", "selfcheck")]
    elif how == "edit_tests":
        cheat = ("conv = nn.Conv2d(3, 16, 3, padding=1)\nconv7 = nn.Conv2d(1, 1, 3)\n"
                 "weight_shape = (5, 3, 5, 5)\nn_params = 380\n")
        for c in nb.cells:
            if c.metadata.get("convdojo", {}).get("role") == "test":
                c.source = cheat + c.source
    elif how == "strip_metadata":
        for c in nb.cells:
            c.metadata = {}
    return nb


def build(root: Path, case: Case, values: dict[str, str]) -> Path:
    if case.raw is not None:
        return write(root, case.name, case.raw)
    extra = [(anchor, _fill(src, values)) for anchor, src in case.extra]
    nb = edit(fill(case.answers, extra=extra), case.edit)
    if case.edit in _AS_TEXT:  # the same notebook, written as another editor might
        return write(root, case.name, _AS_TEXT[case.edit](nbformat.writes(nb)))
    return write(root, case.name, nb)


_AS_TEXT = {"bom": lambda text: ("\ufeff" + text).encode("utf-8"),
            "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8")}


def _fill(source: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        source = source.replace(f"@{key}@", value)
    return source


def rows(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(out / "grades.csv", newline="") as fh:
        return {(r["student_id"], r["exercise_id"]): r for r in csv.DictReader(fh)}


def check_expectation(case: Case, got: dict[tuple[str, str], dict[str, str]]) -> list[str]:
    """Every way this case's rows differ from what it deserves ([] if none)."""
    problems = []
    for ex in EXERCISES:
        row = got.get((case.name, ex))
        if row is None:
            problems.append(f"{ex}: no row")
            continue
        score, status, want = float(row["score"]), row["status"], case.expected(ex)
        if want in ("ok", "ok-or-error"):
            ok_score, ok_status = in_process(ex, case.answers[ex])
            if (score, status) == (ok_score, ok_status):
                continue
            if want == "ok-or-error" and status == "error" and score == 0:
                continue
            problems.append(f"{ex}: got {score} {status}, deserves {ok_score} {ok_status}: "
                            f"{row['feedback'][:200]}")
        elif want == 0:
            if score != 0:
                problems.append(f"{ex}: earned {score} ({status}) from an attack")
        elif (status, score) != (want, 0):
            problems.append(f"{ex}: got {score} {status}, expected status {want}: "
                            f"{row['feedback'][:200]}")
    return problems


def tree_digest(*roots: Path) -> dict[str, str]:
    """Every file under ``roots`` with its sha256 and mode: to show nothing changed."""
    out = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest() + oct(
                    path.stat().st_mode)
    return out


def boot_ticks() -> int:
    """Now, in the clock of /proc/<pid>/stat's start times (ticks since boot)."""
    with open("/proc/uptime") as fh:
        return int(float(fh.read().split()[0]) * os.sysconf("SC_CLK_TCK"))


def host_processes(marker: bytes, since: int = 0) -> list[int]:
    """Processes whose command line contains ``marker``, started at or after ``since``
    (so another session's grader on the same machine is not mistaken for a leak)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read()
            with open(f"/proc/{pid}/stat") as fh:
                started = int(fh.read().rsplit(")", 1)[1].split()[19])
        except (OSError, ValueError, IndexError):
            continue
        if marker in cmdline and started >= since:
            found.append(int(pid))
    return found


class Listener:
    """A TCP listener on the host's loopback that counts who reached it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.hits += 1
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join(timeout=2)
        self.sock.close()
