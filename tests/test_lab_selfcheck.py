"""Self-check rough edges in the student's lab: no stale autograder output, honest hidden-input text."""

from __future__ import annotations

import json
import shutil

import pytest
from torch import nn

from _jupyter_server import chromium_missing_reason, jupyter_lab, launch_chromium, \
    open_notebook, run_all_cells
from convdojo import check
from convdojo.checks.result import SEEN_ONLY, CheckResult, Finding
from notebook_utils import ROOT

RELEASED = ROOT / "exercises" / "conv_shapes" / "conv_shapes.ipynb"


def _hidden_failure() -> Finding:
    return Finding("shape", False, "On a hidden input (odd size) the output has the wrong H, W "
                   f"(rule: spatial size kept). {SEEN_ONLY}", True)


def test_right_only_for_the_seen_sizes_when_the_shown_inputs_pass() -> None:
    shown = Finding("shape", True, "On input (4, 3, 16, 16) (shown input) the output is right.")
    result = CheckResult.from_findings("channels", 2, [shown, _hidden_failure()],
                                       on_pass=[], on_fail=[])
    assert any(line.startswith("1 of 1 hidden inputs failed.") and line.endswith(SEEN_ONLY)
               for line in result.feedback)


def test_not_right_only_for_the_seen_sizes_when_the_shown_inputs_fail_too() -> None:
    shown = Finding("shape", False, "On input (4, 3, 16, 16) (shown input) expected 16, got 14.")
    result = CheckResult.from_findings("channels", 2, [shown, _hidden_failure()],
                                       on_pass=[], on_fail=[])
    summary = [line for line in result.feedback if "hidden inputs failed" in line]
    assert summary == ["1 of 1 hidden inputs failed. On a hidden input (odd size) the output has "
                       "the wrong H, W (rule: spatial size kept)."]
    # And through the real check: no padding fails the shown input and every hidden one.
    real = check("channels", nn.Conv2d(3, 16, 3), hidden=True)
    assert any("hidden inputs failed" in line for line in real.feedback)
    assert not any(SEEN_ONLY in line for line in real.feedback)


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_an_autograder_cell_says_run_me_again_once_its_answer_changes(tmp_path) -> None:
    if reason := chromium_missing_reason():
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    shutil.copy(RELEASED, tmp_path / "conv_shapes.ipynb")
    cells = json.loads(RELEASED.read_text())["cells"]
    role = {(c["metadata"]["convdojo"].get("exercise"), c["metadata"]["convdojo"]["role"]): i
            for i, c in enumerate(cells) if "convdojo" in c["metadata"]}
    answer, test = role[("worked_7x7", "answer")], role[("worked_7x7", "test")]
    other_test = role[("channels", "test")]
    with jupyter_lab(tmp_path) as lab, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(90_000)
        open_notebook(page, lab, "conv_shapes.ipynb")
        assert run_all_cells(page) == []
        cell = page.locator(".jp-Notebook .jp-Cell").nth(test)
        assert "not answered yet" in cell.locator(".jp-OutputArea").inner_text()
        # The student answers, runs the answer cell and its self-check (not the autograder cell).
        page.evaluate("""async ([i, text]) => {
            const nb = window.jupyterapp.shell.currentWidget.content;
            const src = nb.widgets[i].model.sharedModel;
            src.setSource(src.getSource().replace('conv7 = None', text));
            nb.activeCellIndex = i;
            await window.jupyterapp.commands.execute('notebook:run-cell-and-select-next');
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""", [answer, "conv7 = nn.Conv2d(1, 1, kernel_size=3)"])
        page.wait_for_function("""(i) => {
            const out = document.querySelectorAll('.jp-Notebook .jp-Cell')[i].querySelector('.jp-OutputArea');
            return out && out.textContent.includes('has changed since this cell ran');
        }""", arg=test)
        text = cell.locator(".jp-OutputArea").inner_text()
        assert "not answered yet" not in text and "conv7 has changed since this cell ran" in text
        # Another exercise's answer did not change: its output stays as it was.
        assert "not answered yet" in page.locator(".jp-Notebook .jp-Cell").nth(other_test).inner_text()
        # Running the autograder cell again shows the new result.
        page.evaluate("""(i) => {
            const nb = window.jupyterapp.shell.currentWidget.content;
            nb.activeCellIndex = i;
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""", test)
        page.wait_for_function("""(i) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i]
            .querySelector('.jp-OutputArea').textContent.includes('worked_7x7: passed')""", arg=test)
        assert "has changed since this cell ran" not in cell.locator(".jp-OutputArea").inner_text()
        browser.close()
