"""The trusted templates: standalone, rebuildable from their children, and checked like layers."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from convdojo import check
from convdojo.checks.reference import reference_tree
from convdojo.templates import TEMPLATES, DownBlock

TEMPLATES_FILE = Path(__file__).resolve().parent.parent / "src" / "convdojo" / "templates.py"


def _block() -> DownBlock:
    return DownBlock(
        main=nn.Sequential(nn.Conv2d(64, 128, 3, stride=2, padding=1), nn.ReLU(),
                           nn.Conv2d(128, 128, 3, padding=1)),
        shortcut=nn.Conv2d(64, 128, 1, stride=2),
    )


def test_templates_load_with_torch_alone() -> None:
    """A grader's sandbox can load the file without convdojo's specs or checks."""
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('templates', {str(TEMPLATES_FILE)!r})\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "assert not [m for m in sys.modules if m.startswith('convdojo')], sys.modules.keys()\n"
        "import torch\n"
        "b = mod.DownBlock(torch.nn.Identity(), torch.nn.Identity())\n"
        "print(tuple(b(torch.ones(1, 1, 2, 2)).shape))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(1, 1, 2, 2)"
    source = TEMPLATES_FILE.read_text()
    assert "import convdojo" not in source and "from convdojo" not in source
    assert "from ." not in source


def test_downblock_adds_the_branches_then_relu() -> None:
    torch.manual_seed(0)
    block = _block()
    x = torch.randn(2, 64, 9, 14)
    want = F.relu(block.main(x) + block.shortcut(x))
    assert torch.equal(block(x), want)
    assert block(x).shape == (2, 128, 5, 7)


@pytest.mark.parametrize("template", TEMPLATES)
def test_templates_rebuild_from_their_children(template) -> None:
    params = list(inspect.signature(template.__init__).parameters)[1:]
    block = _block()
    children = dict(block.named_children())
    assert list(children) == params
    rebuilt = template(**children)
    rebuilt.load_state_dict(block.state_dict())
    x = torch.randn(1, 64, 8, 8)
    assert torch.equal(rebuilt(x), block(x))


def test_downblock_refuses_non_modules() -> None:
    with pytest.raises(TypeError, match="two layers"):
        DownBlock(lambda x: x, nn.Identity())  # type: ignore[arg-type]


def test_reference_recomputes_the_fixed_forward() -> None:
    block = _block().eval()
    x = torch.randn(1, 64, 7, 7)
    with torch.no_grad():
        ref = reference_tree(block, (DownBlock, nn.Sequential), x)
        assert torch.allclose(ref, block(x), atol=1e-6)


def test_check_accepts_the_template_and_rejects_tampering() -> None:
    assert check("residual_down", _block(), hidden=True).passed

    sub = type("MyBlock", (DownBlock,), {})(_block().main, _block().shortcut)
    result = check("residual_down", sub, hidden=True)
    assert result.score == 0 and "subclass of DownBlock" in "\n".join(result.feedback)

    patched = _block()
    patched.forward = lambda x: patched.main(x)  # type: ignore[method-assign]
    result = check("residual_down", patched, hidden=True)
    assert result.score == 0 and "overrides forward" in "\n".join(result.feedback)

    hooked = _block()
    hooked.main.register_forward_hook(lambda m, i, o: o * 0)
    result = check("residual_down", hooked, hidden=True)
    assert result.score == 0 and "hooks" in "\n".join(result.feedback)


def test_a_replaced_class_forward_is_caught(monkeypatch) -> None:
    monkeypatch.setattr(DownBlock, "forward", lambda self, x: self.main(x))
    result = check("residual_down", _block(), hidden=True)
    assert result.score == 0
    assert "DownBlock.forward has been replaced" in "\n".join(result.feedback)


def test_values_use_the_template_forward_not_a_flat_sequence() -> None:
    """A leaf list run in order would be wrong for a residual block; the check is not fooled."""
    result = check("residual_down", _block(), hidden=True)
    values = [f for f in result.findings if f.group == "values"]
    assert values and all(f.passed for f in values)
    assert any("functional reference" in f.message for f in values)
