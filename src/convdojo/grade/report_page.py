"""report.html: the class report as one self-contained page, plots drawn by matplotlib.

matplotlib is imported here, lazily (never by ``import convdojo``), with the Agg backend;
figures are inlined as SVG, so the page loads nothing and works offline.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any

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


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None,
                                                          "Type": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE: inlined in HTML


def _plots(report: ClassReport) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    matplotlib.rcParams["svg.hashsalt"] = "convdojo"  # the same page for the same grades
    matplotlib.rcParams["svg.fonttype"] = "none"  # text as text: smaller, and fast to draw
    exs = report.exercises
    cols = min(4, max(1, len(exs)))
    rows = (len(exs) + cols - 1) // cols
    fig = Figure(figsize=(2.6 * cols, 1.9 * rows + 0.3))
    for i, st in enumerate(exs):
        ax = fig.add_subplot(rows, cols, i + 1)
        top = st.max_score or 1
        bins = [top * j / 10 for j in range(11)]
        clipped = [min(max(s, 0.0), top) for s in st.scores]
        ax.hist(clipped, bins=bins, color=_GREEN, edgecolor="white")
        ax.set_title(st.exercise_id, fontsize=9)
        ax.set_xlim(0, top)
        ax.set_xticks([0, top / 2, top])
        ax.yaxis.set_major_locator(MaxNLocator(3, integer=True))
        ax.tick_params(labelsize=7)
        ax.axvline(st.median, color=_ORANGE, linewidth=1.2)
    fig.suptitle("Scores per exercise (orange line: median)", fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=1 - 0.5 / fig.get_figheight(),
                        hspace=0.6, wspace=0.3)
    scores = _svg(fig)
    ranked = report.misconceptions[:15]
    if not ranked:
        return scores, ""
    fig = Figure(figsize=(8, 0.3 * len(ranked) + 1.0))
    ax = fig.add_subplot(1, 1, 1)
    ax.barh([m.code for m in reversed(ranked)], [len(m.students) for m in reversed(ranked)],
            color=_ORANGE)
    ax.set_xlabel("students", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.set_title("Misconceptions, by number of students", fontsize=10)
    ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    fig.subplots_adjust(left=0.32, right=0.97, bottom=0.8 / fig.get_figheight(),
                        top=1 - 0.35 / fig.get_figheight())
    return scores, _svg(fig)


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
