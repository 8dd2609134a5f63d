"""Who a notebook belongs to: the typed id or JupyterHub's user for the student's own view;
the submission folder's for grading; the typed id only compared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convdojo import identity
from convdojo.course import Course
from convdojo.specs.personal import personal
from convdojo.yours import exercise, mine


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identity, "_STATE", {})
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("CONVDOJO_VARIANTS", raising=False)


def test_a_typed_id_gives_that_students_numbers(capsys) -> None:
    identity.identify("ana", salt="s1")
    assert "student 'ana' (typed)" in capsys.readouterr().out
    assert mine("channels").numbers == personal("channels", "ana", Course("s1")).numbers != ()
    x = exercise("channels", 2)
    assert tuple(x.shape) == personal("channels", "ana", Course("s1")).input_shape


def test_jupyterhub_wins_and_no_id_asks_for_one(monkeypatch, capsys) -> None:
    identity.identify("")
    assert "Type your student id" in capsys.readouterr().out
    assert identity.current().student is None
    monkeypatch.setenv("JUPYTERHUB_USER", "hubuser")
    assert identity.identify("ana").student == "hubuser"


def test_switched_off_by_the_course(monkeypatch, capsys) -> None:
    monkeypatch.setenv("CONVDOJO_VARIANTS", "off")
    identity.identify("ana")
    assert "same numbers for everyone" in capsys.readouterr().out
    assert mine("channels").numbers == personal("channels", "x", Course(variants=False)).numbers


def test_the_folder_decides_for_grading(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "course" / "autograded" / "ben" / "conv_shapes"
    folder.mkdir(parents=True)
    assert identity.folder_student(folder) == "ben"
    assert identity.folder_student(tmp_path) is None
    identity.identify("ana")
    monkeypatch.chdir(folder)
    assert identity.grading().student == "ben" and identity.grading().how == "folder"
    nb = tmp_path / "course" / "submitted" / "ben" / "conv_shapes" / "conv_shapes.ipynb"
    assert identity.for_grading(nb) == ("ben", "the submission folder")
    assert identity.for_grading(nb, "cat") == ("cat", "--student")
    assert identity.for_grading(tmp_path / "mine.ipynb") == ("", "none")


def test_the_typed_id_is_read_as_text_never_run() -> None:
    cells = [{"cell_type": "code", "source": ["# who\n", 'STUDENT_ID = "ana"\n', "x = 1"]}]
    assert identity.typed_student(json.dumps({"cells": cells})) == "ana"
    cells[0]["source"] = ['STUDENT_ID = ""\n']
    assert identity.typed_student(json.dumps({"cells": cells})) is None
    assert identity.typed_student("not json STUDENT_ID = 'x'") is None
