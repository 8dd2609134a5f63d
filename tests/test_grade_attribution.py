"""The answer-cell facts are untrusted data: checked on both sides of the sandbox wall.

The sandbox's sender keeps only facts of exact base types and bounded sizes; the
clean side ignores exercise ids that are not another exercise of the same
assignment with the same answer variable, and cuts and escapes error text.
Also the runner's parts that need no sandbox: the plan and the cell compiler.
"""

from __future__ import annotations

import json
import sys

import pytest

from convdojo.grade import attribution, checker
from convdojo.sandbox.inside import notebook, private

from hostile.notebooks import released

LAYER = {"t": "missing"}


def _cell(**facts: object) -> dict:
    return {"t": "cell", "cell": 15, "raised": None, "rebound": False, "same_as": [],
            "v": LAYER, **facts}


def test_a_plain_answer_passes_untouched() -> None:
    assert attribution.judge("padding", 3) == (3, None)
    assert attribution.judge("padding", {"t": "tuple", "v": []}) == ({"t": "tuple", "v": []},
                                                                     None)


def test_a_raising_answer_cell_scores_0_with_its_error_cut_and_escaped() -> None:
    tree, result = attribution.judge("padding", _cell(
        raised="ValueError: bad \ud800 value\x1b[31m" + "x" * 5000 + "\nsecond line"))
    assert tree == LAYER and result is not None
    assert (result["score"], result["status"], result["max_score"]) == (0.0, "invalid", 2)
    text = result["feedback"][0]
    assert text.startswith("Your answer cell (cell 15) raised ValueError: bad \\ud800 value")
    assert "\x1b" not in text and "second line" not in text and len(text) < 500
    json.dumps(result, ensure_ascii=False).encode("utf-8")  # no lone surrogate survives


@pytest.mark.parametrize("same_as", [
    ["no_such_exercise"], ["dilated_conv"],  # another assignment's, same variable name
    ["padding"],  # itself
    ["worked_7x7"],  # same assignment, another variable (conv7)
    "channels", [7, None, {"id": "channels"}],  # not a list of strings
])
def test_forged_exercise_ids_are_ignored(same_as: object) -> None:
    assert attribution.judge("padding", _cell(same_as=same_as)) == (LAYER, None)


def test_a_stale_answer_names_the_exercise_it_belongs_to() -> None:
    _, result = attribution.judge("padding", _cell(same_as=["bogus", "channels"]))
    assert result is not None and (result["score"], result["status"]) == (0.0, "unanswered")
    assert result["feedback"][0].startswith(
        "conv still holds your answer to Channels (channels): the answer cell (cell 15)")


@pytest.mark.parametrize("facts", [
    {"rebound": True}, {"rebound": "no"}, {"rebound": None},
])
def test_anything_but_a_clear_fact_makes_no_claim(facts: dict) -> None:
    assert attribution.judge("padding", _cell(same_as=["channels"], **facts)) == (LAYER, None)


@pytest.mark.parametrize("raised", [5, b"ValueError", ["ValueError"]])
def test_an_error_that_is_not_text_is_no_error(raised: object) -> None:
    assert attribution.judge("padding", _cell(raised=raised)) == (LAYER, None)


@pytest.mark.parametrize("cell", [-1, 0, True, 10**12, "15", 1.5])
def test_a_forged_cell_number_is_dropped(cell: object) -> None:
    _, result = attribution.judge("padding", _cell(cell=cell, raised="KeyError: 'a'"))
    assert result is not None and result["feedback"][0].startswith(
        "Your answer cell raised KeyError: 'a'")


def test_a_wrapper_without_its_value_cannot_be_graded() -> None:
    tree = {k: v for k, v in _cell(rebound=True).items() if k != "v"}
    result = checker.check_one("padding", tree, {})
    assert (result["score"], result["status"]) == (0.0, "invalid")
    assert "could not be graded: the answer arrived without its value" in result["feedback"][0]


def test_check_one_grades_the_inner_answer() -> None:
    result = checker.check_one("padding", _cell(rebound=True, v=None), {})
    assert result["status"] == "unanswered" and "still None" in result["feedback"][0]


@pytest.fixture(scope="module")
def sender() -> dict:
    return private.load(private.compile_file("sender.py"))


class _Str(str):
    pass


class _List(list):
    pass


@pytest.mark.parametrize("facts", [
    None, (15, None, False), (15, None, False, [], 1), [15, None, False, []],
    (True, None, False, []), (15, _Str("E: x"), False, []), (15, None, 0, []),
    (15, None, False, _List(["channels"])), (15, None, False, ("channels",)),
])
def test_the_sender_drops_facts_of_the_wrong_shape(sender: dict, facts: object) -> None:
    assert sender["cell_facts"](facts) is None


def test_the_sender_bounds_what_it_keeps(sender: dict) -> None:
    node = sender["cell_facts"]((15, "E" * 10_000, False, ["c" * 500, _Str("x"), 3] * 100))
    assert node["t"] == "cell" and node["cell"] == 15 and len(node["raised"]) == 300
    assert len(node["same_as"]) == 40 and all(s == "c" * 200 for s in node["same_as"])


def test_the_plan_knows_each_exercises_answer_cell() -> None:
    import nbformat

    data = nbformat.writes(released()).encode()
    plan = notebook.plan(notebook.parse(data), ["worked_7x7", "channels", "padding", "nope"])
    assert plan.answer_cell == {"worked_7x7": 7, "channels": 11, "padding": 16}
    assert [c.answers for c in plan.cells if c.answers] == [["worked_7x7"], ["channels"],
                                                            ["padding"]]


@pytest.mark.parametrize("source,value", [
    ("x = (5\n     % 3)", 2),  # a continuation line that starts with % is modulo
    ("In [1]: x = 4", 4),  # a pasted IPython prompt, stripped as IPython does
    (">>> x = 6", 6),
    ("   x = 7", 7),  # a cell indented as a whole
])
def test_cells_compile_as_a_kernel_compiles_them(source: str, value: int) -> None:
    ns: dict = {}
    exec(notebook.compile_cell(source, "<cell>"), ns)
    assert ns["x"] == value


def test_a_transformer_that_gives_up_is_a_clear_error() -> None:
    with pytest.raises(notebook.TransformError, match="still changing"):
        notebook.compile_cell("x = !ls\n" * 600, "<cell>")
    with pytest.raises(SyntaxError):
        notebook.compile_cell("def broken(:\n    pass", "<cell>")


def test_the_transformer_leaves_sys_modules_alone() -> None:
    before = set(sys.modules)
    notebook._MANAGER.clear()
    assert notebook.transformer() is not None
    assert not {m for m in set(sys.modules) - before if "IPython" in m or "ipython" in m}
