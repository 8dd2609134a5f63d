"""The hostile corpus, graded for real: every attack gets exactly the score it deserves.

Also: no file outside the sandbox's scratch folders changes, nothing the
submissions started is still running afterwards, no connection leaves the
sandbox, and no feedback page shows a hidden input.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest


from hostile import support
from hostile.corpus import CASES, SEQUENTIAL
from hostile.notebooks import ROOT

from convdojo import specs
from convdojo import sandbox
from convdojo.grade import grade_batch

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.available(), reason=f"needs bubblewrap: {sandbox.INSTALL}"),
]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("hostile")
    submitted, out, canary = root / "submitted", root / "out", root / "canary"
    canary.mkdir()
    (canary / "canary.txt").write_text("original")
    listener = support.Listener()
    victim = submitted / "honest_full" / "conv_shapes" / "conv_shapes.ipynb"
    values = {
        "SECRET": repr([str(ROOT / "src" / "convdojo" / "specs" / "conv_shapes.py"),
                        str(ROOT / "solutions" / "conv_shapes" / "conv_shapes.ipynb"),
                        str(victim), str(out / "journal.jsonl"), "/etc/shadow",
                        str(canary / "canary.txt")]),
        "CANARY": repr([str(canary / "canary.txt"), str(canary / "new.txt"), str(victim),
                        str(out / "grades.csv")]),
        "PORT": str(listener.port),
    }
    for case in CASES:
        support.build(submitted, case, values)
    before = support.tree_digest(submitted, canary)
    since = support.boot_ticks()
    try:
        summary = grade_batch(submitted, assignment="conv_shapes", out=out, workers=2,
                              timeout=4, memory_limit="512M")
    finally:
        listener.close()
    return {"rows": support.rows(out), "out": out, "summary": summary, "hits": listener.hits,
            "same": before == support.tree_digest(submitted, canary), "since": since}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_deserved_score(batch: dict, case) -> None:
    assert support.check_expectation(case, batch["rows"]) == []


def test_nothing_outside_scratch_changed(batch: dict) -> None:
    assert batch["same"], "a submission changed a file outside its scratch folder"


def test_no_connection_left_the_sandbox(batch: dict) -> None:
    assert batch["hits"] == 0


def test_no_process_outlives_the_batch(batch: dict) -> None:
    assert support.host_processes(b"cdj_inside", since=batch["since"]) == []
    assert support.host_processes(b"98765", since=batch["since"]) == []


def test_feedback_never_shows_hidden_inputs(batch: dict) -> None:
    hidden = set()
    for spec in specs.all_specs():
        for v in getattr(spec, "variants", ()):
            public = {tuple(p.input_shape) for p in spec.variants if not p.hidden}
            if v.hidden and tuple(v.input_shape) not in public | {tuple(spec.input_shape)}:
                shape = tuple(v.input_shape)
                hidden |= {str(shape), str(list(shape)), ", ".join(map(str, shape))}
        for args, kwargs, is_hidden in getattr(spec, "cases", ()):
            if is_hidden:
                hidden.add(repr(args))
    pages = list((batch["out"] / "feedback").glob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        leaks = [h for h in hidden if h in text]
        assert not leaks, f"{page.name} shows hidden inputs {leaks}"
        assert not re.search(r"(src|href)=|https?://|url\(|@import", text), page.name


def test_summary_counts(batch: dict) -> None:
    summary = batch["summary"]
    assert summary.students == len(CASES)
    assert summary.timeouts >= 2 and summary.errors >= 4
    assert summary.isolation == "bubblewrap"


def test_same_worker_sees_nothing_left_behind(tmp_path: Path) -> None:
    """One worker grades these in order: files and daemons of one are gone for the next."""
    submitted, since = tmp_path / "submitted", support.boot_ticks()
    for case in SEQUENTIAL:
        support.build(submitted, case, {})
    grade_batch(submitted, assignment="conv_shapes", out=tmp_path / "out", workers=1,
                timeout=10)
    got = support.rows(tmp_path / "out")
    for case in SEQUENTIAL:
        assert support.check_expectation(case, got) == [], case.name
    assert support.host_processes(b"98765", since=since) == []
