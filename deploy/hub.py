"""Start and stop convdojo's trial course hub (``make hub``, ``make hub-stop``); run as root.

``start`` creates the course's local accounts (``useradd``, random passwords), the
nbgrader exchange (mode 1777), the course in the instructor's home (the kit's
``autograder/nbgrader_config.py`` and ``solutions/``), and starts JupyterHub with
``deploy/jupyterhub_config.py`` in the background. ``stop`` stops the hub (which stops
every user's server), ends what is left of the course accounts' processes, deletes the
accounts it created and the state folder (exchange, hub database, logs).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
KIT = DEPLOY.parent
VENV_BIN = Path(sys.executable).parent
PROXY = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
DEFAULT_STATE = Path("/srv/convdojo-hub")


@dataclass
class Roster:
    """What jupyterhub_config.py reads ($STATE/roster.json)."""
    course_id: str
    instructors: list[str]
    students: list[str]
    exchange: str
    course: dict[str, str]  # instructor -> course folder
    ip: str
    port: int
    hub_port: int
    proxy_api_port: int
    created: list[str] = field(default_factory=list)  # accounts start() made (stop() deletes them)

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*cmd: str, stdin: str | None = None) -> None:
    subprocess.run(cmd, input=stdin, text=True, check=True, capture_output=True)


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


def _account(user: str, passwords: dict[str, str], created: list[str]) -> Path:
    """A local account with a home only its owner can enter, and a fresh password."""
    if not _exists(user):
        _run("useradd", "--create-home", "--user-group", "--shell", "/bin/bash", user)
        created.append(user)
    home = Path(pwd.getpwnam(user).pw_dir)
    home.chmod(0o700)
    passwords[user] = secrets.token_urlsafe(12)
    _run("chpasswd", stdin=f"{user}:{passwords[user]}\n")
    return home


def _course(instructor: str, home: Path) -> Path:
    """The course folder in the instructor's home: the kit's nbgrader config and sources."""
    course = home / "convdojo"
    if not course.exists():
        course.mkdir()
        shutil.copy(KIT / "autograder" / "nbgrader_config.py", course / "nbgrader_config.py")
        if (KIT / "autograder" / "convdojo.toml").exists():  # the variants' salt and switch
            shutil.copy(KIT / "autograder" / "convdojo.toml", course / "convdojo.toml")
        shutil.copytree(KIT / "solutions", course / "solutions")
        _run("chown", "-R", f"{instructor}:{instructor}", str(course))
    return course


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"JupyterHub exited with {proc.returncode}; see {log}:\n"
                             + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(url + "hub/api/", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"JupyterHub did not answer on {url} within {timeout:.0f} s; see {log}")


def _start(state: Path, *, instructor: str, students: list[str], course_id: str, ip: str,
          port: int) -> Roster:
    if os.geteuid() != 0:
        raise SystemExit("hub.py start needs root: it creates Unix accounts (sudo make hub)")
    if not os.access(PROXY, os.X_OK):
        raise SystemExit(f"{PROXY} is missing: run `npm ci --prefix {DEPLOY}` (make hub does)")
    for user in [instructor, *students]:
        if _exists(user):
            raise SystemExit(f"account {user} already exists; pick other names "
                             "(make hub HUB_ARGS='--instructor NAME --students A,B') or remove it")
    closed = [p for p in state.resolve().parents if p.exists() and not p.stat().st_mode & 0o001]
    if closed:
        raise SystemExit(f"{closed[0]} is closed to other accounts (mode "
                         f"{closed[0].stat().st_mode & 0o777:o}), so the students could not reach "
                         f"the exchange in {state}: pick a --state folder under /srv or /tmp")
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o755)  # every account must reach the exchange inside it
    (state / "hub").mkdir(mode=0o700, exist_ok=True)
    exchange = state / "exchange"
    exchange.mkdir(exist_ok=True)
    exchange.chmod(0o1777)  # nbgrader: world-writable with the sticky bit
    passwords: dict[str, str] = {}
    created: list[str] = []
    roster = Roster(course_id, [instructor], students, str(exchange), {}, ip, port,
                    _free_port(), _free_port(), created)
    try:
        home = _account(instructor, passwords, created)
        roster.course[instructor] = str(_course(instructor, home))
        for student in students:
            _account(student, passwords, created)
    finally:  # stop() must find every account made so far
        (state / "roster.json").write_text(json.dumps(asdict(roster), indent=1))
    accounts = state / "hub" / "accounts.txt"
    accounts.write_text("".join(f"{u} {p}\n" for u, p in passwords.items()))
    accounts.chmod(0o600)
    log = state / "hub" / "jupyterhub.log"
    env = {"PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", "CONVDOJO_HUB_STATE": str(state),
           "LANG": "C.UTF-8"}
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(VENV_BIN / "jupyterhub"), "-f", str(DEPLOY / "jupyterhub_config.py")],
                                cwd=state / "hub", env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    (state / "hub" / "hub.pgid").write_text(str(proc.pid))
    _wait_ready(roster.url, proc, log)
    return roster


def start(state: Path, **course) -> Roster:
    """Set the course up and start the hub; on any failure undo what was done (keeping the log)."""
    if (state / "roster.json").exists():
        raise SystemExit(f"a hub already runs from {state}: stop it first (make hub-stop)")
    try:
        return _start(state, **course)
    except BaseException:
        if (state / "roster.json").exists():
            log = state / "hub" / "jupyterhub.log"
            if log.exists():
                kept = shutil.copy(log, state.parent / f"{state.name}-jupyterhub.log")
                print(f"start failed; the hub's log is kept in {kept}", file=sys.stderr)
            stop(state)
        raise


def _pids(uids: set[int]) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid in uids:
                    pids.append(int(entry))
            except FileNotFoundError:
                continue
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _end(pids: list[int], timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL whatever is still there after ``timeout``."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.2)


def stop(state: Path) -> None:
    roster_file = state / "roster.json"
    if not roster_file.exists():
        print(f"no hub state in {state}: nothing to stop")
        return
    roster = Roster(**json.loads(roster_file.read_text()))
    pgid_file = state / "hub" / "hub.pgid"
    if pgid_file.exists():  # the hub, then the proxy it started (same process group)
        hub = int(pgid_file.read_text())
        _end([hub])
        with_group = [p for p in _pids({0}) if _pgid(p) == hub]
        _end(with_group, timeout=5)
    uids = {pwd.getpwnam(u).pw_uid for u in roster.created if _exists(u)}
    _end(_pids(uids), timeout=10)  # servers and kernels the hub did not stop
    for user in roster.created:
        if _exists(user):
            _run("userdel", "--remove", user)
    shutil.rmtree(state)
    print(f"stopped; removed {', '.join(roster.created) or 'no accounts'} and {state}")


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE,
                        help=f"hub database, logs, exchange (default {DEFAULT_STATE})")
    parser.add_argument("--instructor", default="cd-instructor")
    parser.add_argument("--students", default="cd-alice,cd-bob", help="comma-separated")
    parser.add_argument("--course-id", default="convdojo")
    parser.add_argument("--ip", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    if args.action == "stop":
        stop(args.state)
        return
    roster = start(args.state, instructor=args.instructor,
                   students=[s for s in args.students.split(",") if s],
                   course_id=args.course_id, ip=args.ip, port=args.port)
    print(f"JupyterHub for course {roster.course_id}: {roster.url}")
    print(f"accounts and passwords: {args.state / 'hub' / 'accounts.txt'} (root only)")
    print((args.state / "hub" / "accounts.txt").read_text(), end="")
    print("stop it and remove the accounts: make hub-stop")


if __name__ == "__main__":
    main()
