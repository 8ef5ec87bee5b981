"""Formulas learners read: fill an op-table template with names, render LaTeX to MathML."""

from __future__ import annotations

import re
from functools import lru_cache

from engine.ops import Formula

_PLACEHOLDER = re.compile(r"\$([a-z]+)")
_SIMPLE = re.compile(r"^[A-Za-z]+\d*$")


def latex_name(label: str) -> str:
    """A variable name as LaTeX: x → x, w1 → w_{1}, loss_scalar → \\mathrm{loss\\_scalar}."""
    m = re.fullmatch(r"([A-Za-z])(\d+)", label)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    if re.fullmatch(r"[A-Za-z]", label):
        return label
    if _SIMPLE.match(label) or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", label):
        return r"\mathrm{" + label.replace("_", r"\_") + "}"
    escaped = re.sub(r"([_{}#%&$^\\])", r"\\\1", label)
    return r"(\text{" + escaped + "})"


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


@lru_cache(maxsize=4096)
def mathml(latex: str) -> str:
    """LaTeX → MathML (display inline); falls back to escaped text if the converter refuses."""
    from latex2mathml.converter import convert
    try:
        return convert(latex)
    except Exception:  # noqa: BLE001 - a formula must never break a trace
        from html import escape
        return f'<math><mtext>{escape(latex)}</mtext></math>'


def formula(latex: str, text: str) -> dict:
    return {"latex": latex, "mathml": mathml(latex), "text": text}


def partial(num: str, den: str) -> str:
    """∂num/∂den as LaTeX."""
    return rf"\frac{{\partial {latex_name(num)}}}{{\partial {latex_name(den)}}}"
