"""Formulas learners read: fill an op-table template with names, render LaTeX to MathML."""

from __future__ import annotations

import re
from html import escape
from xml.etree import ElementTree

from chainrule.engine.bounded_cache import bounded_cache
from chainrule.engine.ops import Formula

_PLACEHOLDER = re.compile(r"\$([a-z]+)")
_SIMPLE = re.compile(r"^[A-Za-z]+\d*$")


@bounded_cache(2_000_000)   # a pure function of the label, asked for ~4x per backward edge
def latex_name(label: str) -> str:
    """A variable name as LaTeX: x → x, w1 → w_{1}, loss_scalar → \\mathrm{loss\\_scalar}."""
    m = re.fullmatch(r"([A-Za-z])(\d+)", label)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", label):
        return label
    if _SIMPLE.match(label) or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", label):
        return r"\mathrm{" + label.replace("_", r"\_") + "}"
    return r"(\text{" + text_safe(label) + "})"


def text_safe(label: str) -> str:
    """Label text for inside \\text{}: LaTeX specials dropped, XML specials as entities
    (latex2mathml copies \\text content verbatim into the MathML)."""
    kept = re.sub(r"[{}\\$%#^~]", "", label)
    return kept.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fill(template: Formula, attrs: dict, names: dict[str, str], latex: bool) -> str:
    """Replace `$out`, `$a`, `$b` by names and other `$words` by attrs."""
    text = template(attrs) if callable(template) else template

    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key in names:
            return latex_name(names[key]) if latex else names[key]
        if key in attrs:
            return str(attrs[key])
        return m.group(0)

    return _PLACEHOLDER.sub(sub, text)


@bounded_cache(8_000_000)
def mathml(latex: str) -> str:
    """LaTeX → MathML; anything that is not well-formed MathML becomes escaped plain text."""
    from latex2mathml.converter import convert
    try:
        out = convert(latex)
        if _only_mathml(out):
            return out
    except Exception:  # noqa: BLE001, S110 - a formula must never break a trace
        pass
    return f'<math xmlns="{MATHML_NS}"><mtext>{escape(latex)}</mtext></math>'


MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MATHML_TAGS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "mfrac", "msup", "msub", "msubsup",
    "msqrt", "mroot", "mover", "munder", "munderover", "mstyle", "mpadded", "mphantom",
    "menclose", "mtable", "mtr", "mtd", "semantics", "annotation",
})


def _only_mathml(markup: str) -> bool:
    """Well-formed XML whose every element is a MathML presentation element."""
    try:
        root = ElementTree.fromstring(markup)
    except ElementTree.ParseError:
        return False
    prefix = "{" + MATHML_NS + "}"
    return all(el.tag.startswith(prefix) and el.tag[len(prefix):] in MATHML_TAGS
               for el in root.iter())


def formula(latex: str, text: str) -> dict:
    return {"latex": latex, "mathml": mathml(latex), "text": text}


def partial(num: str, den: str) -> str:
    """∂num/∂den as LaTeX."""
    return rf"\frac{{\partial {latex_name(num)}}}{{\partial {latex_name(den)}}}"
