"""The mini-project: glyphs from a seed, the weights file, the grader's images and its cost."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from catalogue_networks import trained
from notebook_utils import ROOT
from convdojo import check, course_secret, glyphs
from convdojo.checks import policy
from convdojo.checks.project import grade_seed
from convdojo.specs.project import EPILOGUE, WEIGHTS_FILE, mini_project


def test_glyphs_are_reproducible_and_cover_every_class() -> None:
    x, y = glyphs.make(500, seed=3)
    assert x.shape == (500, 1, 16, 16) and x.dtype == torch.float32 and y.dtype == torch.int64
    x2, y2 = glyphs.make(500, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x3, _ = glyphs.make(500, seed=4)
    assert not torch.equal(x, x3)
    assert set(y.tolist()) == set(range(len(glyphs.CLASSES)))


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_glyphs_refuse_a_bad_count(n) -> None:
    with pytest.raises(ValueError, match="positive whole number"):
        glyphs.make(n, seed=0)


def test_the_grader_draws_from_the_course_secret(monkeypatch) -> None:
    monkeypatch.delenv(course_secret.ENV, raising=False)
    fixed = grade_seed(mini_project)
    monkeypatch.setenv(course_secret.ENV, "a course key")
    secret = grade_seed(mini_project)
    assert fixed != secret and mini_project.public_seed not in (fixed, secret)
    monkeypatch.setenv(course_secret.ENV, "another course key")
    assert grade_seed(mini_project) != secret


@pytest.mark.parametrize("accuracy,fraction", [
    (1.0, 1.0), (0.92, 1.0), (0.9199, 0.75), (0.85, 0.75), (0.7, 0.5), (0.45, 0.25),
    (0.449, 0.0), (0.2, 0.0)])
def test_accuracy_bands(accuracy: float, fraction: float) -> None:
    assert policy.band(accuracy) == fraction


def test_the_reduced_reference_earns_full_marks_and_reports_its_matrix() -> None:
    result = check("mini_project", trained(), hidden=True, device="cpu")
    assert result.passed and result.score == 5
    text = "\n".join(result.feedback)
    assert "4,853 parameters, within the budget of 5,000" in text
    assert "grader's glyphs" in text and "true \\ predicted" in text
    # five rows of counts that add up to the grader's 1000 images
    rows = [line.split()[1:] for line in result.feedback if line.split()[:1]
            and line.split()[0] in glyphs.CLASSES]
    assert len(rows) == 5 and sum(int(n) for row in rows for n in row) == 1000


def test_a_grading_check_costs_well_under_a_second() -> None:
    model = trained()
    check("mini_project", model, hidden=True, device="cpu")  # warm, as a checker process is
    start = time.perf_counter()
    check("mini_project", model, hidden=True, device="cpu")
    assert time.perf_counter() - start < 1.0


class _Glyphs:
    """glyphs with a fit that only counts its calls (training is tested above)."""

    CLASSES = glyphs.CLASSES

    def __init__(self) -> None:
        self.fits = 0

    def fit(self, model, images, labels):
        self.fits += 1
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.5)  # "trained": different from the initial weights
        return "fitted"


def _run_answer_cell(namespace: dict) -> None:
    exec(mini_project.solution + "\n" + EPILOGUE, namespace)


def test_the_answer_cell_trains_once_saves_plain_arrays_then_loads(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    fake = _Glyphs()
    ns = {"nn": nn, "np": np, "torch": torch, "os": os, "glyphs": fake,
          "x_train": None, "y_train": None}
    _run_answer_cell(ns)
    assert fake.fits == 1 and (tmp_path / WEIGHTS_FILE).exists()
    saved = np.load(tmp_path / WEIGHTS_FILE, allow_pickle=False)  # plain arrays only
    first = {k: v.clone() for k, v in ns["model"].state_dict().items()}
    assert sorted(saved.files) == sorted(first)
    _run_answer_cell(ns)  # the grading run: a fresh network, the saved weights, no training
    assert fake.fits == 1
    for key, value in ns["model"].state_dict().items():
        assert torch.equal(value, first[key]), key


def test_a_network_changed_after_saving_says_so(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    ns = {"nn": nn, "np": np, "torch": torch, "os": os, "glyphs": _Glyphs(),
          "x_train": None, "y_train": None}
    _run_answer_cell(ns)
    with pytest.raises(RuntimeError, match="size mismatch"):
        exec(mini_project.solution.replace("Linear(24, 5)", "Linear(24, 5), nn.ReLU(), "
                                           "nn.Linear(5, 5)").replace("nn.Conv2d(16, 24",
                                                                      "nn.Conv2d(16, 20")
             .replace("Linear(24", "Linear(20") + "\n" + EPILOGUE, ns)


def test_under_the_graders_stand_in_a_missing_file_is_said_not_trained(tmp_path,
                                                                      monkeypatch) -> None:
    from convdojo.sandbox.stub import convdojo as stand_in

    monkeypatch.chdir(tmp_path)
    ns = {"nn": nn, "np": np, "torch": torch, "os": os, "glyphs": stand_in.glyphs}
    with pytest.raises(FileNotFoundError, match="the grader does not train"):
        _run_answer_cell(ns)
    assert not (tmp_path / WEIGHTS_FILE).exists()


# --- the weights reach the sandbox (convdojo grade, validate, pytest autograder) ----------

def _save(model: nn.Module, path) -> None:
    np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})


def test_side_files_go_inside_the_notebook_and_nothing_else(tmp_path, monkeypatch) -> None:
    from convdojo.grade import side_files

    notebook = (ROOT / "solutions" / "mini_project" / "mini_project.ipynb").read_bytes()
    assert side_files.declared("mini_project") == (WEIGHTS_FILE,)
    assert side_files.declared("networks") == ()
    assert side_files.bundle(notebook, tmp_path, "mini_project") == notebook  # no file yet
    (tmp_path / "elsewhere.npz").write_bytes(b"x")
    (tmp_path / WEIGHTS_FILE).symlink_to(tmp_path / "elsewhere.npz")
    assert side_files.bundle(notebook, tmp_path, "mini_project") == notebook  # not followed
    (tmp_path / WEIGHTS_FILE).unlink()
    (tmp_path / WEIGHTS_FILE).write_bytes(b"\0" * (side_files.MAX_SIDE + 1))
    assert side_files.bundle(notebook, tmp_path, "mini_project") == notebook  # too large
    _save(trained(), tmp_path / WEIGHTS_FILE)
    bundled = side_files.bundle(notebook, tmp_path, "mini_project")
    cells = json.loads(bundled)["cells"]
    original = json.loads(notebook)["cells"]
    assert len(cells) == len(original)  # every cell keeps its number
    setup = "".join(original[0]["source"])
    assert cells[0]["source"].startswith(setup)
    sandbox = tmp_path / "scratch"
    sandbox.mkdir()
    monkeypatch.chdir(sandbox)  # the sandbox's working directory
    exec(cells[0]["source"][len(setup):], {})
    assert (sandbox / WEIGHTS_FILE).read_bytes() == (tmp_path / WEIGHTS_FILE).read_bytes()


@pytest.mark.sandbox  # `convdojo grade` never runs without bubblewrap
def test_convdojo_grade_grades_the_submitted_weights_without_training(tmp_path) -> None:
    from convdojo.grade import grade_batch

    source = ROOT / "solutions" / "mini_project" / "mini_project.ipynb"
    submitted = tmp_path / "submitted"
    for student, model in (("with_weights", trained()), ("without", None)):
        folder = submitted / student / "mini_project"
        folder.mkdir(parents=True)
        (folder / "mini_project.ipynb").write_bytes(source.read_bytes())
        if model is not None:
            _save(model, folder / WEIGHTS_FILE)
    start = time.perf_counter()
    grade_batch(submitted, assignment="mini_project", out=tmp_path / "out", workers=1,
                timeout=30)
    took = time.perf_counter() - start
    data = json.loads((tmp_path / "out" / "grades.json").read_text())
    got = {s["student_id"]: {e["exercise_id"]: e for e in s["exercises"]}
           for s in data["students"]}
    assert got["with_weights"]["mini_project"]["score"] == 5
    assert got["without"]["mini_project"]["score"] == 0
    assert "the grader does not train" in " ".join(got["without"]["mini_project"]["feedback"])
    assert took < 60  # no training: a sandbox start and two quick notebooks


@pytest.mark.sandbox
@pytest.mark.slow
def test_on_a_dask_cluster_the_weights_are_graded_too(tmp_path) -> None:
    import logging
    import subprocess
    import sys

    distributed = pytest.importorskip("distributed")
    source = ROOT / "solutions" / "mini_project" / "mini_project.ipynb"
    folder = tmp_path / "submitted" / "with_weights" / "mini_project"
    folder.mkdir(parents=True)
    (folder / "mini_project.ipynb").write_bytes(source.read_bytes())
    _save(trained(), folder / WEIGHTS_FILE)
    convdojo = str(Path(sys.executable).parent / "convdojo")
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                                  dashboard_address=None, silence_logs=logging.CRITICAL) as c:
        done = subprocess.run([convdojo, "grade", str(tmp_path / "submitted"), "--assignment",
                               "mini_project", "--out", str(tmp_path / "out"), "--scheduler",
                               c.scheduler_address], capture_output=True, text=True,
                              timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    student = json.loads((tmp_path / "out" / "grades.json").read_text())["students"][0]
    assert student["exercises"][0]["exercise_id"] == "mini_project"
    assert student["exercises"][0]["score"] == 5
