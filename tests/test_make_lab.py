"""`make lab` serves the student's JupyterLab; `make instructor` the instructor's, with Formgrader."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

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


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.read()


@contextlib.contextmanager
def _make(target: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run `make TARGET` on a free port; yield (base url with a trailing ?token=, process)."""
    port, token = _free_port(), "convdojo-test"
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    proc = subprocess.Popen(["make", "-s", target, f"LAB_ARGS={args}"], cwd=ROOT,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                _get(f"{base}api/status?token={token}")
                break
            except OSError:
                time.sleep(0.5)
        assert proc.poll() is None, proc.stdout.read().decode()
        yield base + "{}?token=" + token, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_make_lab_serves_the_kit_opened_on_the_exercises() -> None:
    with _make("lab") as (url, proc):
        names = {item["name"] for item in json.loads(_get(url.format("api/contents/")))["content"]}
        assert {"exercises", "widgets"} <= names  # the gallery is reachable too
        inside = json.loads(_get(url.format("api/contents/exercises")))["content"]
        assert {a.name for a in specs.assignments()} <= {item["name"] for item in inside}
        lab = _get(url.format("lab"))
        assert b"JupyterLab" in lab
        with urllib.request.urlopen(url.format(""), timeout=30) as home:  # opens on the exercises
            assert home.geturl().split("?")[0].endswith("/lab/tree/exercises")
        assert b'"@jupyter/nbgrader:formgrader"' in lab.split(b'"disabledExtensions"')[1][:600]
        assert b'"name": "convdojo-validate"' in lab  # the Validate button's front end
        with pytest.raises(urllib.error.HTTPError) as err:  # nbgrader's instructor server side is off
            _get(url.format("formgrader"))
        assert err.value.code == 404
        # Its terminals (and `!` in notebooks) find the kit's command line: convdojo validate.
        path = _server_env(proc.pid)["PATH"].split(os.pathsep)
        assert path[0] == str(ROOT / ".venv" / "bin") and (ROOT / ".venv/bin/convdojo").exists()


def test_make_instructor_serves_formgrader_for_the_course(tmp_path) -> None:
    with _make("instructor", {"CONVDOJO_COURSE": str(tmp_path / "course")}) as (url, proc):
        assert b"formgrader" in _get(url.format("formgrader")).lower()
        listed = json.loads(_get(url.format("formgrader/api/assignments")))
        assert {a["name"] for a in listed} == {a.name for a in specs.assignments()}
        lab = _get(url.format("lab"))
        assert b'"@jupyter/nbgrader:formgrader"' not in lab.split(b'"disabledExtensions"')[1][:600]
