"""``POST /convdojo/validate`` and ``POST /convdojo/warm``: convdojo validate, kept warm.

The notebook runs in the sandbox, as with ``convdojo validate``; this process only
reads the saved file and decides the visible-checks grade from what the sandbox
reports, so no student code runs in the Jupyter server.
"""

from __future__ import annotations

import atexit
import io
import os
import json
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop

from .. import cli_validate, validate

if TYPE_CHECKING:
    from ..grade.session import Session, Spare

__all__ = ["Reply", "Validator", "setup"]

MAX_SESSIONS = 2  # warm sandboxes kept at once (each holds its own torch: ~300 MB)


@dataclass
class Reply:
    """What the Validate panel shows; ``exit`` is the status ``convdojo validate`` would return."""

    path: str
    status: str  # "graded" | "broken" (the notebook itself) | "error" (bad request, grader)
    exit: int
    text: str
    command: str  # the same check from a terminal opened in the lab's root
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    warm: bool = False  # a sandbox for this assignment was already running


class _Utf8(io.StringIO):
    # format_report picks ✓ ✗ ○ from the stream's encoding
    encoding = "utf-8"


class Validator:
    """One warm Session per assignment (the last ``MAX_SESSIONS`` used), one grade at a time each."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._closed = False
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="convdojo-validate")
        # torch's import is most of a cold validate, here and in the sandbox: start both
        # with the server, before the first click (CONVDOJO_LAB_PREWARM=0: on first use).
        self._spare: Spare | None = None
        if os.environ.get("CONVDOJO_LAB_PREWARM", "1") != "0":
            self.pool.submit(self._start_spare)
        self.pool.submit(_import_checks)

    def _start_spare(self) -> None:
        from ..grade.session import Spare

        try:
            spare = Spare(reduced_ok=True)
        except OSError:  # no sandbox to start: the first Validate says why
            return
        with self._guard:
            keep = self._spare is None and not self._closed
            if keep:
                self._spare = spare
        if not keep:
            spare.close()

    def resolve(self, rel: str) -> Path:
        """The notebook a request names; ValueError for anything outside the root or not a notebook."""
        if not isinstance(rel, str) or not rel.strip():
            raise ValueError("the request names no notebook (expected {\"path\": \"x.ipynb\"})")
        target = (self.root / rel.strip().lstrip("/")).resolve()
        if not target.is_relative_to(self.root):
            raise ValueError(f"{rel} is outside the folder JupyterLab serves")
        if target.suffix != ".ipynb":
            raise ValueError(f"{rel} is not a notebook (.ipynb)")
        return target

    def _session(self, assignment: str) -> tuple[Session, bool]:
        from ..grade.session import Session

        with self._guard:
            if assignment in self._sessions:
                self._sessions.move_to_end(assignment)
                return self._sessions[assignment], True
            while len(self._sessions) >= MAX_SESSIONS:
                _, old = self._sessions.popitem(last=False)
                old.close()
            spare, self._spare = self._spare, None
            session = Session(assignment, hidden=False, reduced_ok=True, spare=spare)
            self._sessions[assignment] = session
            self._locks.setdefault(assignment, threading.Lock())
            return session, False

    def _drop(self, assignment: str) -> None:
        with self._guard:
            session = self._sessions.pop(assignment, None)
        if session is not None:
            session.close()

    def warm(self, rel: str) -> str | None:
        """Start the sandbox for a notebook's assignment; the assignment, or None."""
        try:
            insp = validate.inspect(self.resolve(rel))
        except (OSError, ValueError):
            return None
        if insp.assignment is None:
            return None
        try:
            self._session(insp.assignment)
        except ValueError:  # Validate will say why
            return None
        return insp.assignment

    def run(self, rel: str) -> Reply:
        start = time.perf_counter()
        reply = self._run(rel)
        reply.seconds = round(time.perf_counter() - start, 3)
        return reply

    def _run(self, rel: str) -> Reply:
        from ..grade.batch import GraderError

        try:
            path = self.resolve(rel)
        except ValueError as exc:
            return Reply(str(rel), "error", 2, f"convdojo validate: error: {exc}", "")
        shown = path.relative_to(self.root).as_posix()
        command = f"convdojo validate {_quote(shown)}"
        try:
            insp = validate.inspect(path)
        except OSError as exc:
            return Reply(shown, "error", 2, f"convdojo validate: error: cannot read {shown}: "
                         f"{exc.strerror or exc}", command)
        if not insp.ok or insp.assignment is None:
            return Reply(shown, "broken", 1, cli_validate._problems(insp), command, insp.warnings)
        try:
            session, warm = self._session(insp.assignment)
        except ValueError as exc:  # an unusable CONVDOJO_DEVICE
            return Reply(shown, "error", 2, f"convdojo validate: error: {exc}", command)
        try:
            with self._locks[insp.assignment]:
                report = validate.grade(insp, session=session)
        except GraderError as exc:
            self._drop(insp.assignment)  # a fresh sandbox next time
            return Reply(shown, "error", 3, f"convdojo validate: the grader could not run: {exc}",
                         command, insp.warnings)
        text = cli_validate.format_report(report, _Utf8())
        return Reply(shown, "graded", 0, text, command, insp.warnings, warm=warm)

    def close(self) -> None:
        with self._guard:
            self._closed = True
            sessions = list(self._sessions.values())
            self._sessions.clear()
            spare, self._spare = self._spare, None
        for session in sessions:
            session.close()
        if spare is not None:
            spare.close()
        self.pool.shutdown(wait=False, cancel_futures=True)


def _import_checks() -> None:
    import convdojo.checks
    import convdojo.specs  # noqa: F401


def _quote(path: str) -> str:
    return path if all(ch.isalnum() or ch in "/._-" for ch in path) else json.dumps(path)


def _body_path(handler: APIHandler) -> Any:
    try:
        body = json.loads(handler.request.body or b"{}")
    except ValueError:
        raise web.HTTPError(400, "the request body is not JSON") from None
    return body.get("path") if isinstance(body, dict) else None


class ValidateHandler(APIHandler):
    @web.authenticated
    async def post(self) -> None:
        validator: Validator = self.settings["convdojo_validator"]
        reply = await IOLoop.current().run_in_executor(validator.pool, validator.run,
                                                       _body_path(self))
        self.finish(json.dumps(asdict(reply)))


class WarmHandler(APIHandler):
    @web.authenticated
    async def post(self) -> None:
        validator: Validator = self.settings["convdojo_validator"]
        path = _body_path(self)
        validator.pool.submit(validator.warm, path)  # answer at once; the sandbox starts behind
        self.finish(json.dumps({"path": path}))


def setup(serverapp: Any) -> None:
    web_app = serverapp.web_app
    validator = Validator(Path(serverapp.root_dir))
    web_app.settings["convdojo_validator"] = validator
    base = web_app.settings["base_url"]
    web_app.add_handlers(".*$", [(url_path_join(base, "convdojo/validate"), ValidateHandler),
                                 (url_path_join(base, "convdojo/warm"), WarmHandler)])
    atexit.register(validator.close)  # the sandboxes go with the server
    serverapp.log.info("convdojo: Validate at %s", url_path_join(base, "convdojo/validate"))
