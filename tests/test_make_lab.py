"""`make lab` really serves JupyterLab with the exercises."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from convdojo import specs
from notebook_utils import ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(group: int) -> dict[str, str]:
    """The environment of the jupyter-lab process that `make` started in process group ``group``."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getpgid(int(pid)) != group:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if b"jupyter-lab" not in fh.read():
                    continue
            with open(f"/proc/{pid}/environ", "rb") as fh:
                pairs = [item.split(b"=", 1) for item in fh.read().split(b"\0") if b"=" in item]
            return {k.decode(): v.decode() for k, v in pairs}
        except (OSError, ProcessLookupError):
            continue
    raise AssertionError("no jupyter-lab process found under make")


def test_make_lab_serves_the_exercises() -> None:
    port, token = _free_port(), "convdojo-test"
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    proc = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        listing = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents/?token={token}"
                with urllib.request.urlopen(url, timeout=5) as reply:
                    listing = json.load(reply)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, proc.stdout.read().decode() if proc.poll() is not None else ""
        names = {item["name"] for item in listing["content"]}
        assert {a.name for a in specs.assignments()} <= names
        lab = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10)
        assert b"JupyterLab" in lab.read()
        # Its terminals (and `!` in notebooks) find the kit's command line: convdojo validate.
        path = _server_env(proc.pid)["PATH"].split(os.pathsep)
        assert path[0] == str(ROOT / ".venv" / "bin") and (ROOT / ".venv/bin/convdojo").exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
