"""Fast unit tests of the grader's parts: sizes, framing, planning, extraction, rebuilding."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn



from convdojo import check
from convdojo.grade import checker, plain, report
from convdojo.sandbox.inside import codec, notebook, private, wire
from convdojo.grade.journal import Journal, JournalMismatch
from convdojo.grade.limits import parse_size
from convdojo.grade.records import Record


@pytest.mark.parametrize("text,value", [("512M", 512 * 2**20), ("2G", 2 * 2**30),
                                        ("2GB", 2 * 2**30), ("1.5GiB", 3 * 2**29),
                                        ("1073741824", 2**30), (" 3 g ", 3 * 2**30)])
def test_parse_size(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["lots", "-1G", "2XB", "", "1K", "G"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def _frame(key: bytes, seq: int, kind: str, payload: object) -> bytes:
    import marshal
    from hashlib import blake2b
    body = marshal.dumps((seq, kind, payload))
    return (wire.MAGIC + len(body).to_bytes(8, "big")
            + blake2b(body, key=key, digest_size=32).digest() + body)


def test_scanner_keeps_only_verified_frames_in_order() -> None:
    key = os.urandom(32)
    scanner = wire.FrameScanner(key)
    forged = _frame(os.urandom(32), 0, "answer", ["channels", {"t": "module"}])
    liar = wire.MAGIC + (10**8).to_bytes(8, "big") + b"x" * 40  # claims a huge frame
    stream = (b"junk" + forged + liar + _frame(key, 0, "ready", None) + b"CDJ"
              + _frame(key, 1, "answer", ["padding", 3]) + _frame(key, 1, "answer", ["x", 1]))
    got = []
    for i in range(0, len(stream), 7):  # arrives in small pieces
        got += scanner.feed(stream[i:i + 7])
    got += scanner.finish()
    assert got == [("ready", None), ("answer", ["padding", 3])]  # the replayed seq 1 is dropped


def test_plan_reads_answers_where_the_test_cell_runs() -> None:
    def cell(src: str, **meta: object) -> dict:
        return {"type": "code", "source": src, "meta": meta}
    cells = [
        cell("conv = 1", nbgrader={"grade_id": "channels"}),
        cell('check("channels", conv, hidden=True)',
             nbgrader={"grade_id": "channels_test", "grade": True, "solution": False}),
        cell("conv = 2", convdojo={"role": "answer", "exercise": "padding"}),
        cell('check("padding", conv)'),
        cell("n = 3", nbgrader={"grade_id": "param_count"}),
    ]
    plan = notebook.plan(cells, ["channels", "padding", "param_count", "stride"])
    assert plan.cells[1].before == ["channels"] and plan.cells[1].skip
    assert plan.cells[3].after == ["padding"] and not plan.cells[3].skip
    assert plan.cells[4].after == ["param_count"]
    assert plan.at_end == ["stride"]


@pytest.mark.parametrize("data,words", [(b"", "empty"), (b'{"cells": [', "truncated"),
                                        (b"[1, 2]", "not a Jupyter notebook"),
                                        (b"\xff\xfe", "UTF-8")])
def test_parse_explains_bad_files(data: bytes, words: str) -> None:
    with pytest.raises(notebook.NotebookError, match=words):
        notebook.parse(data)


def test_magics_are_transformed_as_ipython_does() -> None:
    """IPython's own transformer, not a regex: the grader's get_ipython() then decides."""
    assert notebook.python_source("%matplotlib inline\nx = 1\n!pip install y") == (
        "get_ipython().run_line_magic('matplotlib', 'inline')\nx = 1\n"
        "get_ipython().system('pip install y')\n")
    assert notebook.python_source("%%bash\nrm -rf /") == (
        "get_ipython().run_cell_magic('bash', '', 'rm -rf /\\n')\n")


@pytest.fixture(scope="module")
def sender() -> dict:
    return private.load(private.compile_file("sender.py"))


def _roundtrip(sender: dict, obj: object) -> object:
    native = sender["encode"](obj)
    return plain.rebuild(json.loads(json.dumps(codec.to_json(native))))


def test_a_layer_survives_the_wall(sender: dict) -> None:
    conv = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
    conv.padding = (2, 2)  # set after construction: still the student's genuine layer
    back = _roundtrip(sender, conv)
    assert type(back) is nn.Conv2d and back.padding == (2, 2) and back.bias is None
    assert torch.equal(back.weight, conv.weight)
    x = torch.randn(1, 3, 9, 9)
    assert torch.equal(back(x), conv(x))
    seq = nn.Sequential(conv, nn.ReLU(), conv)  # shared layers stay shared
    again = _roundtrip(sender, seq)
    assert again[0] is again[2]


def test_tampering_is_rebuilt_as_tampering(sender: dict) -> None:
    hooked = nn.Conv2d(3, 16, 3, padding=1)
    hooked.register_forward_hook(lambda m, i, o: o * 0)
    patched = nn.Conv2d(3, 16, 3, padding=1)
    patched.forward = lambda x: x
    for answer in (hooked, patched):
        ours = check("channels", _roundtrip(sender, answer), hidden=True)
        assert ours.score == 0 and ours.status == check("channels", answer).status

    class Sneaky(nn.Conv2d):
        pass
    back = _roundtrip(sender, Sneaky(3, 16, 3, padding=1))
    assert type(back).__name__ == "Sneaky" and isinstance(back, nn.Conv2d)
    assert check("channels", back, hidden=True).feedback == check(
        "channels", Sneaky(3, 16, 3, padding=1)).feedback


def test_values_are_read_through_their_base_types(sender: dict) -> None:
    class Liar(tuple):
        def __eq__(self, other: object) -> bool:
            return True
        __hash__ = tuple.__hash__

        def __iter__(self):  # never called by the extractor
            raise RuntimeError("student code ran in the extractor")

    class Wide(int):
        def __eq__(self, other: object) -> bool:
            return True
        __hash__ = int.__hash__

    assert _roundtrip(sender, Liar((1, 2))) == (1, 2)
    assert type(_roundtrip(sender, Wide(7))) is int
    assert _roundtrip(sender, torch.Size([5, 3])) == torch.Size([5, 3])
    assert _roundtrip(sender, {"a": [1, (2.5, None)]}) == {"a": [1, (2.5, None)]}


def test_objects_with_hostile_attributes_are_only_named(sender: dict) -> None:
    class Trap:
        @property
        def __dict__(self):  # type: ignore[override]
            raise RuntimeError("student code ran in the extractor")

        def __repr__(self) -> str:
            raise RuntimeError("student code ran in the extractor")

    back = _roundtrip(sender, Trap())
    assert type(back).__name__ == "Trap" and isinstance(back, plain.Opaque)
    assert sender["encode"](torch.zeros(10**6))["t"] == "tensor"
    assert sender["encode"](torch.zeros(10**7))["t"] == "error"  # over the size budget


def test_hidden_inputs_are_scrubbed() -> None:
    result = {"feedback": ["2 of 6 hidden inputs failed. On a hidden input (a small size) "
                           "torch raised RuntimeError: expected input[3, 3, 5, 5]"],
              "findings": [{"hidden": True, "message": "On a hidden input (odd) the output "
                            "is (1, 16, 9, 31), as the rule says.", "passed": True}]}
    out = checker.sanitize_dict(result)
    assert "3, 3, 5, 5" not in out["feedback"][0] and "(a small size)" in out["feedback"][0]
    assert "9, 31" not in out["findings"][0]["message"]


def test_page_is_self_contained_and_escaped() -> None:
    rec = {"student_id": "mallory", "graded_at": "now", "notes": ["<script>x</script>"],
           "results": [{"exercise_id": "channels", "score": 1, "max_score": 2,
                        "status": "failed", "feedback": ["<img src=x onerror=alert(1)>"]}]}
    html = report.page(Record.from_json(rec), {"title": "T", "titles": {"channels": "Channels"}})
    assert "<script>" not in html and "<img" not in html and "&lt;img" in html
    assert "src=" not in html.replace("&lt;img src=", "") and "http" not in html


def test_journal_survives_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    j = Journal(path, "conv_shapes")
    j.add(Record.from_json({"student_id": "a", "sha256": "1", "results": []}))
    j.close()
    with open(path, "a") as fh:
        fh.write('{"student_id": "b", "sha')  # killed mid-write
    j = Journal(path, "conv_shapes")
    assert j.done("a", "1") and not j.done("b", None)
    j.add(Record.from_json({"student_id": "b", "sha256": "2", "results": []}))
    j.close()
    assert Journal(path, "conv_shapes").done("b", "2")
    with pytest.raises(JournalMismatch):
        Journal(path, "pooling")


def test_codec_roundtrips_case_arguments() -> None:
    import numpy as np
    value = ((3, [1, 2]), {"k": (3, 5), "arr": np.arange(6, dtype=np.uint8).reshape(2, 3)})
    back = codec.decode(codec.from_json(json.loads(json.dumps(codec.to_json(
        codec.encode(value))))))
    assert back[0] == (3, [1, 2]) and back[1]["k"] == (3, 5)
    assert back[1]["arr"].dtype == np.uint8 and back[1]["arr"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_released_layout_helper_builds_valid_notebooks(tmp_path: Path) -> None:
    from hostile.notebooks import SOLUTIONS, fill, write
    path = write(tmp_path, "s", fill(SOLUTIONS))
    nbformat.validate(nbformat.read(path, as_version=4))


def test_wipe_keeps_binds_inside_scratch_and_removes_the_rest(tmp_path) -> None:
    """A venv under /tmp is bound inside the sandbox's /tmp; the wipe must spare only it."""
    from convdojo.sandbox.inside import cleanup

    venv = tmp_path / "ci" / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (tmp_path / "ci" / "planted.txt").write_text("left for the next student")
    (tmp_path / "other").mkdir()
    (tmp_path / "file").write_text("x")
    cleanup._wipe_children(str(tmp_path), [str(venv)])
    assert (venv / "bin" / "python").exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == [".venv", "bin", "ci", "python"]
