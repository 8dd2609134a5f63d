"""Running notebooks in a real kernel, for the tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path, *, allow_errors: bool = False, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom in a fresh kernel of this interpreter."""
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, CONVDOJO_DEVICE="cpu", PYTHONWARNINGS="default")
    # In a scratch folder: what a notebook writes (the mini-project's weights) must not land
    # in solutions/, which nbgrader would release.
    with tempfile.TemporaryDirectory(prefix="convdojo-nb-") as where:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                allow_errors=allow_errors, resources={"metadata": {"path": where}})
        client.execute(env=env)  # passed through to the kernel manager's start_kernel
    return nb


def text_of(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data.get("text/plain", ""))
        elif out.output_type == "error":
            parts.append("\n".join(out.traceback))
    return "\n".join(parts)


def role(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("convdojo", {}).get("role")

