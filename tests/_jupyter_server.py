"""Drive a throwaway JupyterLab in Debian's Chromium (for browser tests and benches).

``jupyter_lab(root)`` starts a server on a free loopback port with a random token and
isolated config/settings, and always stops it (kernels first). ``open_notebook`` and
``run_all_cells`` use the app object that ``--LabApp.expose_app_in_browser`` puts on
``window.jupyterapp``, so they do not depend on menu layout or key bindings.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
# JupyterLab settings for a quiet, deterministic page: every cell stays in the DOM
# (no virtual scrolling) and nothing asks the network for news or updates.
_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium through Playwright (Playwright's own browsers are not used)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class JupyterLab:
    base_url: str
    token: str
    root: pathlib.Path
    log: pathlib.Path
    process: subprocess.Popen

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}?token={self.token}"

    def api(self, path: str, method: str = "GET") -> Any:
        req = urllib.request.Request(f"{self.base_url}api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 40) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


def _wait_ready(lab: JupyterLab, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {lab.process.returncode}:\n{lab.log_tail()}")
        try:
            lab.api("status")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.25)
    raise TimeoutError(f"JupyterLab did not answer within {timeout:.0f}s:\n{lab.log_tail()}")


def _stop(lab: JupyterLab) -> None:
    # Kernels run in their own sessions, so ask the server to stop them before stopping it.
    with contextlib.suppress(Exception):
        for kernel in lab.api("kernels"):
            lab.api(f"kernels/{kernel['id']}", method="DELETE")
    if lab.process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(lab.process.pid, signal.SIGTERM)
        try:
            lab.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(lab.process.pid, signal.SIGKILL)
            lab.process.wait(timeout=5)


@contextlib.contextmanager
def jupyter_lab(root: pathlib.Path, timeout: float = 90) -> Iterator[JupyterLab]:
    """Run JupyterLab on ``root`` until the block ends."""
    home = pathlib.Path(tempfile.mkdtemp(prefix="convdojo-jupyter-"))
    env = dict(os.environ)
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTERLAB_SETTINGS_DIR", "settings"),
                     ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"), ("IPYTHONDIR", "ipython")):
        (home / sub).mkdir()
        env[var] = str(home / sub)
    for name, value in _SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    env.pop("JUPYTER_TOKEN", None)
    port, token = free_port(), secrets.token_hex(16)
    log = home / "server.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers often run as root
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=root, start_new_session=True)
    lab = JupyterLab(f"http://127.0.0.1:{port}/", token, root, log, proc)
    try:
        _wait_ready(lab, timeout)
        yield lab
    finally:
        _stop(lab)
        shutil.rmtree(home, ignore_errors=True)


_CURRENT = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
_KERNEL = f"{_CURRENT} && {_CURRENT}.sessionContext.session && {_CURRENT}.sessionContext.session.kernel"


def open_notebook(page: Any, lab: JupyterLab, name: str, timeout_ms: int = 90_000) -> None:
    """Open ``name`` and wait until its kernel is idle."""
    page.goto(lab.url(f"lab/tree/{name}"), timeout=timeout_ms)
    page.wait_for_function(f"!!({_KERNEL}) && {_KERNEL}.status === 'idle'", timeout=timeout_ms)
    page.wait_for_function(f"{_CURRENT}.content.widgets.length > 0", timeout=timeout_ms)


def run_all_cells(page: Any, timeout_ms: int = 120_000) -> list[str]:
    """Run every cell; wait until all ran (or one failed, which stops the rest) and the kernel is idle.

    Returns the errors, as :func:`cell_errors`.
    """
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        f"""(() => {{
            const nb = {_CURRENT};
            const kernel = nb.sessionContext.session.kernel;
            const cells = nb.content.widgets.filter((c) => c.model.type === 'code');
            const failed = cells.some((c) => [...Array(c.model.outputs.length).keys()]
                .some((i) => c.model.outputs.get(i).type === 'error'));
            return kernel.status === 'idle' && (failed || cells.every((c) => c.model.executionCount !== null));
        }})()""",
        timeout=timeout_ms, polling=250)
    return cell_errors(page)


def cell_errors(page: Any) -> list[str]:
    """'ename: evalue' of every error output in the current notebook."""
    return page.evaluate(f"""(() => {{
        const errors = [];
        for (const cell of {_CURRENT}.content.widgets) {{
            const outputs = cell.model.outputs;
            for (let i = 0; outputs && i < outputs.length; i++) {{
                const out = outputs.get(i).toJSON();
                if (out.output_type === 'error') errors.push(`${{out.ename}}: ${{out.evalue}}`);
            }}
        }}
        return errors;
    }})()""")
