"""The clean side: rebuild an answer from plain data and run ``convdojo.check`` on it.

Runs in a pool of checker processes that never execute student code; the grade
is decided here, by the same ``check`` the self-check cells call, with the
hidden variants.  Results are scrubbed so no page shows a hidden input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import attribution, memo

if TYPE_CHECKING:
    from .records import Run

__all__ = ["init", "check_one", "unreached", "sanitize_dict", "over_budget", "CHECK_SECONDS"]

_TUPLE = re.compile(r"[(\[]\s*-?\d+(?:\s*[,x×]\s*-?\d+)+\s*,?\s*[)\]]")
_PAIR = re.compile(r"\b\d+\s*[x×]\s*\d+\b")
_LABELLED = re.compile(r"^(On a hidden input \([^)]*\))(.*)$", re.S)
_SUMMARY = re.compile(r"^(\d+ of \d+ hidden inputs failed\.)(.*)$", re.S)
_STATE: dict[str, Any] = {}


MAX_HYPERPARAMETER = 4096  # no exercise needs more; far more would only make checks crawl
CHECK_SECONDS = 5.0  # CPU seconds one exercise's check may take (honest ones take ms)


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """At most ``seconds`` of CPU time for one check, in the batch's checker processes:
    RLIMIT_CPU's SIGXCPU stops even one long torch call, and the pool reports the death
    (batch.PoolChecks).  validate and pytest check a student's own notebook unlimited."""
    if not _STATE.get("pool"):
        yield
        return
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = int(usage.ru_utime + usage.ru_stime + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (limit if hard < 0 else min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def over_budget(exercise_id: str, memory: bool = False) -> dict[str, Any]:
    what = " (or more memory than a check may use)" if memory else ""
    return simple(exercise_id, "invalid",
                  f"Checking this answer took longer than {CHECK_SECONDS:g} s of the grader's "
                  f"time{what}, so it scores 0. A layer far larger than the exercise needs (a "
                  "huge kernel or padding) makes every check crawl: use the sizes the prompt "
                  "asks for.")


def warm() -> None:
    """Import what the first check would: convdojo's checks, and sympy, which torch
    imports at its first shape check on a meta tensor (half a second)."""
    import torch.fx.experimental.symbolic_shapes  # noqa: F401

    import convdojo.checks  # noqa: F401


def init(device: str, memory: int = 4 * 2**30) -> None:
    """Pool initializer: one thread per checker, and a memory ceiling, since a student's
    hyperparameters (say padding=10**6) decide how much memory a check allocates."""
    import resource

    import torch

    warm()  # once per process, not in the first task (a no-op if forked warm)

    torch.set_num_threads(1)
    _STATE["device"], _STATE["pool"] = device, True
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a check over its CPU budget dumps no core
    with open("/proc/self/status") as fh:
        vm = next((int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:")), 0)
    if vm and device == "cpu":  # CUDA maps huge virtual ranges: leave it alone there
        resource.setrlimit(resource.RLIMIT_AS, (vm + memory, resource.RLIM_INFINITY))


def _too_large(tree: Any) -> str | None:
    """A layer attribute so large that checking it would only burn the grader's time."""
    if isinstance(tree, dict):
        if tree.get("t") == "module":
            attrs = tree.get("attrs", {})
            for key, value in (attrs.items() if isinstance(attrs, dict) else ()):
                nums = value.get("v", []) if isinstance(value, dict) else [value]
                if any(isinstance(n, int) and not isinstance(n, bool) and abs(n) >
                       MAX_HYPERPARAMETER for n in nums):
                    shown = tuple(nums) if isinstance(value, dict) else value
                    return f"{tree.get('cls')}.{key} = {shown}"
        return next((r for r in map(_too_large, tree.values()) if r), None)
    if isinstance(tree, list):
        return next((r for r in map(_too_large, tree) if r), None)
    return None


def _scrub(text: str) -> str:
    """Drop anything shaped like a size: '(3, 16, 5, 5)', '[2, 3]', '5x5'."""
    return _PAIR.sub("…", _TUPLE.sub("(…)", text))


def _safe_hidden(message: str) -> str:
    labelled = _LABELLED.match(message) or _SUMMARY.match(message)
    if labelled:
        return labelled.group(1) + _scrub(labelled.group(2))
    return _scrub(message)


def sanitize_dict(result: dict[str, Any]) -> dict[str, Any]:
    """Scrub hidden findings and the feedback line that summarises them."""
    for finding in result.get("findings", []):
        if finding.get("hidden"):
            finding["message"] = _safe_hidden(str(finding.get("message", "")))
    result["feedback"] = [_safe_hidden(line) if _SUMMARY.match(line) or "hidden" in line
                          else line for line in result.get("feedback", [])]
    return result


def _replay(spec: Any, tree: Any, results: dict[str, list[Any]]) -> Any:
    from .plain import Replay

    answer = _rebuild(tree)
    if not isinstance(answer, Replay):
        return answer
    hidden = {i for i, (_, _, h) in enumerate(spec.cases) if h}
    for which in ("public", "hidden"):
        for row in results.get(which, []):
            if not isinstance(row, list) or len(row) != 4 or row[0] != spec.id:
                continue
            index, ok, value = row[1], row[2], row[3]
            if not isinstance(index, int):
                continue
            if ok:
                answer.results[index] = (True, _rebuild(value))
            else:  # a hidden case's error text is the student's and could quote its input
                name, text = (value + ["", ""])[:2] if isinstance(value, list) else ("", "")
                answer.results[index] = (False, (str(name), "" if index in hidden else str(text)))
    answer.order = list(range(len(spec.cases)))
    return answer


def _rebuild(tree: Any) -> Any:
    from .plain import rebuild
    return rebuild(tree)


def check_one(exercise_id: str, tree: Any, results: dict[str, list[Any]],
              device: str | None = None, hidden: bool = True, student: str = "",
              course: Any = None) -> dict[str, Any]:
    """Grade one answer on ``student``'s numbers (the folder's id; "" for the fixed
    ones); always returns a CheckResult dict (never raises).

    ``hidden=False`` runs only the visible checks, as a student's self-check does.
    An answer whose plain data is identical to one this process checked before, on the
    same numbers and hidden inputs, gets that result again (``memo``): a class hands in
    the same layer many times."""
    from convdojo.course import Course
    from convdojo.specs.personal import numbers

    course = course if course is not None else Course()
    dev = device or _STATE.get("device") or "cpu"
    # What the check depends on besides the answer: the student's numbers (not who they
    # are: students with the same numbers get the same hidden inputs) and the secret.
    key = memo.key(exercise_id, tree, results, dev, hidden,
                   numbers(exercise_id, student, course),
                   course.secret.digest, course.variants)
    found = memo.get(key)
    if found is not None:
        return found
    try:
        result = _check_one(exercise_id, tree, results, dev, hidden, student, course)
    except _GraderFailed as failed:  # the grader's fault, not the answer's: not kept
        return failed.result
    memo.put(key, result)
    return result


def fitting(exercise_id: str, tree: Any, students: list[str], course: Any,
            device: str | None = None) -> list[str]:
    """Those of ``students`` on whose numbers this answer could pass (``checks.fitting``):
    one rebuild for them all.  Never raises: a tree that cannot be judged fits nobody."""
    from convdojo.checks import fitting as fits

    tree, not_its_own = attribution.judge(exercise_id, tree)
    if not_its_own is not None or _too_large(tree):
        return []
    try:
        answer = _rebuild(tree)
        with _budget(CHECK_SECONDS):
            return fits(exercise_id, answer, students, course,
                        device=device or _STATE.get("device") or "cpu")
    except Exception:  # noqa: BLE001  (an unjudgeable answer is no evidence of copying)
        return []


class _GraderFailed(Exception):
    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result


def _check_one(exercise_id: str, tree: Any, results: dict[str, list[Any]], dev: str,
               hidden: bool, student: str, course: Any) -> dict[str, Any]:
    from convdojo.checks import CheckResult, check
    from convdojo.specs.personal import resolve

    from convdojo.sandbox.inside.codec import PlainError

    spec = resolve(exercise_id, student, course, hidden)
    tree, not_its_own = attribution.judge(spec.id, tree)
    if not_its_own is not None:  # the answer cell raised, or the value is another's
        return not_its_own
    huge = _too_large(tree)
    if huge:
        return CheckResult.simple(spec.id, spec.points, "invalid",
                                  f"{spec.answer_name} could not be checked: {huge} is far "
                                  f"larger than any layer here (the limit is "
                                  f"{MAX_HYPERPARAMETER}).").to_dict()
    try:
        if spec.kind == "function":
            answer = _replay(spec, tree, results)
        else:
            answer = _rebuild(tree)
    except (PlainError, ValueError, TypeError, KeyError, IndexError, RuntimeError) as exc:
        return CheckResult.simple(spec.id, spec.points, "invalid",
                                  f"{spec.answer_name} could not be graded: {exc}").to_dict()
    try:
        with _budget(CHECK_SECONDS):
            result = check(exercise_id, answer, device=dev, hidden=hidden, student=student,
                           course=course)
    except Exception as exc:  # noqa: BLE001  (check() catches the answer's errors; this is ours)
        raise _GraderFailed(CheckResult.simple(
            spec.id, spec.points, "error", f"The grader failed on this answer "
            f"({type(exc).__name__}); tell your instructor.").to_dict()) from None
    return sanitize_dict(result.to_dict())


def _signal_text(sig: str) -> str:
    return {"SIGSEGV": "crashed with a segmentation fault", "SIGABRT": "aborted (SIGABRT)",
            "SIGBUS": "crashed with a bus error", "SIGILL": "crashed (illegal instruction)",
            "SIGFPE": "crashed (floating-point exception)", "SIGXCPU": "used up its CPU time",
            "SIGKILL": "was killed (SIGKILL)", "SIGXFSZ": "wrote a file over the size limit",
            "SIGTERM": "was terminated (SIGTERM)"}.get(sig, f"was stopped by {sig}")


def stop_reason(run: Run, timeout: float) -> tuple[str, str]:
    """(status, sentence) for exercises the run never reached."""
    cell, line = run.cell or 0, str(run.line or "").strip()
    where = f" in cell {cell}" if cell else ""
    where += f" (the cell starting `{line[:60]}`)" if cell and line else ""
    status = run.status
    exit_ = run.exit or {}
    if status == "fatal":
        return "error", f"The notebook could not be read: {run.fatal}."
    if status == "timeout" or exit_.get("signal") == "SIGXCPU":
        return "timeout", (f"The notebook was still running{where} after the {timeout:g} s "
                           "limit, so this answer was never reached. Look for a loop that "
                           "does not end.")
    if status == "nproc":
        return "error", (f"The notebook started too many processes{where} (a fork bomb?), "
                         "so it was stopped before this answer was reached.")
    if status == "worker":
        return "error", ("The grader's sandbox stopped while running this notebook (the "
                         f"notebook's code may have killed it){where}.")
    if "signal" in exit_:
        what = _signal_text(str(exit_["signal"]))
    elif exit_.get("code") not in (None, 0):
        what = f"exited with code {exit_['code']} (os._exit or a crash)"
    else:
        what = "stopped early"
    return "error", (f"The notebook's Python process {what}{where}, before this answer was "
                     "reached. Run the notebook from the top in a fresh kernel to find it.")


def unreached(exercise_id: str, run: Run, timeout: float) -> dict[str, Any]:
    return simple(exercise_id, *stop_reason(run, timeout))


def simple(exercise_id: str, status: str, *text: str) -> dict[str, Any]:
    from convdojo import specs
    from convdojo.checks import CheckResult

    spec = specs.get(exercise_id)
    return CheckResult.simple(spec.id, spec.points, status, *text).to_dict()
