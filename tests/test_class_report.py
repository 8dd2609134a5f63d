"""The class report from a grades.json: numbers, CSV, suspects, and the page in Chromium."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from _jupyter_server import chromium_missing_reason, launch_chromium
from synthetic_grades import EXERCISES, make_grades

from convdojo.grade.class_report import (HELP_MISCONCEPTIONS, counts, write_report)

from convdojo.cli import main


@pytest.fixture()
def gradebook_url(tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> str:
    import os
    import sys

    from test_gradebook import _build

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    # nbgrader runs `alembic` from PATH to create the database
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep
                       + os.environ.get("PATH", ""))
    _build(f"sqlite:///{path}")
    return f"sqlite:///{path}"


@pytest.fixture()
def run_folder(tmp_path: Path):
    plan = make_grades(300)
    (tmp_path / "grades.json").write_text(json.dumps(plan.grades))
    return tmp_path, plan


def test_counts_unanswered_and_problems_follow_the_grades(run_folder) -> None:
    out, plan = run_folder
    report = write_report(out)
    assert counts(report) == {c: len(s) for c, s in plan.by_code.items()}
    assert {s.exercise_id: s.unanswered for s in report.exercises} == \
        {ex: plan.unanswered.get(ex, 0) for ex in EXERCISES}
    assert {p.student_id: p.kind for p in report.problems} == {
        sid: {"timeout": "timed out", "fatal": "notebook could not be read"}[status]
        for sid, status in plan.problems.items()}
    for st in report.exercises:
        assert st.pass_rate == sum(s == st.max_score for s in st.scores) / st.n
    assert report.suspects is None


def test_help_lists_low_scores_and_many_misconceptions(run_folder) -> None:
    out, plan = run_folder
    report = write_report(out)
    helped = {s.student_id for s in report.help}
    for s in report.students:
        if s.fraction < 0.5 or len(s.codes) >= HELP_MISCONCEPTIONS:
            assert s.student_id in helped
    assert set(plan.problems) <= helped  # a run that died scores 0
    page = (out / "report.html").read_text()
    for s in report.help:
        assert f'<a href="feedback/{s.student_id}.html">' in page


def test_examples_and_notes_come_with_each_misconception(run_folder) -> None:
    out, _ = run_folder
    report = write_report(out)
    from convdojo.specs.misconceptions import TAXONOMY
    for m in report.misconceptions:
        assert 2 <= len(m.examples) <= 3 and m.note == TAXONOMY[m.code].note
        assert all("hidden" not in e.text for e in m.examples)  # the shown finding, not a hidden one


def test_csv_has_one_row_per_exercise_and_code(run_folder) -> None:
    out, plan = run_folder
    write_report(out)
    with (out / "misconceptions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["exercise_id", "code", "count", "students"]
    both = {r["students"] for r in rows if r["code"] == "padding.missing"}
    assert len(both) == 2  # channels and combination, counted apart
    total = {r["code"]: set() for r in rows}
    for r in rows:
        assert int(r["count"]) == len(r["students"].split(";"))
        total[r["code"]] |= set(r["students"].split(";"))
    assert total == dict(plan.by_code)


def test_suspects_from_a_gradebook_comparison(run_folder) -> None:
    out, _ = run_folder
    (out / "gradebook-compare.json").write_text(json.dumps({"suspects": [
        {"student_id": "student0003", "exercise_id": "stride", "nbgrader_score": 2,
         "convdojo_score": 0.5, "max_score": 2, "status": "failed", "evidence": []}]}))
    report = write_report(out)
    assert [(s.student_id, s.exercise_id) for s in report.suspects] == \
        [("student0003", "stride")]
    assert "student0003" in (out / "report.html").read_text().split("Suspected tampering")[1]


def test_report_command_errors_clearly_without_a_run(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "grades.json does not exist" in capsys.readouterr().err
    (tmp_path / "grades.json").write_text("{not json")
    assert main(["report", str(tmp_path)]) == 2
    assert "not convdojo grade's output" in capsys.readouterr().err


def test_import_convdojo_does_not_load_matplotlib() -> None:
    import subprocess
    import sys
    code = "import sys, convdojo, convdojo.grade.class_report; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True).stdout.strip() == "False"


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_page_renders_offline_in_chromium(run_folder) -> None:
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    out, plan = run_folder
    write_report(out)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto((out / "report.html").as_uri())
            page.wait_for_load_state("load")
            assert page.locator("svg").count() == 2
            box = page.locator("svg").first.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 100
            shown = {el.get_attribute("data-code"): int(el.locator(".count").inner_text())
                     for el in page.locator("section.card").all()}
            assert shown == {c: len(s) for c, s in plan.by_code.items()}
        finally:
            browser.close()
    assert errors == []
    assert requests == [(out / "report.html").as_uri()]  # the page itself, nothing else


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader 0.9's, not ours
def test_suspects_from_a_real_gradebook_compare(tmp_path: Path, gradebook_url: str) -> None:
    """The gradebook-compare.json that ``--gradebook compare`` writes is what the report reads."""
    from test_gradebook import ASSIGNMENT, ROWS

    from convdojo import gradebook

    gradebook.apply(gradebook_url, mode="compare", assignment=ASSIGNMENT, rows=ROWS,
                    out=tmp_path)
    students: dict[str, list] = {}
    for row in ROWS:
        students.setdefault(row["student_id"], []).append(
            {"findings": [], "feedback": [], **row})
    (tmp_path / "grades.json").write_text(json.dumps({"assignment": ASSIGNMENT, "students": [
        {"student_id": s, "score": sum(r["score"] for r in rs),
         "max_score": sum(r["max_score"] for r in rs), "run": {"status": "ok"},
         "notes": [], "exercises": rs} for s, rs in students.items()]}))
    report = write_report(tmp_path)
    assert [(s.student_id, s.exercise_id, s.nbgrader_score, s.convdojo_score)
            for s in report.suspects] == [("tom", "stride", 2, 0.5)]
