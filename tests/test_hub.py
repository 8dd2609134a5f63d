"""The course in a box (deploy/): a real JupyterHub, real accounts, nbgrader's exchange, convdojo.

One test drives the whole cycle in Debian's Chromium, as the instructor and as two students,
through the hub's public address: release (Formgrader), fetch (Assignment List), answers,
submit (Assignment List), collect and autograde (Formgrader), `convdojo grade
--gradebook-mode import` (a Jupyter terminal of the instructor's server, driven over its
websocket from the instructor's page), a written answer marked in Formgrader, feedback
generated and released (Formgrader), feedback fetched (Assignment List) and opened.
Answers are written through the hub's Jupyter contents API as the student (typing 9
answers into CodeMirror is slow and brittle); each student also runs a kernel (torch,
convdojo, one check) for the memory figures. Needs root (it creates Unix accounts), npm
and Chromium; `make hub-env` builds deploy/.venv.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import hub_driver as hd
import hub_ui as ui
from _jupyter_server import chromium_missing_reason, free_port, launch_chromium
from convdojo import specs

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(900)]

ASSIGNMENT = "conv_shapes"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
EXERCISES = specs.assignment(ASSIGNMENT).exercises
RIGHT = {ex: specs.get(ex).solution for ex in EXERCISES}
MISTAKES = {  # one right, the others with the usual slips
    "worked_7x7": RIGHT["worked_7x7"],
    "channels": "conv = nn.Conv2d(3, 16, kernel_size=5, padding=2)",
    "padding": "conv = nn.Conv2d(16, 16, kernel_size=5, padding=1)",
    "combination": "conv = nn.Conv2d(3, 16, kernel_size=3, stride=2)",
    "weight_shape": "weight_shape = (5, 5, 3, 5)",
}
WRITTEN = "The 5×5 kernel fits 16 − 5 + 1 = 12 times along each side."
MANUAL_SCORE = 1.5  # the instructor's mark for the written answer explain_valid


def _answered(nb: dict, answers: dict[str, str], written: str | None) -> dict:
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and meta.get("grade_id") in answers:
            assert "# YOUR CODE HERE" in source
            cell["source"] = source.replace("# YOUR CODE HERE", answers[meta["grade_id"]])
        elif meta.get("grade_id") == "explain_valid" and written:
            cell["source"] = written
    return nb


@pytest.fixture(scope="module")
def browser():
    reason = hd.missing_reason() or chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def hub_env() -> None:
    """deploy/.venv (the hub's Python, reachable by every account) and configurable-http-proxy."""
    proc = subprocess.run(["make", "-s", "hub-env"], cwd=hd.ROOT, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _names() -> tuple[str, str, str]:
    tag = "cdt" + secrets.token_hex(2)  # a fresh set of accounts, never an existing one
    return f"{tag}-instructor", f"{tag}-ada", f"{tag}-bo"


def _fill_answers(page, user: str, answers: dict[str, str], written: str | None) -> None:
    url = f"/user/{user}/api/contents/{ASSIGNMENT}/{NOTEBOOK}"
    status, body, _ = hd.request(page, url)
    assert status == 200, body
    nb = _answered(json.loads(body)["content"], answers, written)
    status, body, _ = hd.request(page, url, "PUT", {"type": "notebook", "format": "json", "content": nb})
    assert status == 200, body


def _gradebook(hub: hd.Hub) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{hub.course / 'course' / 'gradebook.db'}", course_id="convdojo") as gb:
        return {(s.student.id, g.name.removesuffix("_test")): g.score
                for s in gb.assignment_submissions(ASSIGNMENT) for nb in s.notebooks for g in nb.grades}


def test_a_course_cycle_through_the_hub(browser, hub_env) -> None:
    instructor, ada, bo = _names()
    # Not under pytest's tmp_path (mode 700): every account must reach the exchange.
    state = Path(tempfile.mkdtemp(prefix="convdojo-hub-"))
    port = free_port()
    t0 = time.monotonic()
    try:
        hub = hd.start(state, instructor, [ada, bo], port)
    except BaseException:  # hub.py undid its set-up; the state folder is ours
        shutil.rmtree(state, ignore_errors=True)
        raise
    uids = set(hub.uids.values())
    run = Run(hub, instructor, ada, bo, browser)
    run.timings["hub started (accounts, exchange, course)"] = time.monotonic() - t0
    hub_pid = int((state / "hub" / "hub.pgid").read_text())
    proxy_pid = int((state / "hub" / "proxy.pid").read_text())
    try:
        _cycle(run)
    finally:
        for page in run.pages.values():
            page.context.close()
        stopped = hd.stop(state)
    run.timings["whole cycle, start to stop"] = time.monotonic() - t0
    # Every process the test started is gone: hub, proxy, servers, kernels, terminals.
    left = hd.processes(uids)
    assert not left, f"processes left behind by the course accounts: {left}"
    assert not hd.alive(hub_pid), "the hub is still running"
    assert not hd.alive(proxy_pid), "configurable-http-proxy is still running"
    assert not state.exists() and "stopped" in stopped
    for user in (instructor, ada, bo):
        assert subprocess.run(["id", user], capture_output=True).returncode != 0, f"{user} still exists"
    print("\nhub cycle timings:")
    print("\n".join(f"  {k}: {v:.1f} s" for k, v in run.timings.items()))
    print(f"  JupyterHub and configurable-http-proxy: RSS {run.hub_rss:.0f} MiB")
    for student, (server, kernel, total) in run.rss.items():
        print(f"  {student}: RSS of jupyterhub-singleuser {server:.0f} MiB, of a kernel with torch "
              f"and convdojo {kernel:.0f} MiB, of all the student's processes {total:.0f} MiB")


@dataclass
class Run:
    """One pass through the course: the hub, who is who, their browser pages, step timings."""
    hub: hd.Hub
    instructor: str
    ada: str  # answers everything right
    bo: str   # answers with mistakes, and writes the written answer
    browser: Any
    pages: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    rss: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    feedback: dict[str, dict[str, str]] = field(default_factory=dict)
    hub_rss: float = 0.0  # MiB, JupyterHub and configurable-http-proxy together

    def timed(self, name: str, step) -> None:
        start = time.monotonic()
        step(self)
        self.timings[name] = time.monotonic() - start


def _release(run: Run) -> None:
    """Formgrader: generate the student version, then release it to the exchange."""
    teacher = run.pages[run.instructor] = hd.login(run.browser, run.hub, run.instructor)
    assert "Formgrader" in ui.nbgrader_menu(teacher)
    teacher.keyboard.press("Escape")
    ui.formgrader_action(teacher, run.hub, ASSIGNMENT, "assign", "generate")
    ui.formgrader_action(teacher, run.hub, ASSIGNMENT, "release", "release")


def _right_for(student: str) -> dict[str, str]:
    """The right answers to this student's own numbers (the course's variants)."""
    from convdojo import course
    from convdojo.specs.personal import personal

    mine = course.load(hd.ROOT / "autograder", secret=False, environment=False)
    return {ex: personal(ex, student, mine).solution for ex in EXERCISES}


def _students_submit(run: Run) -> None:
    """Each student fetches from the Assignment List, answers, and submits there."""
    for student, answers, written in ((run.ada, _right_for(run.ada), None),
                                      (run.bo, MISTAKES, WRITTEN)):
        page = run.pages[student] = hd.login(run.browser, run.hub, student)
        ui.open_assignment_list(page)
        ui.wait_listed(page, "released_assignments_list", ASSIGNMENT)
        ui.list_button(page, "released_assignments_list", ASSIGNMENT, "Fetch")
        ui.wait_listed(page, "fetched_assignments_list", ASSIGNMENT)
        _fill_answers(page, student, answers, written)
        ui.list_button(page, "fetched_assignments_list", ASSIGNMENT, "Submit")
        ui.wait_listed(page, "submitted_assignments_list", ASSIGNMENT)
        # A kernel as the notebook's first cells make it: torch, convdojo, one check.
        hd.kernel(page, student, "import torch\nfrom torch import nn\nfrom convdojo import check\n"
                  "check('channels', nn.Conv2d(3, 16, 3, padding=1))")
    run.rss = _server_memory(run.hub, [run.ada, run.bo])
    hub_pid = int((run.hub.state / "hub" / "hub.pgid").read_text())
    proxy_pid = int((run.hub.state / "hub" / "proxy.pid").read_text())
    run.hub_rss = hd.rss_mib(hub_pid) + hd.rss_mib(proxy_pid)


def _collect_and_grade(run: Run) -> None:
    """Formgrader collects and autogrades; convdojo's sandboxed grade replaces the scores
    (typed into a terminal of the instructor's server)."""
    teacher, hub = run.pages[run.instructor], run.hub
    ui.formgrader_action(teacher, hub, ASSIGNMENT, "collect", "collect")
    teacher.goto(hub.url + f"user/{run.instructor}/formgrader/manage_submissions/{ASSIGNMENT}")
    for student in (run.ada, run.bo):
        row = teacher.locator("tr", has=teacher.locator("td", has_text=student))
        row.locator("td.autograde a").click()
        ui.modal_ok(teacher, f"autograde of {student}")
    course = hub.course
    code, out = hd.terminal(teacher, run.instructor,
                            f"convdojo grade {course}/course/submitted --assignment {ASSIGNMENT} "
                            f"--out {course}/course/convdojo --gradebook {course}/course/gradebook.db "
                            "--gradebook-mode import")
    assert code == 0, out
    assert "gradebook import" in out and "isolation is reduced" not in out, out


def _mark_and_return(run: Run) -> None:
    """Formgrader: mark bo's written answer, generate and release the feedback."""
    teacher, hub = run.pages[run.instructor], run.hub
    teacher.goto(hub.url + f"user/{run.instructor}/formgrader/manage_students/{run.bo}/{ASSIGNMENT}")
    teacher.locator("td a", has_text=ASSIGNMENT).first.click()
    teacher.wait_for_load_state("networkidle")  # Formgrader has loaded the grades into its views
    score = teacher.locator("input.score#explain_valid")
    with teacher.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                                 and r.request.method == "PUT") as saved:
        score.fill(str(MANUAL_SCORE))
        score.press("Tab")  # Formgrader saves a score when its input changes
    assert saved.value.ok, saved.value.status
    ui.formgrader_action(teacher, hub, ASSIGNMENT, "generate-feedback", "generate feedback")
    ui.formgrader_action(teacher, hub, ASSIGNMENT, "release-feedback", "release feedback")


def _fetch_feedback(run: Run) -> None:
    """Each student fetches the feedback in the Assignment List and opens it."""
    for student in (run.ada, run.bo):
        page = run.pages[student]
        ui.open_assignment_list(page)
        ui.list_button(page, "submitted_assignments_list", ASSIGNMENT, "Fetch Feedback")
        page.locator("#submitted_assignments_list a", has_text="view feedback").first.click()
        page.locator(".jp-DirListing-item", has_text=".html").first.wait_for()
        run.feedback[student] = _open_feedback(page, student)


STEPS = [("release (Formgrader)", _release),
         ("fetch, answer, submit (2 students)", _students_submit),
         ("collect, autograde, convdojo grade --gradebook-mode import", _collect_and_grade),
         ("mark written answer, generate and release feedback", _mark_and_return),
         ("fetch and open feedback (2 students)", _fetch_feedback)]


def _cycle(run: Run) -> None:
    for name, step in STEPS:
        run.timed(name, step)
    _assert_scores(run.hub, run.ada, run.bo, run.feedback)
    _assert_privacy(run.hub, run.pages, run.instructor, run.ada, run.bo)


def _server_memory(hub: hd.Hub, students: list[str]) -> dict[str, tuple[float, float, float]]:
    """Resident memory (MiB) of each student's jupyterhub-singleuser, kernel, and all processes."""
    found = {}
    for student in students:
        procs = hd.processes({hub.uids[student]})
        servers = [pid for pid, cmd in procs.items() if "jupyterhub-singleuser" in cmd]
        kernels = [pid for pid, cmd in procs.items() if "ipykernel" in cmd]
        assert len(servers) == 1 and len(kernels) == 1, procs
        found[student] = (hd.rss_mib(servers[0]), hd.rss_mib(kernels[0]),
                          sum(hd.rss_mib(pid) for pid in procs))
    return found


def _open_feedback(page, student: str) -> dict[str, str]:
    """The fetched feedback page, opened from the student's server: nbgrader's part and convdojo's."""
    base = f"/user/{student}/api/contents/{ASSIGNMENT}/feedback"
    status, body, _ = hd.request(page, base)
    assert status == 200, body
    (stamp,) = [item["name"] for item in json.loads(body)["content"]]
    view = page.context.new_page()
    view.goto(page.url.split("/user/")[0] + f"/user/{student}/files/{ASSIGNMENT}/feedback/{stamp}/{ASSIGNMENT}.html")
    header = view.locator(".panel-heading h4").first.inner_text()
    frame = view.frame_locator("#convdojo-feedback iframe")
    convdojo = frame.locator("body").inner_text()
    view.close()
    return {"nbgrader": header, "convdojo": convdojo}


def _assert_scores(hub: hd.Hub, ada: str, bo: str, feedback: dict[str, dict[str, str]]) -> None:
    with (hub.course / "course" / "convdojo" / "grades.csv").open(newline="") as fh:
        hardened = {(r["student_id"], r["exercise_id"]): float(r["score"]) for r in csv.DictReader(fh)}
    book = _gradebook(hub)
    points = {ex: specs.get(ex).points for ex in EXERCISES}
    for (student, exercise), score in hardened.items():
        assert book[(student, exercise)] == pytest.approx(score), (student, exercise)
    assert {ex: hardened[(ada, ex)] for ex in EXERCISES} == points  # the right answers
    assert hardened[(bo, "weight_shape")] == 0 and hardened[(bo, "worked_7x7")] == points["worked_7x7"]
    assert 0 < sum(hardened[(bo, ex)] for ex in EXERCISES) < sum(points.values())
    assert book[(bo, "explain_valid")] == MANUAL_SCORE
    for student in (ada, bo):
        total = sum(v for (s, _), v in book.items() if s == student)
        header = feedback[student]["nbgrader"]
        got = float(re.search(r"Score: ([\d.]+) /", header).group(1))
        assert got == pytest.approx(total, abs=0.01), header
        page = feedback[student]["convdojo"]  # convdojo's page, as the student's browser shows it
        for ex in EXERCISES:
            shown = re.search(rf"\b{ex}\n([\d.]+) / ([\d.]+)\n", page)
            assert shown, f"{ex} missing from {student}'s convdojo feedback:\n{page[:3000]}"
            assert float(shown.group(1)) == pytest.approx(hardened[(student, ex)], abs=0.01)
            assert float(shown.group(2)) == points[ex]
        mine = sum(hardened[(student, ex)] for ex in EXERCISES)
        shown = re.search(r"Autograded score: ([\d.]+) / ([\d.]+)", page)
        assert shown and float(shown.group(1)) == pytest.approx(mine, abs=0.01), page[:500]


def _assert_privacy(hub: hd.Hub, pages: dict, instructor: str, ada: str, bo: str) -> None:
    """bo, through the hub, can open neither ada's server nor the instructor's; nor their files."""
    page = pages[bo]
    for owner, path in ((ada, f"{ASSIGNMENT}/{NOTEBOOK}"), (instructor, "convdojo")):
        status, body, final = hd.request(page, f"/user/{owner}/api/contents/{path}")
        assert status in (403, 404), (owner, status, final, body[:300])
    status, _, _ = hd.request(page, f"/user/{bo}/api/contents/{ASSIGNMENT}/{NOTEBOOK}")
    assert status == 200  # his own notebook: the refusals above are about the owner
    status, _, _ = hd.request(page, f"/user/{bo}/formgrader/api/assignments")
    assert status == 404  # no Formgrader in a student's server
    home = {u: Path("/home") / u for u in (ada, instructor)}
    exchange = hub.roster["exchange"]
    denied = [f"cat {home[ada]}/{ASSIGNMENT}/{NOTEBOOK}", f"ls {hub.course}",
              f"cat {hub.course}/course/gradebook.db", f"ls {exchange}/convdojo/inbound"]
    for command in denied:
        code, out = hd.terminal(page, bo, command, timeout_s=60)
        assert code != 0 and "Permission denied" in out, (command, out)
    code, out = hd.terminal(page, bo, f"ls {exchange}/convdojo/outbound", timeout_s=60)
    assert code == 0 and ASSIGNMENT in out, out  # the released assignment is readable
