"""The batch's outputs: grades.csv, grades.json and one self-contained HTML page per student."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

from convdojo.vocab import fmt_score as _fmt
from convdojo import maths
from convdojo.vocab import status_label

from .class_report import write_report
from .journal import atomic_write
from .progress import UNSANDBOXED
from .records import Record, storable

__all__ = ["write_all", "page", "safe_name", "CSV_COLUMNS"]

CSV_COLUMNS = ["student_id", "exercise_id", "score", "max_score", "status", "feedback"]
_COLOURS = {"passed": "#009E73", "failed": "#D55E00", "timeout": "#CC79A7",
            "error": "#CC79A7"}


def safe_name(student_id: str) -> str:
    """A file name for a student's page (ids are folder names, but be careful anyway)."""
    name = re.sub(r"[^A-Za-z0-9._@+-]", "_", student_id).lstrip(".")[:100] or "student"
    if name != student_id:  # two ids must never share a page
        name += "-" + hashlib.sha1(student_id.encode()).hexdigest()[:8]
    return name


def _csv(records: list[Record]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rec in records:
        for r in rec.results:
            writer.writerow([rec.student_id, r["exercise_id"], _fmt(r["score"]),
                             _fmt(r["max_score"]), r["status"],
                             " | ".join(str(line) for line in r.get("feedback", []))])
    return out.getvalue().encode("utf-8", "backslashreplace")


def _json(records: list[Record], meta: dict[str, Any]) -> bytes:
    students = []
    for rec in records:
        students.append({
            "student_id": rec.student_id,
            "score": sum(r["score"] for r in rec.results),
            "max_score": sum(r["max_score"] for r in rec.results),
            "run": rec.graded.run.to_json(),
            "notes": rec.graded.notes,
            "exercises": rec.results,
        })
    # One student per line: readable, and json's C encoder (indent= falls back to the
    # pure-Python one, several times slower on a class's worth of feedback).
    head = _dumps(meta)[:-1]
    rows = ",\n".join(_dumps(s) for s in students)
    sep = ", " if len(head) > 1 else ""
    return f'{head}{sep}"students": [\n{rows}\n]}}\n'.encode("utf-8")


def _dumps(obj: Any) -> str:
    try:  # the usual case: nothing to escape
        text = json.dumps(obj, ensure_ascii=False)
        text.encode("utf-8")
        return text
    except (UnicodeEncodeError, TypeError, ValueError, RecursionError):
        return json.dumps(storable(obj), ensure_ascii=False)


_CSS = (Path(__file__).parent / "feedback.css").read_text()


def _plain(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _text(line: object) -> str:
    """Escaped, with `code spans` (cell first lines) set as code and formulas as MathML."""
    return maths.html_line(str(line), _plain)


def page(rec: Record, meta: dict[str, Any]) -> str:
    """One student's feedback page: every result with the feedback the self-check gives."""
    esc = html.escape
    score = sum(r["score"] for r in rec.results)
    total = sum(r["max_score"] for r in rec.results)
    titles = meta.get("titles", {})
    cards = []
    for r in rec.results:
        colour = _COLOURS.get(r["status"], "#E69F00")
        items = "".join(f"<li>{_text(line)}</li>" for line in r.get("feedback", []))
        cards.append(
            f'<section class="ex" style="border-left-color:{colour}">'
            f'<h2><span>{esc(titles.get(r["exercise_id"], r["exercise_id"]))} '
            f'<code>{esc(r["exercise_id"])}</code></span>'
            f'<span class="pts">{_fmt(r["score"])} / {_fmt(r["max_score"])}</span></h2>'
            f'<div class="st">{esc(status_label(r["status"]))}</div>'
            f"<ul>{items}</ul></section>")
    notes = rec.graded.notes
    note_html = ("" if not notes else '<section class="notes"><h2>While running your '
                 "notebook</h2><ul>" + "".join(f"<li>{_text(n)}</li>" for n in notes)
                 + "</ul></section>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(meta.get('title', ''))}: {esc(rec.student_id)}</title>"
        f"<style>{_CSS}</style></head><body><main>"
        f"<h1>{esc(meta.get('title', meta.get('assignment', '')))}</h1>"
        f'<p class="sub">Feedback for <strong>{esc(rec.student_id)}</strong></p>'
        + ("" if meta.get("sandboxed", True) else f'<p class="unsafe">{esc(UNSANDBOXED)}.</p>')
        + f'<p class="total">Autograded score: {_fmt(score)} / {_fmt(total)}</p>'
        + "".join(cards) + note_html +
        "<footer>Each result comes from the same checks as the notebook's self-check "
        "cells, run by the grader with extra hidden inputs; hidden inputs are described, "
        "never shown. Written answers are graded separately."
        f"<br>Graded {esc(rec.graded_at)}.</footer></main></body></html>\n")


def write_all(out: Path, records: list[Record], meta: dict[str, Any]) -> None:
    """Regenerate every output from the journal's records, each file atomically.

    Only the journal must survive a crash: every run rebuilds these from it, so the
    pages are not fsynced one by one (200 fsyncs cost more than writing them)."""
    records = sorted(records, key=lambda r: r.student_id)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    pages = {f"{safe_name(rec.student_id)}.html": rec for rec in records}
    for name, rec in pages.items():
        atomic_write(out / "feedback" / name, page(rec, meta).encode("utf-8", "backslashreplace"),
                     durable=False)
    for old in (out / "feedback").glob("*.html"):  # students no longer in the batch
        if old.name not in pages:
            old.unlink()
    atomic_write(out / "grades.json", _json(records, meta))
    atomic_write(out / "grades.csv", _csv(records))
    try:  # report.html + misconceptions.csv, from the grades.json just written
        write_report(out)
    except Exception as exc:  # noqa: BLE001 - the grades are written; the report is extra
        print(f"convdojo grade: warning: the class report could not be built ({exc!r}); "
              f"rebuild it with: convdojo report {out}", file=sys.stderr)
