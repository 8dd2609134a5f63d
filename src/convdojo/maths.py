"""Typeset the output-size formulas in feedback: LaTeX for Jupyter, MathML for HTML pages.

Feedback lines stay plain text (terminals, CSV, grades.json). Rendering finds each
``floor(...)`` or ``ceil(...)`` formula in a line, with its ``+ 1`` and ``= 31``, and sets
it as math: ``$\\left\\lfloor\\frac{…}{…}\\right\\rfloor + 1 = 31$`` for JupyterLab's
MathJax, or ``<math>`` MathML, which browsers render without any script or download.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

__all__ = ["segments", "latex", "mathml", "markdown_line", "html_line"]

_START = re.compile(r"\b(floor|ceil)\(")
_TAIL = re.compile(r"(\s*[+\-−]\s*\d+)*(\s*=\s*-?\d+)?")
_TOKEN = re.compile(r"\s*(\d+|[A-Za-z_][A-Za-z_]*|[−\-+*·/()=<>])")


def _close(text: str, start: int) -> int:
    """The index just after the parenthesis that closes the one at ``start - 1``."""
    depth = 1
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return -1


def segments(line: str) -> list[tuple[bool, str]]:
    """The line cut into (is_formula, text) pieces, in order."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for match in _START.finditer(line):
        if match.start() < pos:
            continue
        end = _close(line, match.end())
        if end < 0:
            break
        end = _TAIL.match(line, end).end()  # type: ignore[union-attr]
        out += [(False, line[pos:match.start()]), (True, line[match.start():end])]
        pos = end
    out.append((False, line[pos:]))
    return [(f, t) for f, t in out if t]


def _split_top(inner: str) -> tuple[str, str] | None:
    """``(A) / B`` at the top level of a floor's argument, as (A, B)."""
    depth = 0
    for i, ch in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "/" and depth == 0:
            a, b = inner[:i].strip(), inner[i + 1:].strip()
            if a.startswith("(") and _close(a, 1) == len(a):
                a = a[1:-1]
            return a, b
    return None


def _render(formula: str, frac: Callable[[str, str, str], str],
            tokens: Callable[[str], str]) -> str:
    match = _START.match(formula)
    assert match is not None
    end = _close(formula, match.end())
    inner, rest = formula[match.end():end - 1], formula[end:]
    parts = _split_top(inner)
    body = frac(match.group(1), *parts) if parts else frac(match.group(1), inner, "")
    return body + tokens(rest)


def _tex_tokens(text: str) -> str:
    words = {"*": r"\cdot ", "·": r"\cdot ", "−": "-"}
    out = []
    for tok in _TOKEN.findall(text):
        if (tok[0].isalpha() or tok[0] == "_") and len(tok) > 1:
            escaped = tok.replace("_", "\\_")
            out.append(rf"\text{{{escaped}}}")
        else:
            out.append(words.get(tok, tok))
    return " ".join(out)


def latex(formula: str) -> str:
    def frac(kind: str, a: str, b: str) -> str:
        left, right = (r"\lfloor", r"\rfloor") if kind == "floor" else (r"\lceil", r"\rceil")
        inner = rf"\frac{{{_tex_tokens(a)}}}{{{_tex_tokens(b)}}}" if b else _tex_tokens(a)
        return rf"\left{left} {inner} \right{right}"
    return _render(formula, frac, lambda rest: " " + _tex_tokens(rest) if rest.strip() else "")


def _ml_tokens(text: str) -> str:
    out = []
    for tok in _TOKEN.findall(text):
        if tok.isdigit():
            out.append(f"<mn>{tok}</mn>")
        elif tok[0].isalpha() or tok[0] == "_":
            variant = ' mathvariant="normal"' if len(tok) > 1 else ""
            out.append(f"<mi{variant}>{html.escape(tok)}</mi>")
        else:
            op = {"*": "·", "-": "−"}.get(tok, tok)
            out.append(f"<mo>{html.escape(op)}</mo>")
    return "".join(out)


def mathml(formula: str) -> str:
    def frac(kind: str, a: str, b: str) -> str:
        left, right = ("⌊", "⌋") if kind == "floor" else ("⌈", "⌉")
        inner = (f"<mfrac><mrow>{_ml_tokens(a)}</mrow><mrow>{_ml_tokens(b)}</mrow></mfrac>"
                 if b else _ml_tokens(a))
        return f'<mo fence="true">{left}</mo>{inner}<mo fence="true">{right}</mo>'
    body = _render(formula, frac, _ml_tokens)
    alt = html.escape(formula, quote=True)
    return f'<math alttext="{alt}"><mrow>{body}</mrow></math>'


def markdown_line(line: str) -> str:
    """A feedback line as Markdown: formulas as $LaTeX$, the rest escaped."""
    def text(t: str) -> str:
        return re.sub(r"([\\`*_\[\]<>#$|])", r"\\\1", t)
    return "".join(f"${latex(t)}$" if is_formula else text(t) for is_formula, t in
                   segments(line))


def html_line(line: str, text: Callable[[str], str] = html.escape) -> str:
    """A feedback line as HTML: formulas as MathML, the rest through ``text``."""
    return "".join(mathml(t) if is_formula else text(t) for is_formula, t in segments(line))
