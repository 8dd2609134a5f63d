"""Formulas in feedback are typeset: LaTeX in Jupyter, MathML in HTML; plain text elsewhere."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from torch import nn

from convdojo import check, maths

LINE = ("H and W: expected 32, got 31. Your nn.Conv2d gives "
        "floor((64 + 2*1 - 1*(5-1) - 1) / 2) + 1 = 31.")
MATHML = "{http://www.w3.org/1998/Math/MathML}"


def test_formulas_are_found_with_their_tail() -> None:
    pieces = maths.segments(LINE)
    assert [f for f, _ in pieces] == [False, True, False]
    assert pieces[1][1] == "floor((64 + 2*1 - 1*(5-1) - 1) / 2) + 1 = 31"
    assert maths.segments("ceil((5 + 2*0 - 1*(2-1) - 1) / 2) + 1 - 1 = 3 (x)")[0][1] == \
        "ceil((5 + 2*0 - 1*(2-1) - 1) / 2) + 1 - 1 = 3"
    assert maths.segments("no formula here") == [(False, "no formula here")]


def test_latex_is_a_floor_of_a_fraction() -> None:
    tex = maths.latex("floor((H + 2·padding_px − 5) / 2) + 1")
    assert tex == (r"\left\lfloor \frac{H + 2 \cdot  \text{padding\_px} - 5}{2} \right\rfloor"
                   " + 1")
    assert maths.latex("ceil((5 - 2) / 2) + 1").startswith(r"\left\lceil \frac{5 - 2}{2}")


def test_mathml_is_well_formed_with_the_fraction_and_floor() -> None:
    ml = maths.mathml("floor((64 + 2*1 - 1*(5-1) - 1) / 2) + 1 = 31")
    root = ET.fromstring(ml.replace("<math ", f'<math xmlns="{MATHML[1:-1]}" ', 1))
    frac = root.find(f".//{MATHML}mfrac")
    assert frac is not None and "".join(frac[1].itertext()) == "2"
    assert [mo.text for mo in root.iter(f"{MATHML}mo")][0] == "⌊"
    assert root.get("alttext") == "floor((64 + 2*1 - 1*(5-1) - 1) / 2) + 1 = 31"


def test_self_check_renders_math_but_its_text_stays_plain() -> None:
    result = check("stride", nn.Conv2d(3, 3, 5, stride=2, padding=1))
    assert "floor((64 + 2*1 - 1*(5-1) - 1) / 2) + 1 = 31" in str(result)
    assert "<math" not in str(result) and "$" not in str(result)
    assert "<math" in result._repr_html_() and "<mfrac>" in result._repr_html_()
    md = result._repr_markdown_()
    assert r"$\left\lfloor \frac{64 + 2 \cdot  1" in md


def test_feedback_pages_use_mathml_and_keep_code_spans() -> None:
    from convdojo.grade import report

    out = report._text("The cell starting `while True:` gives floor((7 - 3) / 1) + 1 = 5.")
    assert "<code>while True:</code>" in out and "<math" in out and "<mfrac>" in out
    assert report._text("a < b & c") == "a &lt; b &amp; c"
