"""report.html: the class report as one self-contained page, its plots inline SVG.

The plots are a few bars each, written as SVG here rather than drawn by a plotting
library: the page loads nothing, works offline, and costs the grader no import.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .class_report import ClassReport

__all__ = ["render"]

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f7f9;
color:#1d2327}main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px}
.sub{color:#555;margin:0 0 12px}table{border-collapse:collapse;background:#fff;width:100%;
margin:6px 0}th,td{border:1px solid #dde1e6;padding:5px 8px;text-align:left;
vertical-align:top}th{background:#eef1f4}td.n{text-align:right;white-space:nowrap}
.card{background:#fff;border:1px solid #dde1e6;border-left:6px solid #D55E00;
border-radius:6px;padding:10px 14px;margin:0 0 12px}.card h3{margin:0 0 4px;font-size:16px}
.note{background:#f0f7f4;padding:6px 10px;border-radius:4px;margin:6px 0}
.ex{color:#444;font-size:13px}.plot svg{max-width:100%;height:auto}code{font-size:13px}
.none{color:#555;font-style:italic}
"""

_ORANGE, _GREEN, _GREY = "#D55E00", "#009E73", "#999999"


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "middle",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}">{html.escape(text)}</text>')


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{html.escape(label)}" '
            f'font-family="system-ui,sans-serif" fill="#1d2327">{"".join(body)}</svg>')


def _histograms(report: ClassReport) -> str:
    """Small multiples: each exercise's scores in ten bins, its median as an orange line."""
    exs = report.exercises
    cols = min(4, max(1, len(exs)))
    rows = (len(exs) + cols - 1) // cols
    cell_w, cell_h, pad = 240, 150, 30
    body = [_text(cols * cell_w / 2, 18, "Scores per exercise (orange line: median)", 13)]
    for i, st in enumerate(exs):
        x0, y0 = (i % cols) * cell_w + pad, 30 + (i // cols) * cell_h + 22
        w, h = cell_w - 2 * pad, cell_h - 60
        top = st.max_score or 1
        counts = [0] * 10
        for score in st.scores:
            counts[min(9, max(0, int(10 * min(max(score, 0.0), top) / top)))] += 1
        peak = max(counts) or 1
        body.append(_text(x0 + w / 2, y0 - 6, st.exercise_id, 11))
        for j, c in enumerate(counts):
            bh = h * c / peak
            body.append(f'<rect x="{x0 + j * w / 10 + 0.5:.1f}" y="{y0 + h - bh:.1f}" '
                        f'width="{w / 10 - 1:.1f}" height="{bh:.1f}" fill="{_GREEN}">'
                        f"<title>{c} students</title></rect>")
        mx = x0 + w * min(max(st.median, 0.0), top) / top
        body.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{y0:.1f}" y2="{y0 + h:.1f}" '
                    f'stroke="{_ORANGE}" stroke-width="1.5"/>')
        body.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{y0 + h}" y2="{y0 + h}" '
                    f'stroke="{_GREY}"/>')
        for frac in (0.0, 0.5, 1.0):
            body.append(_text(x0 + w * frac, y0 + h + 13, _fmt(top * frac), 9))
        body.append(_text(x0 - 4, y0 + 8, str(peak), 9, "end"))
    return _svg(cols * cell_w, 30 + rows * cell_h, "Scores per exercise", body)


def _bars(report: ClassReport) -> str:
    """The most common misconceptions, by number of students."""
    ranked = report.misconceptions[:15]
    if not ranked:
        return ""
    left, width, row = 250, 520, 22
    peak = max(len(m.students) for m in ranked) or 1
    body = [_text((left + width) / 2 + 20, 18, "Misconceptions, by number of students", 13)]
    for i, m in enumerate(ranked):
        y = 32 + i * row
        bw = width * len(m.students) / peak
        body.append(_text(left - 8, y + 14, m.code, 11, "end"))
        body.append(f'<rect x="{left}" y="{y + 3}" width="{bw:.1f}" height="{row - 6}" '
                    f'fill="{_ORANGE}"><title>{len(m.students)} students</title></rect>')
        body.append(_text(left + bw + 6, y + 15, str(len(m.students)), 11, "start"))
    height = 32 + len(ranked) * row + 24
    body.append(_text(left + width / 2, height - 6, "students", 10))
    return _svg(left + width + 60, height, "Misconceptions by number of students", body)


def _plots(report: ClassReport) -> tuple[str, str]:
    return _histograms(report), _bars(report)


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _exercise_table(report: ClassReport) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(s.exercise_id)}</code> {html.escape(s.title)}</td>"
        f'<td class="n">{s.n}</td><td class="n">{_pct(s.pass_rate)}</td>'
        f'<td class="n">{_fmt(s.median)} / {_fmt(s.max_score)}</td>'
        f'<td class="n">{_pct(s.unanswered_share)}</td></tr>' for s in report.exercises)
    return ("<table><tr><th>exercise</th><th>students</th><th>pass rate</th><th>median</th>"
            f"<th>unanswered</th></tr>{rows}</table>")


def _misconception_cards(report: ClassReport) -> str:
    esc = html.escape
    if not report.misconceptions:
        return '<p class="none">No misconception was recognised in this run.</p>'
    cards = []
    for m in report.misconceptions:
        where = ", ".join(f"<code>{esc(ex)}</code> ({len(who)})"
                          for ex, who in sorted(m.by_exercise.items(),
                                                key=lambda kv: (-len(kv[1]), kv[0])))
        examples = "".join(f"<li><strong>{esc(e.student_id)}</strong>, <code>"
                           f"{esc(e.exercise_id)}</code>: {esc(e.text)}</li>"
                           for e in m.examples)
        cards.append(
            f'<section class="card" data-code="{esc(m.code)}"><h3>{esc(m.title)} '
            f'<code>{esc(m.code)}</code>: <span class="count">{len(m.students)}</span> '
            f"students</h3><div>In {where}</div>"
            f'<div class="note"><strong>To revisit:</strong> {esc(m.note)}</div>'
            f'<ul class="ex">{examples}</ul></section>')
    return "".join(cards)


def _help_table(report: ClassReport) -> str:
    esc = html.escape
    if not report.help:
        return '<p class="none">Nobody.</p>'
    rows = "".join(
        f'<tr><td><a href="{esc(s.page)}">{esc(s.student_id)}</a></td>'
        f'<td class="n">{_fmt(s.score)} / {_fmt(s.max_score)}</td>'
        f"<td>{', '.join(f'<code>{esc(c)}</code>' for c in sorted(s.codes))}</td></tr>"
        for s in report.help)
    return f"<table><tr><th>student</th><th>score</th><th>misconceptions</th></tr>{rows}</table>"


def _problems(report: ClassReport) -> str:
    esc = html.escape
    runs = ('<p class="none">None: every notebook ran.</p>' if not report.problems else
            "<table><tr><th>student</th><th>what happened</th><th>detail</th></tr>" + "".join(
                f'<tr><td><a href="{esc(p.page)}">{esc(p.student_id)}</a></td>'
                f"<td>{esc(p.kind)}</td><td>{esc(p.detail)}</td></tr>" for p in report.problems)
            + "</table>")
    if report.suspects is None:
        sus = ('<p class="none">No gradebook comparison in this folder (run convdojo grade '
               "with --gradebook URL to compare).</p>")
    elif not report.suspects:
        sus = '<p class="none">Gradebook compared: no suspected tampering.</p>'
    else:
        sus = ("<table><tr><th>student</th><th>exercise</th><th>nbgrader</th><th>convdojo</th>"
               "</tr>" + "".join(
                   f"<tr><td>{esc(s.student_id)}</td><td><code>{esc(s.exercise_id)}</code></td>"
                   f'<td class="n">{_fmt(s.nbgrader_score)}</td><td class="n">'
                   f"{_fmt(s.convdojo_score)} / {_fmt(s.max_score)}</td></tr>"
                   for s in report.suspects) + "</table>")
    copies = ('<p class="none">None: no answers fit another student\'s variant.</p>'
              if not report.copies else
              "<table><tr><th>student</th><th>answers fit the variant of</th><th>evidence</th>"
              "</tr>" + "".join(
                  f'<tr><td><a href="{esc(c.page)}">{esc(c.student_id)}</a></td>'
                  f"<td>{esc(c.other)}</td><td>{esc(c.evidence)}</td></tr>"
                  for c in report.copies) + "</table>")
    return (f"<h2>Runs that went wrong</h2>{runs}"
            f"<h2>Suspected tampering (nbgrader's score above convdojo's)</h2>{sus}"
            f"<h2>Answers that fit another student's variant</h2>{copies}")


def render(report: ClassReport) -> str:
    """The whole page."""
    esc = html.escape
    scores, ranked = _plots(report)
    n = len(report.students)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Class report: {esc(report.title or report.assignment)}</title>"
        f"<style>{_CSS}</style></head><body><main>"
        f"<h1>Class report: {esc(report.title or report.assignment)}</h1>"
        f'<p class="sub">{n} students, {len(report.exercises)} autograded exercises; '
        f"generated {esc(report.generated)}.</p>"
        f'<h2>Exercises</h2>{_exercise_table(report)}<div class="plot">{scores}</div>'
        f'<h2>Misconceptions</h2><div class="plot">{ranked}</div>'
        f"{_misconception_cards(report)}"
        f"<h2>Students who need help</h2><p class=\"sub\">Under "
        f"{_pct(0.5)} of the points, among the lowest scores, or showing three or more "
        f"misconceptions.</p>{_help_table(report)}"
        f"{_problems(report)}</main></body></html>\n")
