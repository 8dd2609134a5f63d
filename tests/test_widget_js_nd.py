"""The browser's helpers (describe, arithmetic in sliding_kernel.js) agree with Python on
1-D and 3-D frames: run in Node when it is installed (no browser needed), skipped otherwise."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest

from convdojo.widgets import SlidingKernel

JS = pathlib.Path(__file__).parents[1] / "src" / "convdojo" / "widgets" / "sliding_kernel.js"
CASES = [
    dict(input_size=(5, 4, 5), kernel_size=3, stride=2, padding=1, mode="avgpool",
         count_include_pad=False, ceil_mode=True),
    dict(input_size=(4, 4, 4), kernel_size=3, padding=1, mode="avgpool"),
    dict(input_size=(5, 5, 5), kernel_size=2, stride=2, padding=1, mode="maxpool", ceil_mode=True),
    dict(input_size=(3, 5, 4), kernel_size=(2, 3, 3), padding=(1, 0, 1), dilation=(2, 1, 1),
         in_channels=2, out_channels=2),
    dict(input_size=(3, 3, 3), kernel_size=(2, 3, 3), stride=2, padding=1,
         output_padding=(1, 0, 1), mode="transposed"),
    dict(input_size=(16,), kernel_size=3, dilation=2, padding=2),
    dict(input_size=(9,), kernel_size=2, padding=1, mode="maxpool", ceil_mode=True),
]
COMPARE = """
import fs from "fs";
const m = await import(process.argv[2]);
const num = (x) => (Array.isArray(x) ? x.map(num) : typeof x === "string" ? Number(x) : x);
const out = JSON.parse(fs.readFileSync(0, "utf8")).map(({ frame }) => {
  const f = { ...frame, values: num(frame.values), kernels: num(frame.kernels), bias: num(frame.bias) };
  return Array.from({ length: f.n_steps }, (_, s) => [m.arithmetic(f, s).total, m.describe(f, s)]);
});
console.log(JSON.stringify(out));
"""


def frames() -> list[dict]:
    out = []
    for kwargs in CASES:
        w = SlidingKernel(**kwargs)
        for t in range(w.output_size[0] if len(w.output_size) == 3 else 1):
            w.depth_step = t
            captions = []
            for s in range(w.n_steps):
                w.step = s
                captions.append(w.caption)
            out.append({"frame": w.frame, "outputs": list(w.outputs), "captions": captions})
    return out


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_js_helpers_agree_with_python_in_1d_and_3d(tmp_path: pathlib.Path) -> None:
    module = tmp_path / "sliding_kernel.mjs"
    module.write_text(JS.read_text())
    script = tmp_path / "compare.mjs"
    script.write_text(COMPARE)
    data = frames()
    run = subprocess.run(["node", str(script), str(module)], input=json.dumps(data),
                         capture_output=True, text=True, timeout=60, check=True)
    for case, js in zip(data, json.loads(run.stdout)):
        assert [t for t, _ in js] == pytest.approx(case["outputs"], abs=1e-9)
        assert [c for _, c in js] == case["captions"]
