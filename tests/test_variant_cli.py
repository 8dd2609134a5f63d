"""`convdojo variant` shows a TA a student's numbers; `convdojo build --student` writes them."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from convdojo import cli
from convdojo.course import Course
from convdojo.specs.personal import personal

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def variants_on(monkeypatch: pytest.MonkeyPatch) -> Course:
    monkeypatch.delenv("CONVDOJO_VARIANTS", raising=False)
    monkeypatch.delenv("CONVDOJO_VARIANT_SALT", raising=False)
    monkeypatch.chdir(ROOT)  # finds the kit's autograder/convdojo.toml
    return Course("convdojo")


def test_variant_shows_numbers_and_the_right_answer(variants_on, capsys) -> None:
    assert cli.main(["variant", "ana", "channels"]) == 0
    out = capsys.readouterr().out
    mine = personal("channels", "ana", variants_on)
    assert mine.solution in out and str(tuple(mine.input_shape)) in out
    assert "numbers: c_in" in out and "never shown" in out
    assert cli.main(["variant", "ana", "lenet"]) == 0  # LeNet's numbers are the lesson's
    assert "cannot vary" in capsys.readouterr().out


def test_variant_off_says_fixed(variants_on, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CONVDOJO_VARIANTS", "off")
    assert cli.main(["variant", "ana", "channels"]) == 0
    out = capsys.readouterr().out
    assert "variants off" in out and "fixed (variants are off)" in out


def test_unknown_exercise_is_a_clear_error(variants_on, capsys) -> None:
    assert cli.main(["variant", "ana", "chanels"]) == 2
    assert "Did you mean 'channels'" in capsys.readouterr().err


def test_build_for_one_student(variants_on, tmp_path: Path) -> None:
    assert cli.main(["build", "--root", str(ROOT), "--student", "ana", "--assignment",
                     "conv_shapes", "--out", str(tmp_path)]) == 0
    nb = nbformat.read(tmp_path / "conv_shapes.ipynb", as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells}
    assert 'STUDENT_ID = "ana"' in cells["identity"]
    for ex in ("channels", "padding", "weight_shape"):
        assert personal(ex, "ana", variants_on).solution in cells[ex]
    assert cli.main(["build", "--out", str(tmp_path)]) == 2  # --out needs --student
