"""The student's `make lab`, started as a service would (nohup, almost empty environment), in Chromium.

Validate shows convdojo's report with the right marks; no instructor menu and no error
toast; the gallery opens; a JupyterLab terminal runs `convdojo validate` on the notebook.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from _jupyter_server import chromium_missing_reason, free_port, launch_chromium
from notebook_utils import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]
TIMEOUT_MS = 90_000
RELEASED = ROOT / "exercises" / "conv_shapes" / "conv_shapes.ipynb"
# worked_7x7 right, channels wrong (no padding: 16 becomes 14), the rest left unanswered.
ANSWERS = {"conv7 = None": "conv7 = nn.Conv2d(1, 1, kernel_size=3)",
           "conv = None": "conv = nn.Conv2d(3, 16, kernel_size=3)"}


@dataclass
class Lab:
    url: str
    token: str
    folder: str  # the test's notebook folder, relative to the lab's root
    log: Path

    def page_url(self, path: str) -> str:
        return f"{self.url}{path}?token={self.token}"


def _student_notebook(folder: Path) -> Path:
    nb = json.loads(RELEASED.read_text())
    todo = dict(ANSWERS)
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        for stub, answer in list(todo.items()):
            if cell["cell_type"] == "code" and re.search(rf"^{re.escape(stub)}\b", src, re.M):
                cell["source"] = re.sub(rf"^{re.escape(stub)}", answer, src, count=1, flags=re.M)
                del todo[stub]
                break
    assert not todo, f"answer stubs not found: {todo}"
    path = folder / "conv_shapes.ipynb"
    path.write_text(json.dumps(nb))
    return path


def _wait(url: str, proc: subprocess.Popen, log: Path, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"make lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise AssertionError(f"make lab did not answer:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    if reason := chromium_missing_reason():
        pytest.skip(reason)
    home = tmp_path_factory.mktemp("student-home")
    folder = ROOT / f"lab-test-{secrets.token_hex(4)}"  # inside the lab's root, removed below
    folder.mkdir()
    _student_notebook(folder)
    port, token = free_port(), secrets.token_hex(12)
    # What a service or `nohup make lab` gets: no PATH, no SHELL, no terminal.
    env = {"HOME": str(home), "LANG": "C.UTF-8", "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} "
            "--LabApp.expose_app_in_browser=True")
    log = home / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()),
                                 "/usr/bin/nohup", "/usr/bin/make", "-s", "lab", f"LAB_ARGS={args}"],
                                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}/"
        _wait(f"{base}api/status?token={token}", proc, log)
        yield Lab(base, token, folder.name, log)
    finally:
        with _suppress():
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, *_: object) -> bool:
        return kind is not None and issubclass(kind, ProcessLookupError)


@pytest.fixture(scope="module")
def page(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        pg.set_default_timeout(TIMEOUT_MS)
        pg.errors = []
        pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
        pg.goto(lab.page_url(f"lab/tree/{lab.folder}/conv_shapes.ipynb"))
        pg.wait_for_selector(".jp-NotebookPanel .convdojo-validate-button")
        yield pg
        browser.close()


def _cli_report(path: Path) -> str:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([str(ROOT / ".venv/bin/convdojo"), "validate", str(path)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.rstrip("\n")


def test_validate_shows_convdojos_report_with_the_right_marks(lab, page) -> None:
    page.locator(".jp-NotebookPanel .convdojo-validate-button").first.click()
    report = page.locator(".convdojo-report[data-status='graded']")
    report.wait_for()
    rows = report.locator(".cd-row").all_inner_texts()
    marks = {re.match(r"\s*\S+ \d+\. (\w+)", r).group(1): r.split()[0] for r in rows}
    assert marks["worked_7x7"] == "✓" and marks["channels"] == "✗" and marks["padding"] == "○"
    assert report.locator(".cd-row[data-mark='failed']").count() == 1
    lines = report.locator("pre").evaluate("(pre) => [...pre.children].map((s) => s.textContent.trimEnd())")
    text = "\n".join(lines)
    # The same words and marks as `convdojo validate` in a terminal, feedback included.
    cli = _cli_report(ROOT / lab.folder / "conv_shapes.ipynb")
    assert lines == [line.rstrip() for line in cli.splitlines()]
    assert "expected (4, 16, 16, 16), got (4, 16, 14, 14)" in text
    assert f"convdojo validate {lab.folder}/conv_shapes.ipynb" in report.locator("footer").inner_text()
    assert report.get_attribute("data-exit") == "0"


def test_validate_checks_what_is_in_the_editor_after_saving(lab, page) -> None:
    """An answer typed but not saved is saved by Validate and counted."""
    cell = page.locator(".jp-NotebookPanel .jp-CodeCell").filter(has_text="conv = nn.Conv2d(3, 16, kernel_size=3)").first
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nconv = nn.Conv2d(3, 16, kernel_size=3, padding=1)")
    page.locator(".jp-NotebookPanel .convdojo-validate-button").first.click()
    page.wait_for_function("""() => {
        const r = document.querySelector(".convdojo-report[data-status='graded']");
        return r && /✓ 2\\. channels/.test(r.textContent);
    }""")
    saved = json.loads((ROOT / lab.folder / "conv_shapes.ipynb").read_text())
    assert any("padding=1" in "".join(c["source"]) for c in saved["cells"])


def test_no_instructor_tools_and_no_error_toasts(lab, page) -> None:
    menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert "Nbgrader" not in menus and {"File", "Edit", "Kernel"} <= set(menus)
    commands = page.evaluate("window.jupyterapp.commands.listCommands()")
    assert "convdojo:validate" in commands
    assert not [c for c in commands if "nbgrader" in c or "formgrader" in c or "assignment" in c]
    assert page.locator("text=Formgrader").count() == 0
    assert page.locator("text=Create Assignment").count() == 0
    page.wait_for_timeout(3000)  # toasts come a moment after start-up
    assert page.locator(".Toastify__toast").count() == 0, page.locator(".Toastify__toast").all_inner_texts()
    with pytest.raises(urllib.error.HTTPError) as err:  # nbgrader's server side is off too
        urllib.request.urlopen(lab.page_url("formgrader"), timeout=10)
    assert err.value.code == 404
    assert "exchange directory does not exist" not in lab.log.read_text()
    assert not page.errors, page.errors


def test_the_gallery_opens(lab, page) -> None:
    page.goto(lab.page_url("lab/tree/widgets/gallery.ipynb"))
    page.wait_for_function("""() => {
        const w = window.jupyterapp.shell.currentWidget;
        return w && w.context && w.context.path === 'widgets/gallery.ipynb' && w.content.widgets.length > 0;
    }""")
    assert page.locator("text=File Load Error").count() == 0
    cells = page.evaluate("window.jupyterapp.shell.currentWidget.content.widgets.length")
    assert cells == len(json.loads((ROOT / "widgets/gallery.ipynb").read_text())["cells"])


def test_a_lab_terminal_runs_convdojo_validate(lab, page) -> None:
    """Typed into a JupyterLab terminal opened in the notebook's folder."""
    out = ROOT / lab.folder / "terminal.out"
    page.goto(lab.page_url(f"lab/tree/{lab.folder}/conv_shapes.ipynb"))
    page.wait_for_selector(".jp-NotebookPanel .convdojo-validate-button")
    # File ▸ New ▸ Terminal from the launcher of this folder: the terminal starts here.
    page.locator(".jp-DirListing-content").first.wait_for()
    page.locator(".jp-FileBrowser [data-command='launcher:create']").first.click()
    page.locator(".jp-LauncherCard:has-text('Terminal')").first.click()
    term = page.locator(".jp-Terminal .xterm").last
    term.wait_for()
    page.wait_for_timeout(1500)  # the shell's prompt
    term.click()
    page.keyboard.type(f"convdojo validate conv_shapes.ipynb > {out.name} 2>&1; "
                       f"echo \"exit=$? where=$(command -v convdojo) in=$PWD\" >> {out.name}\n")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "exit=" not in (out.read_text() if out.exists() else ""):
        time.sleep(0.5)
    text = out.read_text()
    assert "exit=0" in text, text
    assert f"where={ROOT}/.venv/bin/convdojo" in text and f"in={ROOT / lab.folder}" in text
    assert "score:" in text and "✓ 1. worked_7x7" in text
