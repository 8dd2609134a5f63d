"""Benchmark SlidingKernel: Python cost and bytes per step, fps while playing in Chromium.

    .venv/bin/python bench/bench_widget.py            # also rewrites docs/img/widget.{png,gif}
    .venv/bin/python bench/bench_widget.py --no-docs  # measurements only

Targets: at most 1 KiB sent from kernel to browser per step; while playing a 32×32 input, at
least 55 fps in JupyterLab and at least 0.9× the fps of the same widget's exported HTML.
Browser figures need /usr/bin/chromium; without it they are skipped with the reason.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter

import nbformat
from comm.base_comm import BaseComm

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the shared JupyterLab driver lives with the tests

from _jupyter_server import chromium_missing_reason, jupyter_lab, launch_chromium, open_notebook, \
    run_all_cells  # noqa: E402

from convdojo.widgets import SlidingKernel  # noqa: E402

README_EXAMPLE = "SlidingKernel(input_size=(8, 8), kernel_size=3, stride=2)"


class CountingComm(BaseComm):
    """Serialises what the widget sends, as the kernel's session would, and keeps the sizes."""

    def __init__(self, **kwargs) -> None:
        self.sizes: list[int] = []
        super().__init__(**kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys) -> None:
        content = dict(data=data, comm_id=self.comm_id, **keys)
        self.sizes.append(len(json.dumps(content).encode()) + sum(len(b) for b in buffers or []))


def python_side(n: int = 2000) -> dict:
    """Median cost of a step change in Python, and the comm bytes it sends (no kernel needed)."""
    w = SlidingKernel((32, 32), 3)
    w.comm = CountingComm(target_name="jupyter.widget", data={}, comm_id="bench")
    w.comm.sizes.clear()
    times = []
    for i in range(n):
        t = time.perf_counter()
        w.step = (i % (w.n_steps - 1)) + 1 if i % 2 else 0
        times.append(time.perf_counter() - t)
    per_step = statistics.median(w.comm.sizes)
    w.comm.sizes.clear()
    incoming = []
    for i in range(n):  # what the kernel does when the browser moves the step
        t = time.perf_counter()
        w.set_state({"step": i % w.n_steps})
        incoming.append(time.perf_counter() - t)
    echo = statistics.median(w.comm.sizes)
    w.comm.sizes.clear()
    w.kernel_size = 5  # a parameter change: the geometry goes once
    return {"python_step_us": statistics.median(times) * 1e6, "comm_bytes_per_step": per_step,
            "incoming_step_us": statistics.median(incoming) * 1e6, "echo_bytes_per_step": echo,
            "frame_bytes_on_param_change": max(w.comm.sizes)}


_SAMPLE_JS = """async ([root, ms]) => {
    // Count animation frames that show a new step: the frames per second a viewer sees.
    let last = root.dataset.step, shown = 0, frames = 0;
    const t0 = performance.now();
    await new Promise((done) => {
        const tick = () => {
            frames += 1;
            if (root.dataset.step !== last) { shown += 1; last = root.dataset.step; }
            if (performance.now() - t0 < ms) requestAnimationFrame(tick); else done();
        };
        requestAnimationFrame(tick);
    });
    const secs = (performance.now() - t0) / 1000;
    return { fps: shown / secs, raf: frames / secs, secs };
}"""

# Counts what the kernel websocket delivers to the page, by message type, without shipping
# every frame to Python (which would itself slow the page down).
_COUNT_WS_JS = """(() => {
    const Native = window.WebSocket, decoder = new TextDecoder();
    const stats = window.__skWs = { on: false, bytes: 0, kinds: {} };
    window.WebSocket = class extends Native {
        constructor(url, protocols) {
            super(url, protocols);
            if (!String(url).includes('/channels')) return;
            this.addEventListener('message', (e) => {
                if (!stats.on) return;
                const text = typeof e.data === 'string' ? e.data : decoder.decode(e.data);
                const size = typeof e.data === 'string' ? new Blob([e.data]).size : e.data.byteLength;
                const type = (text.match(/"msg_type":\\s*"(\\w+)"/) || [, '?'])[1];
                const method = (text.match(/"method":\\s*"(\\w+)"/) || [, ''])[1];
                const key = method ? `${type}/${method}` : type;
                stats.bytes += size;
                stats.kinds[key] = (stats.kinds[key] || 0) + size;
            });
        }
    };
})();"""

_DRAW_JS = """(root) => {
    // Cost of one step in the browser: the key handler moves the step and redraws.
    const t0 = performance.now();
    for (let i = 0; i < 300; i++) root.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    return (performance.now() - t0) / 300;
}"""


def browser_side(docs: bool) -> dict:
    """fps and kernel→browser websocket bytes per step while playing a 32×32 input in JupyterLab."""
    cells = [nbformat.v4.new_code_cell(c) for c in (
        "from convdojo.widgets import SlidingKernel\n"
        "big = SlidingKernel((32, 32), 3, interval=16)\nbig.repeat = True\nbig",
        f"example = {README_EXAMPLE}\nexample")]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    root_dir = pathlib.Path(tempfile.mkdtemp(prefix="bench-widget-"))
    nbformat.write(nb, root_dir / "bench.ipynb")
    from playwright.sync_api import sync_playwright

    with jupyter_lab(root_dir) as lab, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.set_default_timeout(90_000)
        page.add_init_script(_COUNT_WS_JS)
        open_notebook(page, lab, "bench.ipynb")
        run_all_cells(page)
        page.wait_for_function("document.querySelectorAll('.sk-root[data-n-steps]').length === 2")
        root = page.locator(".sk-root").nth(0)
        output = page.locator(".jp-OutputArea-output:has(.sk-root)").nth(0)
        page.wait_for_timeout(2000)  # let start-up traffic drain before counting bytes
        step0 = int(root.get_attribute("data-step"))
        page.evaluate("window.__skWs.on = true")
        output.get_by_role("button", name="play").click()
        sample = page.evaluate(_SAMPLE_JS, [root.element_handle(), 8000])
        output.get_by_role("button", name="pause").click()
        steps = (int(root.get_attribute("data-step")) - step0) % 900
        page.wait_for_timeout(1000)  # the replies to the last steps
        ws = page.evaluate("window.__skWs.on = false, window.__skWs")
        draw_ms = root.evaluate(_DRAW_JS)  # last: its 300 steps leave a message backlog
        if docs:
            example = page.locator(".jp-OutputArea-output:has(.sk-root)").nth(1)
            ex_root = page.locator(".sk-root").nth(1)
            ex_root.focus()
            for _ in range(4):
                page.keyboard.press("ArrowRight")
            page.evaluate("document.activeElement.blur()")  # no focus ring in the picture
            page.wait_for_timeout(300)
            out = REPO / "docs" / "img"
            out.mkdir(parents=True, exist_ok=True)
            example.screenshot(path=str(out / "widget.png"))
        html = exported_fps(browser, root_dir)
        browser.close()
    shutil.rmtree(root_dir, ignore_errors=True)
    return {"html_fps": html["fps"], "html_raf_hz": html["raf"], "fps": sample["fps"], "raf_hz": sample["raf"], "draw_ms": draw_ms, "steps": steps,
            "ws_bytes_per_step": ws["bytes"] / max(steps, 1), "ws_breakdown": Counter(ws["kinds"])}


def exported_fps(browser, folder: pathlib.Path) -> dict:
    """The same widget's exported HTML (w.to_html), playing in the same browser, same interval."""
    path = folder / "exported.html"
    w = SlidingKernel((32, 32), 3)
    w.repeat = True  # as in JupyterLab: the same widget, the same loop, only the page differs
    w.to_html(path, interval=16)
    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    page.goto(path.as_uri())
    root = page.locator(".sk-root")
    page.wait_for_function("r => r.dataset.step === '0'", arg=root.element_handle())
    page.get_by_role("button", name="play").click()
    sample = page.evaluate(_SAMPLE_JS, [root.element_handle(), 8000])
    page.close()
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/img/widget.{png,gif}")
    args = parser.parse_args()

    py = python_side()
    print(f"SlidingKernel benchmark (32×32 input, 3×3 kernel); load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"  Python: step change (w.step = i), median        {py['python_step_us']:8.1f} µs")
    print(f"  Python: step update from the browser, median    {py['incoming_step_us']:8.1f} µs")
    print(f"  comm payload kernel→browser per step            {py['comm_bytes_per_step']:8.0f} B  (target ≤ 1024)")
    print(f"  comm echo kernel→browser per browser step       {py['echo_bytes_per_step']:8.0f} B")
    print(f"  geometry sent once per parameter change         {py['frame_bytes_on_param_change'] / 1024:8.1f} KiB")
    if not args.no_docs:
        gif = REPO / "docs" / "img" / "widget.gif"
        gif.parent.mkdir(parents=True, exist_ok=True)
        eval(README_EXAMPLE, {"SlidingKernel": SlidingKernel}).to_gif(gif, duration_ms=700)
        print(f"  wrote {gif.relative_to(REPO)}")
    reason = chromium_missing_reason()
    if reason:
        print(f"  browser figures skipped: {reason}")
        return
    br = browser_side(docs=not args.no_docs)
    ratio = br["fps"] / max(br["html_fps"], 1e-9)
    print(f"  JupyterLab: fps while playing (interval 16 ms)  {br['fps']:8.1f}  (target ≥ 55; "
          f"display {br['raf_hz']:.0f} Hz, {br['steps']} steps)")
    print(f"  exported HTML (w.to_html): fps while playing    {br['html_fps']:8.1f}  "
          f"(display {br['html_raf_hz']:.0f} Hz)")
    print(f"  ratio JupyterLab / exported HTML                {ratio:8.2f}  (target ≥ 0.9)")
    print(f"  JupyterLab frames that show a new step          {br['fps'] / max(br['raf_hz'], 1e-9):8.0%}"
          "  (the loop steps on every frame the page gets)")
    print(f"  Chromium: draw cost per step                   {br['draw_ms']:8.2f} ms  "
          f"(≈ {1000 / max(br['draw_ms'], 1e-3):.0f} steps/s possible)")
    print(f"  websocket kernel→browser per step, all traffic {br['ws_bytes_per_step']:8.0f} B  "
          "(while playing: only the start and the stop)")
    for kind, size in br["ws_breakdown"].most_common():
        print(f"      {kind:28s} {size / max(br['steps'], 1):8.0f} B/step")
    if not args.no_docs:
        print("  wrote docs/img/widget.png")


if __name__ == "__main__":
    main()
