"""Drive convdojo's JupyterHub (deploy/) for tests/test_hub.py: start/stop, log in, act as a user.

Everything a user does goes through the hub's public address with that user's browser
session (cookies and XSRF token of the Playwright page), never around the hub.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HUB_PYTHON = ROOT / "deploy" / ".venv" / "bin" / "python"


def missing_reason() -> str | None:
    """Why the hub test cannot run here, or None."""
    if os.geteuid() != 0:
        return "the hub test creates Unix accounts: run it as root (sudo make test)"
    if not shutil.which("npm"):
        return "npm is missing (apt-get install npm): configurable-http-proxy comes from npm"
    return None


@dataclass
class Hub:
    state: Path
    url: str
    roster: dict[str, Any]
    passwords: dict[str, str]
    uids: dict[str, int]

    @property
    def instructor(self) -> str:
        return self.roster["instructors"][0]

    @property
    def course(self) -> Path:
        return Path(self.roster["course"][self.instructor])

    def log_tail(self, n: int = 60) -> str:
        log = self.state / "hub" / "jupyterhub.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:]) if log.exists() else ""


def start(state: Path, instructor: str, students: list[str], port: int) -> Hub:
    proc = subprocess.run([str(HUB_PYTHON), str(ROOT / "deploy" / "hub.py"), "start",
                           "--state", str(state), "--instructor", instructor,
                           "--students", ",".join(students), "--port", str(port)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    roster = json.loads((state / "roster.json").read_text())
    passwords = dict(line.split() for line in (state / "hub" / "accounts.txt").read_text().splitlines())
    uids = {u: pwd.getpwnam(u).pw_uid for u in [instructor, *students]}
    return Hub(state, f"http://127.0.0.1:{port}/", roster, passwords, uids)


def stop(state: Path) -> str:
    proc = subprocess.run([str(HUB_PYTHON), str(ROOT / "deploy" / "hub.py"), "stop",
                           "--state", str(state)], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def login(browser: Any, hub: Hub, user: str, timeout_ms: int = 240_000) -> Any:
    """A fresh browser context logged in as ``user``, on their JupyterLab (spawned if needed)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=timeout_ms)
    page.wait_for_selector("#jp-main-dock-panel", timeout=timeout_ms)
    return page


# JavaScript run in a user's JupyterLab page: same origin, that user's cookies.
_FETCH = """async ([url, method, body]) => {
    const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '';
    const r = await fetch(url, {method, headers: {'X-XSRFToken': decodeURIComponent(xsrf),
        'Content-Type': 'application/json'}, body: body === null ? undefined : body,
        redirect: 'follow', credentials: 'same-origin'});
    return [r.status, await r.text(), r.url];
}"""

_TERMINAL = """async ([base, command, timeoutMs]) => {
    const xsrf = decodeURIComponent((document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '');
    const r = await fetch(base + 'api/terminals', {method: 'POST', headers: {'X-XSRFToken': xsrf}});
    const {name} = await r.json();
    const ws = new WebSocket(`ws://${location.host}${base}terminals/websocket/${name}`);
    const marker = 'END' + 'OFCOMMAND';
    let out = '';
    const result = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(['timeout', out]), timeoutMs);
        ws.onopen = () => ws.send(JSON.stringify(['stdin',
            `stty -echo; ${command}; echo "${marker}:$?"\\r`]));
        ws.onmessage = (event) => {
            const [kind, text] = JSON.parse(event.data);
            if (kind !== 'stdout') return;
            out += text;
            const m = out.match(new RegExp(marker + ':(\\\\d+)'));
            if (m) { clearTimeout(timer); resolve([m[1], out]); }
        };
    });
    ws.close();
    await fetch(base + 'api/terminals/' + name, {method: 'DELETE', headers: {'X-XSRFToken': xsrf}});
    return result;
}"""


_KERNEL = """async ([base, code, timeoutMs]) => {
    const xsrf = decodeURIComponent((document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '');
    const r = await fetch(base + 'api/kernels', {method: 'POST', body: JSON.stringify({name: 'python3'}),
        headers: {'X-XSRFToken': xsrf, 'Content-Type': 'application/json'}});
    const {id} = await r.json();
    const ws = new WebSocket(`ws://${location.host}${base}api/kernels/${id}/channels`);
    const msgId = 'hub-test-' + Date.now();
    const status = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), timeoutMs);
        ws.onopen = () => ws.send(JSON.stringify({channel: 'shell', buffers: [], metadata: {},
            parent_header: {}, header: {msg_id: msgId, session: msgId, username: '', version: '5.3',
                msg_type: 'execute_request', date: new Date().toISOString()},
            content: {code, silent: false, store_history: false, user_expressions: {},
                allow_stdin: false, stop_on_error: true}}));
        ws.onmessage = (event) => {
            const m = JSON.parse(event.data);
            if (m.msg_type === 'execute_reply' && m.parent_header.msg_id === msgId) {
                clearTimeout(timer); resolve(m.content.status);
            }
        };
    });
    ws.close();
    return [id, status];
}"""


def kernel(page: Any, user: str, code: str, timeout_s: float = 180) -> str:
    """Start a python3 kernel in ``user``'s server, run ``code`` there, leave it running; its id."""
    kernel_id, status = page.evaluate(_KERNEL, [f"/user/{user}/", code, int(timeout_s * 1000)])
    assert status == "ok", f"kernel of {user}: {status}"
    return kernel_id


def request(page: Any, url: str, method: str = "GET", body: Any = None) -> tuple[int, str, str]:
    """An HTTP request from the page, as its user: (status, body, final url)."""
    data = None if body is None else json.dumps(body)
    status, text, final = page.evaluate(_FETCH, [url, method, data])
    return status, text, final


def terminal(page: Any, user: str, command: str, timeout_s: float = 300) -> tuple[int, str]:
    """Run ``command`` in a new Jupyter terminal of ``user``'s server (exit status, output)."""
    code, out = page.evaluate(_TERMINAL, [f"/user/{user}/", command, int(timeout_s * 1000)])
    assert code != "timeout", f"terminal command timed out: {command}\n{out}"
    return int(code), out


def processes(uids: set[int]) -> dict[int, str]:
    """pid -> command line of every live process owned by one of ``uids``."""
    found = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{entry}").st_uid not in uids:
                continue
            stat = Path(f"/proc/{entry}/stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue
            found[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (in a container, nobody may reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
