"""A class of 110 notebooks with planted mistakes at known rates, graded by ``convdojo grade``:
the class report counts each misconception exactly as planted, code by code."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from hostile.notebooks import SOLUTIONS, fill, write

from convdojo.grade.class_report import analyse, counts

CONVDOJO = str(Path(sys.executable).parent / "convdojo")
pytestmark = [pytest.mark.slow, pytest.mark.sandbox]  # grades 110 notebooks (~1.5 min)

# exercise -> (wrong answer, its code, share of students who get it)
PLANTED = {
    "channels": ("conv = nn.Conv2d(3, 16, 3)", "padding.missing", 0.30),
    "combination": ("conv = nn.Conv2d(3, 16, 3, stride=2)", "padding.missing", 0.20),
    "stride": ("conv = nn.Conv2d(3, 3, 5, stride=2, padding=1)", "padding.miscounted", 0.25),
    "padding": ("conv = nn.Conv2d(16, 16, 5, padding=1)", "padding.unneeded", 0.15),
    "worked_7x7": ("conv7 = nn.Conv2d(1, 3, 3)", "channels.out_mismatch", 0.10),
    "weight_shape": ("weight_shape = (5, 5, 3, 5)", "weights.tf_order", 0.35),
    "param_count": ("n_params = 375", "params.bias_forgotten", 0.40),
}
STUDENTS = 108


def _plan(seed: int = 14) -> tuple[dict[str, dict[str, str]], dict[str, set[str]],
                                   dict[tuple[str, str], set[str]]]:
    rng = random.Random(seed)
    answers: dict[str, dict[str, str]] = {}
    by_code: dict[str, set[str]] = defaultdict(set)
    by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
    for i in range(STUDENTS):
        sid = f"s{i:03d}"
        mine = dict(SOLUTIONS)
        for ex, (wrong, code, rate) in PLANTED.items():
            if rng.random() < rate:
                mine[ex] = wrong
                by_code[code].add(sid)
                by_pair[(ex, code)].add(sid)
        if i % 36 == 5:  # a few leave an answer out: that is no misconception
            mine["worked_7x7"] = "conv7 = None"
            by_pair[("worked_7x7", "channels.out_mismatch")].discard(sid)
            if sid not in by_pair.get(("channels", "channels.out_mismatch"), set()):
                by_code["channels.out_mismatch"].discard(sid)
        answers[sid] = mine
    return answers, dict(by_code), dict(by_pair)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    root = tmp_path_factory.mktemp("class")
    sub, out = root / "submitted", root / "out"
    answers, by_code, by_pair = _plan()
    for sid, mine in answers.items():
        write(sub, sid, fill(mine))
    write(sub, "zz_loops", fill(dict(SOLUTIONS), extra=[("start", "while True:\n    pass")]))
    write(sub, "zz_garbage", b"this is not a notebook {")
    proc = subprocess.run([CONVDOJO, "grade", str(sub), "--assignment", "conv_shapes",
                           "--out", str(out), "--workers", "2", "--timeout", "4"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out, by_code, by_pair


def test_counts_equal_the_planted_ones_code_by_code(graded) -> None:
    out, by_code, by_pair = graded
    report = analyse(json.loads((out / "grades.json").read_text()))
    assert counts(report) == {code: len(who) for code, who in by_code.items()}
    for m in report.misconceptions:
        assert m.students == by_code[m.code], m.code
    ranked = [len(m.students) for m in report.misconceptions]
    assert ranked == sorted(ranked, reverse=True)


def test_misconceptions_csv_per_exercise(graded) -> None:
    out, _, by_pair = graded
    with (out / "misconceptions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    got = {(r["exercise_id"], r["code"]): (int(r["count"]), set(r["students"].split(";")))
           for r in rows}
    assert got == {k: (len(v), v) for k, v in by_pair.items() if v}


def test_the_page_shows_counts_problems_and_help(graded) -> None:
    out, by_code, _ = graded
    page = (out / "report.html").read_text()
    for code, who in by_code.items():
        assert f'data-code="{code}"' in page
        assert f'<code>{code}</code>: <span class="count">{len(who)}</span>' in page
    report = analyse(json.loads((out / "grades.json").read_text()))
    kinds = {p.student_id: p.kind for p in report.problems}
    assert kinds == {"zz_loops": "timed out", "zz_garbage": "notebook could not be read"}
    helped = {s.student_id for s in report.help}
    assert {"zz_loops", "zz_garbage"} <= helped
    assert all(f'href="feedback/{s}.html"' in page for s in helped)
    assert all((out / "feedback" / f"{s}.html").is_file() for s in helped)
    stats = {s.exercise_id: s for s in report.exercises}
    assert stats["worked_7x7"].unanswered == 3
    assert page.count("<svg") == 2
    assert not any(f'{attr}="{scheme}' in page for attr in ("src", "href")
                   for scheme in ("http", "//"))


def test_report_subcommand_rebuilds_the_same_page(graded) -> None:
    out, _, _ = graded
    before = (out / "report.html").read_text()
    (out / "report.html").unlink()
    proc = subprocess.run([CONVDOJO, "report", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "need help" in proc.stdout
    assert (out / "report.html").read_text() == before
