"""The batch's outputs: grades.csv, grades.json and one self-contained HTML page per student."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from pathlib import Path
from typing import Any

from .class_report import write_report
from .journal import atomic_write

__all__ = ["write_all", "page", "safe_name", "CSV_COLUMNS"]

CSV_COLUMNS = ["student_id", "exercise_id", "score", "max_score", "status", "feedback"]
_COLOURS = {"passed": "#009E73", "failed": "#D55E00", "timeout": "#CC79A7",
            "error": "#CC79A7"}
_LABELS = {"passed": "passed", "failed": "not yet", "unanswered": "not answered",
           "invalid": "cannot be checked", "error": "could not be graded",
           "timeout": "timed out"}


def safe_name(student_id: str) -> str:
    """A file name for a student's page (ids are folder names, but be careful anyway)."""
    name = re.sub(r"[^A-Za-z0-9._@+-]", "_", student_id).lstrip(".")[:100] or "student"
    if name != student_id:  # two ids must never share a page
        name += "-" + hashlib.sha1(student_id.encode()).hexdigest()[:8]
    return name


def _fmt(value: float) -> str:
    return f"{value:g}"


def _csv(records: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rec in records:
        for r in rec["results"]:
            writer.writerow([rec["student_id"], r["exercise_id"], _fmt(r["score"]),
                             _fmt(r["max_score"]), r["status"],
                             " | ".join(str(line) for line in r.get("feedback", []))])
    return out.getvalue().encode("utf-8")


def _json(records: list[dict[str, Any]], meta: dict[str, Any]) -> bytes:
    students = []
    for rec in records:
        students.append({
            "student_id": rec["student_id"],
            "score": sum(r["score"] for r in rec["results"]),
            "max_score": sum(r["max_score"] for r in rec["results"]),
            "run": rec.get("run", {}),
            "notes": rec.get("notes", []),
            "exercises": rec["results"],
        })
    return json.dumps({**meta, "students": students}, indent=1,
                      ensure_ascii=False).encode("utf-8")


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f7f9;
color:#1d2327}main{max-width:820px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}.sub{color:#555;margin:0 0 18px}
.total{font-size:18px;font-weight:600;margin:0 0 18px}
.ex{background:#fff;border:1px solid #dde1e6;border-left:6px solid #E69F00;border-radius:6px;
padding:10px 14px;margin:0 0 12px}.ex h2{font-size:16px;margin:0 0 4px;display:flex;
justify-content:space-between;gap:12px}.ex .pts{white-space:nowrap;font-weight:600}
.ex .st{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#555}
.ex ul{margin:6px 0 0 0;padding-left:20px}.ex li{margin:2px 0}
.notes{background:#fff8e6;border:1px solid #f0d9a0;border-radius:6px;padding:10px 14px;
margin:18px 0}.notes h2{font-size:15px;margin:0 0 4px}
footer{color:#666;font-size:13px;margin-top:20px}code{font-size:13px}
"""


def _text(line: object) -> str:
    """Escaped, with `code spans` (cell first lines) set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(str(line)))


def page(rec: dict[str, Any], meta: dict[str, Any]) -> str:
    """One student's feedback page: every result with the feedback the self-check gives."""
    esc = html.escape
    score = sum(r["score"] for r in rec["results"])
    total = sum(r["max_score"] for r in rec["results"])
    titles = meta.get("titles", {})
    cards = []
    for r in rec["results"]:
        colour = _COLOURS.get(r["status"], "#E69F00")
        items = "".join(f"<li>{_text(line)}</li>" for line in r.get("feedback", []))
        cards.append(
            f'<section class="ex" style="border-left-color:{colour}">'
            f'<h2><span>{esc(titles.get(r["exercise_id"], r["exercise_id"]))} '
            f'<code>{esc(r["exercise_id"])}</code></span>'
            f'<span class="pts">{_fmt(r["score"])} / {_fmt(r["max_score"])}</span></h2>'
            f'<div class="st">{esc(_LABELS.get(r["status"], r["status"]))}</div>'
            f"<ul>{items}</ul></section>")
    notes = rec.get("notes") or []
    note_html = ("" if not notes else '<section class="notes"><h2>While running your '
                 "notebook</h2><ul>" + "".join(f"<li>{_text(n)}</li>" for n in notes)
                 + "</ul></section>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(meta.get('title', ''))}: {esc(rec['student_id'])}</title>"
        f"<style>{_CSS}</style></head><body><main>"
        f"<h1>{esc(meta.get('title', meta.get('assignment', '')))}</h1>"
        f'<p class="sub">Feedback for <strong>{esc(rec["student_id"])}</strong></p>'
        f'<p class="total">Autograded score: {_fmt(score)} / {_fmt(total)}</p>'
        + "".join(cards) + note_html +
        "<footer>Each result comes from the same checks as the notebook's self-check "
        "cells, run by the grader with extra hidden inputs; hidden inputs are described, "
        "never shown. Written answers are graded separately."
        f"<br>Graded {esc(str(rec.get('graded_at', '')))}.</footer></main></body></html>\n")


def write_all(out: Path, records: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    """Regenerate every output from the journal's records, each file atomically."""
    records = sorted(records, key=lambda r: r["student_id"])
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    pages = {f"{safe_name(rec['student_id'])}.html": rec for rec in records}
    for name, rec in pages.items():
        atomic_write(out / "feedback" / name, page(rec, meta).encode("utf-8"))
    for old in (out / "feedback").glob("*.html"):  # students no longer in the batch
        if old.name not in pages:
            old.unlink()
    atomic_write(out / "grades.json", _json(records, meta))
    atomic_write(out / "grades.csv", _csv(records))
    write_report(out)  # report.html + misconceptions.csv, from the grades.json just written
