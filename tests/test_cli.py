"""The command line: help, listing, and clear errors for bad input."""

from __future__ import annotations

import subprocess
import sys

from convdojo import specs
from convdojo.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "convdojo.cli", *args], capture_output=True,
                          text=True)


def test_list_shows_every_assignment_and_exercise(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for item in specs.assignments():
        assert item.name in out
        for exercise in item.exercises + item.written:
            assert exercise in out


def test_unknown_assignment_is_a_clear_error() -> None:
    proc = run("list", "conv_shape")
    assert proc.returncode == 2
    assert "Did you mean 'conv_shapes'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_command_prints_help() -> None:
    proc = run()
    assert proc.returncode == 2 and "release" in proc.stdout


def test_release_outside_the_kit_is_a_clear_error(tmp_path) -> None:
    proc = run("release", "--root", str(tmp_path))
    assert proc.returncode == 2 and "no solutions/ folder" in proc.stderr
