"""SlidingKernel's Python side (traits, controls, messages, export), no browser needed."""

from __future__ import annotations

import json
import pathlib
import re

import ipywidgets
import nbformat
import pytest
import torch
from comm.base_comm import BaseComm
from hypothesis import given, settings
from PIL import Image
from torch import nn

from convdojo import shapes
from convdojo.widgets import SlidingKernel
from convdojo.widgets import geometry as geo
from test_widget_geometry import shapes_error, specs, torch_coverage, torch_layer, torch_output_size

GALLERY = pathlib.Path(__file__).parents[1] / "widgets" / "gallery.ipynb"


def gallery_widgets() -> dict[str, SlidingKernel]:
    """Run the gallery's code cells (without a kernel) and return its widgets by variable name."""
    ns: dict = {}
    for cell in nbformat.read(GALLERY, as_version=4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, str(GALLERY), "exec"), ns)
    return {k: v for k, v in ns.items() if isinstance(v, SlidingKernel)}


GALLERY_WIDGETS = gallery_widgets()


def widget_for(spec: geo.Spec, **kwargs) -> SlidingKernel:
    fields = {k: v for k, v in spec.__dict__.items() if k not in ("dims", "time")}  # 2-D specs
    return SlidingKernel(**fields, **kwargs)


def check_against_torch(w: SlidingKernel) -> None:
    """output_size, n_steps, covered cells and every output value agree with torch."""
    spec = w.geometry.spec
    expected, _ = torch_output_size(spec)
    assert w.output_size == expected
    assert w.n_steps == expected[0] * expected[1]
    covered = torch_coverage(spec)
    for step in range(w.n_steps):
        w.step = step
        oy, ox = divmod(step, expected[1])
        want = {tuple(ij) for ij in covered[:, :, oy, ox].nonzero().tolist()}
        got = {(y // w.geometry.rows.upsample, x // w.geometry.cols.upsample)
               for y, x in w.window if w.geometry.kind(y, x) == geo.INPUT}
        assert got == want, f"step {step}"
    x = torch.tensor(w.input_values, dtype=torch.float64)[None]
    out = torch_layer(spec, w.weight, w.bias)(x)[0, w.out_channel]
    assert torch.allclose(torch.tensor(w.outputs, dtype=torch.float64), out.flatten(), atol=1e-6)


@pytest.mark.parametrize("name", sorted(GALLERY_WIDGETS))
def test_gallery_cases_match_torch(name: str) -> None:
    w = GALLERY_WIDGETS[name]
    if w.error:
        assert torch_output_size(w._spec())[0] is None, f"{name}: widget refuses what torch accepts"
        assert w.error == shapes_error(w._spec())
        return
    if w.geometry.spec.dims != 2:  # 1-D and 3-D: test_widget_nd's comparison with torch
        from test_widget_nd import torch_out
        want = torch_out(w)
        assert w.output_size == tuple(want.shape)
        first = want if w.geometry.spec.dims == 1 else want[w.depth_step]
        assert torch.allclose(torch.tensor(w.outputs, dtype=torch.float64), first.flatten())
        return
    check_against_torch(w)


def test_gallery_covers_the_cases_the_issue_asks_for() -> None:
    specs_ = [w.geometry.spec for w in GALLERY_WIDGETS.values() if w.geometry]
    assert any(s.padding == (0, 0) and s.mode == "conv" for s in specs_)  # valid
    assert any(s.padding == "same" and s.kernel_size[0] % 2 == 0 for s in specs_)
    assert any(s.mode == "conv" and s.padding[0] == s.kernel_size[0] - 1 > 0 for s in specs_ if s.padding != "same")  # full
    assert any(s.stride[0] == 2 and s.input_size[0] % 2 == 1 for s in specs_)
    assert any(s.dilation[0] > 1 for s in specs_)
    assert any(s.in_channels == 3 and s.mode == "conv" for s in specs_)
    assert any(s.mode == "maxpool" and s.ceil_mode for s in specs_)
    assert any(s.mode == "transposed" for s in specs_)


def test_gallery_notebook_is_committed_without_outputs() -> None:
    for cell in nbformat.read(GALLERY, as_version=4).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@settings(max_examples=60, deadline=None)
@given(specs())
def test_widget_state_matches_torch_or_shows_the_shapes_message(spec: geo.Spec) -> None:
    w = widget_for(spec)
    if torch_output_size(spec)[0] is None:
        assert w.output_size is None and w.n_steps == 0
        assert w.error == shapes_error(spec) != ""
        return
    assert w.error == ""
    check_against_torch(w)


@pytest.mark.parametrize("layer, shape", [
    (nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=True), (1, 3, 7, 6)),
    (nn.Conv2d(4, 4, (3, 2), padding="same", groups=2, padding_mode="reflect"), (4, 5, 5)),
    (nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), (2, 3, 4)),
    (nn.ConvTranspose2d(2, 2, 2, stride=3, dilation=2, groups=2), (1, 2, 3, 3)),
    (nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True), (2, 6, 7)),
    (nn.MaxPool2d(2, dilation=2), (1, 7, 7)),
    (nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (1, 6, 6)),
    (nn.AvgPool2d(2, divisor_override=3), (1, 5, 4)),
])
def test_from_layer_uses_the_layers_real_numbers(layer: nn.Module, shape: tuple) -> None:
    torch.manual_seed(0)
    x = torch.randn(*shape[-3:])
    w = SlidingKernel.from_layer(layer, shape, input=x)
    assert w.error == ""
    with torch.no_grad():
        out = layer(x[None].float())[0]
    assert w.output_size == tuple(out.shape[-2:])
    for oc in range(out.shape[0]):
        w.out_channel = oc
        assert torch.allclose(torch.tensor(w.outputs, dtype=torch.float64), out[oc].flatten().double(), atol=1e-5)
        w.step = w.n_steps - 1
        assert abs(w.arithmetic.total - out[oc].flatten()[-1].item()) < 1e-5


def test_from_layer_with_the_wrong_channel_count_explains_instead_of_raising() -> None:
    w = SlidingKernel.from_layer(nn.Conv2d(3, 8, 3), (1, 1, 8, 8))
    assert "expects inputs with 3 channels" in w.error and w.output_size is None
    with pytest.raises(TypeError):
        SlidingKernel.from_layer(nn.Linear(3, 3), (3, 8, 8))


def test_setting_step_moves_the_window_and_is_clamped() -> None:
    w = SlidingKernel((6, 6), 3, stride=1)
    assert w.trait_metadata("step", "sync") is True
    first = w.window
    w.step = 1
    assert w.window == [(y, x + 1) for y, x in first]
    w.step = 4  # output (1, 0): one row down
    assert w.window == [(y + 1, x) for y, x in first]
    w.step = 10**6
    assert w.step == w.n_steps - 1
    w.step = -3
    assert w.step == 0


def test_parameter_changes_rebuild_and_resize_the_controls() -> None:
    w = SlidingKernel((8, 8), 3)
    w.step = 30
    w.kernel_size = 5
    assert w.output_size == (shapes.conv_out(8, 5),) * 2
    assert w.step == w.n_steps - 1
    assert w.frame["out"] == list(w.output_size)
    w.stride, w.padding = 2, "same"
    assert w.error == shapes_error(w._spec()) and "stride" in w.error and w.n_steps == 0
    w.stride = 1
    assert w.error == "" and w.output_size == (8, 8)


def test_controls_parse_text_and_report_typos() -> None:
    w = SlidingKernel((5, 5), 3)
    w.controls["kernel_size"].value = "2, 3"
    assert w.kernel_size == (2, 3) and w.output_size == (4, 3)
    w.controls["padding"].value = "same"
    assert w.padding == "same" and w.output_size == (5, 5)
    w.controls["stride"].value = "two"
    assert w.error.startswith("could not read stride 'two'") and w.output_size is None
    w.controls["stride"].value = "1"
    assert w.error == "" and w.output_size == (5, 5)
    w.controls["mode"].value = "maxpool"
    assert w.error and "padding='same'" in w.error  # pooling has no 'same'
    w.dilation = 2
    assert w.controls["dilation"].value == "2"


def test_play_runs_in_the_browser_with_no_extra_models() -> None:
    w = SlidingKernel((5, 5), 3, interval=16)
    # Play, stop, repeat and the slider are drawn by sliding_kernel.js: no Play or IntSlider
    # model (each would cost kernel messages per frame); the browser's loop needs only these.
    state = w.get_state()
    assert {"step", "playing", "interval", "repeat"} <= set(state)
    assert state["interval"] == 16 and state["repeat"] is False and state["playing"] is False
    assert not any(isinstance(c, ipywidgets.Play) for c in w.ui.children)
    assert w in w.ui.children and w._repr_mimebundle_()  # displaying shows controls + drawing


class _Recorder(BaseComm):
    """A comm that keeps what the widget would send to the browser."""

    def __init__(self, **kwargs) -> None:
        self.sent: list[dict] = []
        super().__init__(**kwargs)

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys) -> None:
        self.sent.append({"type": msg_type, "data": data, "buffers": buffers or []})


def test_a_step_change_sends_only_the_step() -> None:
    w = SlidingKernel((32, 32), 3)
    w.comm = _Recorder(target_name="jupyter.widget", data={}, comm_id="test")
    w.comm.sent.clear()
    w.step = 5
    assert len(w.comm.sent) == 1
    data = w.comm.sent[0]["data"]
    assert data["method"] == "update" and data["state"] == {"step": 5} and not w.comm.sent[0]["buffers"]
    assert len(json.dumps(data)) < 1024
    w.comm.sent.clear()
    w.kernel_size = 5  # a parameter change resends the frame once
    assert len(w.comm.sent) == 1 and "frame" in w.comm.sent[0]["data"]["state"]


def test_to_gif_writes_one_frame_per_step(tmp_path: pathlib.Path) -> None:
    w = SlidingKernel((5, 5), 3, stride=2, padding=1)
    path = w.to_gif(tmp_path / "w.gif", duration_ms=100)
    with Image.open(path) as img:
        assert img.format == "GIF" and img.n_frames == w.n_steps
        img.seek(w.n_steps - 1)
        assert img.size[0] > 100
    assert w.to_gif(tmp_path / "two.gif", steps=[0, 1]).stat().st_size > 0
    with pytest.raises(ValueError, match="nothing to export"):
        SlidingKernel((2, 2), 5).to_gif(tmp_path / "bad.gif")


def test_to_html_is_self_contained(tmp_path: pathlib.Path) -> None:
    w = SlidingKernel((4, 4), 3, padding=1, mode="conv")
    html = w.to_html(tmp_path / "w.html", title="a <b> title")
    assert (tmp_path / "w.html").read_text(encoding="utf-8") == html
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), "must not load anything from the network"
    state = json.loads(re.search(r'<script type="application/json" id="state">(.*?)</script>', html, re.S).group(1))
    assert state["frame"] == w.frame and "a &lt;b&gt; title" in html
    assert "export default" in html  # the same drawing code as the notebook


@pytest.mark.parametrize("kwargs", [dict(kernel_size="3"), dict(in_channels="2"), dict(mode=None),
                                    dict(out_channel=3), dict(stride=0), dict(padding=-1)])
def test_bad_values_show_a_reason_instead_of_raising(kwargs) -> None:
    w = SlidingKernel((5, 5), **{"kernel_size": 3, **kwargs})
    assert w.error and w.output_size is None and w.n_steps == 0 and w.arithmetic is None
    if "stride" in kwargs or "padding" in kwargs:  # the shapes module's own words
        with pytest.raises(ValueError) as direct:
            shapes.conv_out(5, 3, kwargs.get("stride", 1), kwargs.get("padding", 0))
        assert w.error == str(direct.value)


def test_inputs_too_large_to_draw_still_report_the_output_size() -> None:
    w = SlidingKernel((224, 224), 7, stride=2, padding=3, in_channels=3, out_channels=64)
    assert w.output_size == torch_output_size(w.geometry.spec)[0] and w.error == ""
    assert "too_large" in w.frame and "rows" not in w.frame and len(json.dumps(w.frame)) < 2048


def test_non_finite_outputs_travel_as_json() -> None:
    # Every column window of this max pool lies in the padding: torch answers -inf.
    w = SlidingKernel((1, 1), 2, stride=1, padding=1, dilation=(1, 2), mode="maxpool")
    out = torch_layer(w.geometry.spec)(torch.ones(1, 1, 1, 1, dtype=torch.float64)).flatten().tolist()
    assert w.outputs == out and float("-inf") in out
    json.dumps(w.frame, allow_nan=False)  # what Jupyter's session insists on


def test_tensors_are_accepted_for_input_and_weights() -> None:
    x, wt = torch.arange(25.0).reshape(1, 5, 5), torch.ones(1, 1, 3, 3)
    w = SlidingKernel((5, 5), 3, input=x, weight=wt)
    assert w.input_values == x.tolist() and w.weight == wt.tolist()
    assert w.outputs == torch.nn.functional.conv2d(x[None], wt)[0, 0].flatten().tolist()
