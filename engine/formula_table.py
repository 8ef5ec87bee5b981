"""A trace's formulas in one compact form: MathML pieces stored once, steps list their indices.

The formulas of a trace repeat their pieces: every edge's chain-rule product holds the ∂L/∂out
fraction of the step before and the ∂out/∂in fraction of its own local derivative; operators,
the <math><mrow> wrapper and small numbers recur on every step. The trace carries each distinct
piece once, in `Trace.math`, and each formula as `{"mathml": [indices], "text": "..."}`: its
MathML is the pieces at those indices joined, a string in the list standing for a decimal
number, `<mn>string</mn>` (decimals seldom repeat: an index would only add a table entry)
(static/js/mathml.js `mathmlOf`), the same string
the timeline built. LaTeX is not sent: no renderer paints it (the page paints MathML, the SVG
export, CLI and notebook the plain `text`). On a 2,400-node chain this takes the formulas from
~1.2 KB to ~0.2 KB per node (bench/trace_bytes.py).

Pieces: the top-level elements of the formula's row, each fraction split into its tags and its
numerator and denominator (the rows `∂y4` and `∂y3` recur where the fraction does not). A string
that is not of that form (escaped plain text, a formula converted whole) is one piece.
"""

from __future__ import annotations

import re
from html import escape

from chainrule.engine.formula import MATH_ROW_CLOSE, MATH_ROW_OPEN

_TAG = re.compile(r"<[^>]*>|[^<]+")   # MathML as the formula module writes it: text escaped
_FRAC_OPEN, _FRAC_CLOSE = "<mfrac>", "</mfrac>"
_MN, _MN_END = "<mn>", "</mn>"
FORMULA_KEYS = ("formula", "chain", "accumulate")   # step fields that hold a formula


def pieces(markup: str) -> list[str]:
    """`markup` cut into pieces that, joined, give it back exactly."""
    if not (markup.startswith(MATH_ROW_OPEN) and markup.endswith(MATH_ROW_CLOSE)):
        return [markup]
    out = [MATH_ROW_OPEN]
    for element in _elements(markup[len(MATH_ROW_OPEN):-len(MATH_ROW_CLOSE)]):
        if element.startswith(_FRAC_OPEN) and element.endswith(_FRAC_CLOSE):
            inner = _elements(element[len(_FRAC_OPEN):-len(_FRAC_CLOSE)])
            out += [_FRAC_OPEN, *inner, _FRAC_CLOSE] if len(inner) == 2 else [element]
        else:
            out.append(element)
    out.append(MATH_ROW_CLOSE)
    return out if "".join(out) == markup else [markup]


def _elements(inner: str) -> list[str]:
    """The top-level elements (and text runs) of a MathML fragment, in order."""
    out: list[str] = []
    depth, start = 0, 0
    pos = 0
    for m in _TAG.finditer(inner):
        tok = m.group(0)
        pos = m.end()
        if tok.startswith("</"):
            depth -= 1
        elif tok.startswith("<") and not tok.endswith("/>"):
            depth += 1
        if depth <= 0:
            out.append(inner[start:pos])
            start, depth = pos, 0
    if start < len(inner):
        out.append(inner[start:])
    return out


class MathTable:
    """The pieces of one trace's formulas, each once; `grown` counts the JSON bytes the table
    gained (the answer budget charges them with the step that added them)."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self._index: dict[str, int] = {}
        self.grown = 0

    def refs(self, markup: str) -> list[int | str]:
        out: list[int | str] = []
        for piece in pieces(markup):
            if piece.startswith(_MN) and piece.endswith(_MN_END) and "." in piece \
                    and "<" not in piece[len(_MN):-len(_MN_END)]:
                out.append(piece[len(_MN):-len(_MN_END)])   # a decimal: rarely repeats
                continue
            k = self._index.get(piece)
            if k is None:
                k = self._index[piece] = len(self.pieces)
                self.pieces.append(piece)
                self.grown += len(piece.encode()) + 3   # quotes and a comma; escapes aside
            out.append(k)
        return out

    def compact(self, step: dict) -> None:
        """The step's formulas in the compact form (new dicts: formulas may be cached and
        shared between steps)."""
        for key in FORMULA_KEYS:
            f = step.get(key)
            if isinstance(f, dict) and isinstance(f.get("mathml"), str):
                step[key] = {"mathml": self.refs(f["mathml"]), "text": f.get("text", "")}


def mathml_of(formula: dict | None, table: list[str]) -> str:
    """A formula's MathML from either form (the page's `mathmlOf`, for Python readers)."""
    if not formula:
        return ""
    m = formula.get("mathml")
    if isinstance(m, list):
        return "".join(_MN + escape(k) + _MN_END if isinstance(k, str) else
                       table[k] if isinstance(k, int) and 0 <= k < len(table) else ""
                       for k in m)
    return m or ""
