"""The gallery in real JupyterLab + Debian's Chromium: rendering, playing, keys, formula, export.

Starts its own JupyterLab on a temporary copy of widgets/gallery.ipynb and stops it afterwards.
Skipped (with the reason) where /usr/bin/chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil

import pytest

from _jupyter_server import chromium_missing_reason, jupyter_lab, launch_chromium, \
    open_notebook, run_all_cells
from convdojo import shapes
from convdojo.widgets import SlidingKernel
from convdojo.widgets import geometry as geo
from test_widget_traits import GALLERY, gallery_widgets

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser():
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def gallery_page(browser, tmp_path_factory):
    """The gallery, opened in JupyterLab with every cell run; yields (page, page errors)."""
    root = tmp_path_factory.mktemp("gallery")
    shutil.copy(GALLERY, root / "gallery.ipynb")
    with jupyter_lab(root) as lab:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        open_notebook(page, lab, "gallery.ipynb")
        errors_in_cells = run_all_cells(page)
        assert not errors_in_cells, errors_in_cells
        n = len(gallery_widgets())
        page.wait_for_function(f"document.querySelectorAll('.sk-root').length === {n}")
        page.wait_for_function(
            "[...document.querySelectorAll('.sk-root')].every(r => r.dataset.nSteps !== undefined)")
        yield page, errors
        page.close()


def roots(page):
    return page.locator(".sk-root")


def dom_state(root) -> dict:
    """What the drawing shows right now (first channel panel)."""
    return root.evaluate("""r => ({
        step: Number(r.dataset.step),
        taps: [...r.querySelector('.sk-overlay .sk-win').querySelectorAll('.sk-tap')].map(t => [Number(t.dataset.y), Number(t.dataset.x)]),
        // output cells painted as done: area of the green rects, in cells
        done: [...r.querySelectorAll('.sk-overlay .sk-done')].reduce((n, d) =>
            n + Number(d.getAttribute('width') || 0) * Number(d.getAttribute('height') || 0), 0) / Number(r.dataset.cell) ** 2,
        caption: r.querySelector('.sk-caption').textContent,
        total: Number(r.querySelector('.sk-arith').dataset.total),
        expected: Number(r.querySelector('.sk-arith').dataset.expected),
        uncovered: [...r.querySelector('.sk-static .sk-panel').querySelectorAll('.sk-uncovered')].map(u => [u.dataset.axis, Number(u.dataset.index)]),
    })""")


def press(root, key: str, expect_step: int) -> dict:
    root.focus()
    root.page.keyboard.press(key)
    root.page.wait_for_function("([r, s]) => r.dataset.step === String(s)",
                                arg=[root.element_handle(), expect_step])
    return dom_state(root)


def kernel_print(page, code: str) -> str:
    """Run ``code`` in the notebook's kernel and return what it printed."""
    return page.evaluate("""async (code) => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        const future = kernel.requestExecute({ code });
        let out = '';
        future.onIOPub = (msg) => { if (msg.header.msg_type === 'stream') out += msg.content.text; };
        await future.done;
        return out;
    }""", code)


def test_every_gallery_widget_draws_what_python_computes(gallery_page) -> None:
    page, errors = gallery_page
    widgets = list(gallery_widgets().values())  # same cells, same order, same seeds
    for i, w in enumerate(widgets):
        root = roots(page).nth(i)
        if w.error:
            assert root.locator(".sk-error").inner_text().strip() == w.error
            continue
        assert root.locator("svg.sk-static").count() == 1 and root.locator("svg.sk-overlay").count() == 1
        assert geo.Spec.from_json(json.loads(root.get_attribute("data-spec"))) == w.geometry.spec
        assert int(root.get_attribute("data-n-steps")) == w.n_steps
        # The formula shows the shapes module's text, numbers filled in.
        assert root.locator(".sk-formula").inner_text().strip() == "\n".join(w.geometry.formulas())
        n = w.n_steps
        for key, step in (("Home", 0), ("ArrowRight", 1), ("End", n - 1), ("ArrowLeft", n - 2)):
            if not 0 <= step < n:
                continue
            state = press(root, key, step)
            assert state["taps"] == [list(t) for t in w.geometry.window(step)]
            assert state["caption"] == geo.describe(w.geometry, step, w.out_channel)
            assert state["done"] == step + 1
            assert state["total"] == pytest.approx(state["expected"], abs=1e-6)
            assert state["expected"] == pytest.approx(w.outputs[step], abs=1e-6)
        rows, cols = w.geometry.uncovered()
        assert sorted(dom_state(root)["uncovered"]) == sorted([["row", y] for y in rows] + [["col", x] for x in cols])
    assert not errors


def test_formula_shows_the_same_padding_split(gallery_page) -> None:
    page, _ = gallery_page
    text = roots(page).nth(1).locator(".sk-formula").inner_text()  # case 2: 'same', kernel 4
    assert f"H_out = {shapes.conv_formula(5, 4, 1, 'same')}" in text
    assert "(1+2)" in text and "1 before and 2 after" in text


def test_play_advances_the_step_and_the_drawing(gallery_page, tmp_path_factory) -> None:
    page, errors = gallery_page
    root = roots(page).nth(0)
    start = press(root, "Home", 0)
    output = page.locator(".jp-OutputArea-output:has(.sk-root)").nth(0)
    toggle = output.get_by_role("button", name="play")
    toggle.click()
    page.wait_for_function("r => Number(r.dataset.step) >= 2", arg=root.element_handle())
    output.get_by_role("button", name="pause").click()
    moved = dom_state(root)
    assert moved["taps"] != start["taps"] and moved["done"] == moved["step"] + 1 > start["done"]
    # The kernel hears about the step too (Python's trait follows the browser).
    page.wait_for_timeout(300)
    step = dom_state(root)["step"]
    assert kernel_print(page, "print(valid.step)").strip() == str(step)
    shot = tmp_path_factory.mktemp("shots") / "widget.png"
    output.screenshot(path=str(shot))
    assert shot.stat().st_size > 1000
    assert not errors


def test_python_and_the_play_button_share_the_step(gallery_page) -> None:
    page, errors = gallery_page
    root = roots(page).nth(0)
    kernel_print(page, "valid.step = 5")  # from Python: the drawing follows
    page.wait_for_function("r => r.dataset.step === '5'", arg=root.element_handle())
    output = page.locator(".jp-OutputArea-output:has(.sk-root)").nth(0)
    output.get_by_role("button", name="stop and go back to the first step").click()
    page.wait_for_function("r => r.dataset.step === '0'", arg=root.element_handle())
    page.wait_for_timeout(300)
    assert kernel_print(page, "print(valid.step, valid.playing)").split() == ["0", "False"]
    kernel_print(page, "valid.playing = True")  # Python can start it too; it stops itself at the end
    page.wait_for_function("r => Number(r.dataset.step) >= 1", arg=root.element_handle())
    kernel_print(page, "valid.playing = False")
    page.wait_for_timeout(500)
    shown = dom_state(root)["step"]
    assert kernel_print(page, "print(valid.step, valid.playing)").split() == [str(shown), "False"]
    assert not errors


def test_playing_sends_nothing_to_the_kernel_until_it_stops(gallery_page) -> None:
    """The loop is the browser's: no comm message per frame; the step arrives when play stops."""
    page, errors = gallery_page
    root = roots(page).nth(0)
    press(root, "Home", 0)
    output = page.locator(".jp-OutputArea-output:has(.sk-root)").nth(0)
    kernel_print(page, "valid.interval = 40; valid.repeat = True")
    page.wait_for_timeout(300)
    sent = page.evaluate("""() => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        const log = window.__skSent = [];
        if (!window.__skHooked) {
            const send = kernel.sendShellMessage.bind(kernel);
            kernel.sendShellMessage = (msg, ...rest) => { (window.__skSent || []).push(msg.header.msg_type); return send(msg, ...rest); };
            window.__skHooked = true;
        }
        return log.length;
    }""")
    assert sent == 0
    output.get_by_role("button", name="play").click()
    moves = root.evaluate("""(r) => new Promise((done) => {
        let last = r.dataset.step, moves = 0;
        const tick = () => {
            if (r.dataset.step !== last) { moves += 1; last = r.dataset.step; }
            if (moves < 12) requestAnimationFrame(tick); else done(moves);
        };
        requestAnimationFrame(tick);
    })""")  # past the last step and round again (repeat)
    assert moves == 12
    during = page.evaluate("window.__skSent.length")
    assert during == 1  # `playing: true`, once
    output.get_by_role("button", name="pause").click()
    page.wait_for_timeout(500)
    assert page.evaluate("window.__skSent").count("comm_msg") == 2  # and the step with `playing: false`
    shown = dom_state(root)["step"]
    assert kernel_print(page, "print(valid.step, valid.playing)").split() == [str(shown), "False"]
    kernel_print(page, "valid.interval = 500; valid.repeat = False")
    assert not errors


def test_every_control_has_an_accessible_name(gallery_page) -> None:
    page, _ = gallery_page
    output = page.locator(".jp-OutputArea-output:has(.sk-root)").nth(0)
    names = output.evaluate("""(out) => [...out.querySelectorAll('button, input, select, [tabindex]')].map((c) => {
        const label = c.getAttribute('aria-label') || (c.labels && [...c.labels].map(l => l.textContent).join(' '))
            || (c.getAttribute('aria-labelledby') && document.getElementById(c.getAttribute('aria-labelledby')).textContent)
            || c.getAttribute('title') || '';
        return [c.tagName, c.className, label.trim()];
    })""")
    assert len(names) >= 9  # 5 text boxes, in_channels, mode, play, stop, repeat, slider, drawing
    assert [n for n in names if not n[2]] == []
    labels = {n[2] for n in names}
    assert {"play", "stop and go back to the first step", "repeat", "step"} <= labels
    repeat = output.get_by_role("button", name="repeat")
    assert repeat.get_attribute("aria-pressed") == "false"


def test_dragging_the_step_slider_moves_the_window(gallery_page) -> None:
    page, errors = gallery_page
    root = roots(page).nth(0)
    press(root, "Home", 0)
    output = page.locator(".jp-OutputArea-output:has(.sk-root)").nth(0)
    slider = output.locator("input.sk-slider")
    n = int(root.get_attribute("data-n-steps"))
    assert slider.get_attribute("max") == str(n - 1)
    slider.fill("3")  # fires `input`, like a drag that stops on 3
    page.wait_for_function("r => r.dataset.step === '3'", arg=root.element_handle())
    assert dom_state(root)["taps"] == [list(t) for t in gallery_widgets()["valid"].geometry.window(3)]
    page.wait_for_timeout(300)
    assert kernel_print(page, "print(valid.step)").strip() == "3"
    press(root, "ArrowRight", 4)  # and the slider follows the keys
    assert slider.input_value() == "4"
    assert not errors


def test_reduced_motion_stops_autoplay(gallery_page) -> None:
    page, _ = gallery_page
    page.emulate_media(reduced_motion="reduce")
    try:
        root = roots(page).nth(2)
        press(root, "Home", 0)
        output = page.locator(".jp-OutputArea-output:has(.sk-root)").nth(2)
        output.get_by_role("button", name="play").click()
        page.wait_for_timeout(1500)
        assert dom_state(root)["step"] == 0
        assert root.locator(".sk-motion").is_visible()
        press(root, "ArrowRight", 1)  # stepping by hand still works
    finally:
        page.emulate_media(reduced_motion="no-preference")


def test_exported_html_plays_offline(browser, tmp_path: pathlib.Path) -> None:
    w = SlidingKernel((6, 6), 3, stride=2, padding=1, in_channels=2)
    path = tmp_path / "w.html"
    w.to_html(path, interval=100)
    context = browser.new_context(offline=True)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path.as_uri())
        root = page.locator(".sk-root")
        page.wait_for_function("r => r.dataset.step === '0'", arg=root.element_handle(), timeout=TIMEOUT_MS)
        assert dom_state(root)["taps"] == [list(t) for t in w.geometry.window(0)]
        page.get_by_role("button", name="play").click()  # the widget's own controls
        page.wait_for_function(f"r => r.dataset.step === '{w.n_steps - 1}'", arg=root.element_handle(),
                               timeout=TIMEOUT_MS)
        assert re.search(r"output \(\d, \d\)", dom_state(root)["caption"])
        assert not errors
    finally:
        context.close()


def test_the_frame_slider_of_a_3d_widget_draws_that_frame(gallery_page) -> None:
    """Moving the frame slider reaches Python (depth_step), which sends that frame's planes;
    the caption and the arithmetic then show the output frame torch computes there."""
    page, errors = gallery_page
    names = list(gallery_widgets())
    i = names.index("clip")
    root = roots(page).nth(i)
    depth = root.locator("xpath=..").locator(".sk-depth")  # the slider row above its drawing
    assert page.locator(".sk-depth-row:not([hidden])").count() == 1  # only the 3-D widget
    depth.evaluate("(e) => { e.value = 2; e.dispatchEvent(new Event('input')); }")
    page.wait_for_function("r => r.querySelector('.sk-caption').textContent.startsWith('output (2, ')",
                           arg=root.element_handle())
    assert kernel_print(page, "print(clip.depth_step)").strip() == "2"
    state = dom_state(root)
    want = kernel_print(page, "print(clip.caption, '|', clip.outputs[clip.step])").strip()
    caption, value = want.split(" | ")
    assert state["caption"] == caption and "frames 1–3" in caption
    assert state["total"] == pytest.approx(float(value), abs=1e-6)
    assert not errors
