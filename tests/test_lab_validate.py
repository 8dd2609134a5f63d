"""The Validate server extension's logic (convdojo.labext.handlers.Validator), without a browser."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from convdojo import cli_validate, validate
from convdojo.labext.handlers import Validator
from notebook_utils import ROOT

RELEASED = ROOT / "exercises" / "conv_shapes" / "conv_shapes.ipynb"


@pytest.fixture
def validator(tmp_path: Path):
    (tmp_path / "course").mkdir()
    shutil.copy(RELEASED, tmp_path / "course" / "conv_shapes.ipynb")
    v = Validator(tmp_path / "course")
    yield v
    v.close()


@pytest.mark.parametrize("path,why", [("../outside.ipynb", "outside the folder"),
                                      ("/../../etc/passwd", "outside the folder"),
                                      ("notes.txt", "not a notebook"), ("", "names no notebook"),
                                      (None, "names no notebook")])
def test_refuses_anything_but_a_notebook_under_the_root(validator, tmp_path, path, why) -> None:
    (tmp_path / "outside.ipynb").write_bytes(RELEASED.read_bytes())
    reply = validator.run(path)
    assert (reply.status, reply.exit) == ("error", 2) and why in reply.text
    assert validator._sessions == {}  # nothing was started for it


def test_a_missing_notebook_is_a_clear_error(validator) -> None:
    reply = validator.run("course/nope.ipynb")
    assert (reply.status, reply.exit) == ("error", 2) and "cannot read" in reply.text


def test_a_broken_notebook_says_what_convdojo_validate_says(validator, tmp_path) -> None:
    path = tmp_path / "course" / "conv_shapes.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "padding"]
    path.write_text(json.dumps(nb))
    reply = validator.run("conv_shapes.ipynb")
    assert (reply.status, reply.exit) == ("broken", 1)
    assert reply.text == cli_validate._problems(validate.inspect(path))
    assert "padding" in reply.text and validator._sessions == {}


@pytest.mark.slow
def test_grades_in_a_sandbox_kept_warm_between_calls(validator, tmp_path) -> None:
    first = validator.run("conv_shapes.ipynb")
    assert (first.status, first.exit, first.warm) == ("graded", 0, False)
    assert "○ 2. channels: not answered yet (0/2 points)" in first.text
    assert first.command == "convdojo validate conv_shapes.ipynb"
    second = validator.run("conv_shapes.ipynb")
    assert second.warm and second.text == first.text
    assert list(validator._sessions) == ["conv_shapes"]


@pytest.fixture
def bad_device(monkeypatch):
    from convdojo.devices import default_device

    monkeypatch.setenv("CONVDOJO_DEVICE", "tpu")
    default_device.cache_clear()  # decided once per process: decide again with "tpu"
    yield
    monkeypatch.delenv("CONVDOJO_DEVICE")
    default_device.cache_clear()


def test_an_unusable_device_is_a_clear_error(validator, bad_device) -> None:
    reply = validator.run("conv_shapes.ipynb")
    assert (reply.status, reply.exit) == ("error", 2) and "tpu" in reply.text
    assert validator.warm("conv_shapes.ipynb") is None


def _spare_of(validator: Validator, seconds: float = 120.0):
    import time

    deadline = time.monotonic() + seconds
    while validator._spare is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert validator._spare is not None, "the server started no spare sandbox"
    return validator._spare


@pytest.mark.slow
def test_the_server_starts_a_sandbox_that_the_first_validate_adopts(validator) -> None:
    spare = _spare_of(validator)
    spare.started.result(timeout=300)  # torch imported in it before anyone clicked
    assert spare.worker.ready and spare.worker.proc.poll() is None
    reply = validator.run("conv_shapes.ipynb")
    assert (reply.status, reply.exit) == ("graded", 0)
    session = validator._sessions["conv_shapes"]
    assert session.worker is spare.worker and validator._spare is None
    assert session.workdir == spare.workdir


def test_closing_the_server_stops_an_unused_spare(tmp_path: Path) -> None:
    v = Validator(tmp_path)
    proc = _spare_of(v).worker.proc
    v.close()
    assert v._spare is None and proc is not None and proc.wait(timeout=30) is not None


def test_prewarm_can_be_switched_off(tmp_path: Path, monkeypatch) -> None:
    import time

    monkeypatch.setenv("CONVDOJO_LAB_PREWARM", "0")
    v = Validator(tmp_path)
    time.sleep(0.5)
    try:
        assert v._spare is None
    finally:
        v.close()
