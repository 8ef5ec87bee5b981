"""Formulas learners read: fill an op-table template with names, render LaTeX to MathML."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any
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


def tname(label: str) -> str:
    """A name in plain-text formulas: compound source text gets parentheses (`2·(pred - y)`,
    not `2·pred - y`), as `latex_name` gives it in LaTeX."""
    return label if label.replace("_", "").isalnum() else f"({label})"


def template_names(rec: Any, label: Callable[[Any], str]) -> dict[str, str]:
    """What `$out`, `$a`, `$b` name in a record's op-row templates: its output and inputs, as
    `label` names tensors."""
    names = {"out": label(rec.output)}
    for key, t in zip("ab", rec.inputs, strict=False):
        names[key] = label(t)
    return names


def template_attrs(rec: Any) -> dict:
    """What the other `$words` of a record's templates stand for: its plain attrs, and what its
    op computes from the context (`$n`: how many elements are averaged)."""
    attrs = {k: v for k, v in rec.attrs.items() if isinstance(v, int | float | str)}
    if rec.op.extras is not None:
        attrs.update(rec.op.extras(rec.ctx()))
    return attrs


def fill(template: Formula, attrs: dict, names: dict[str, str], latex: bool) -> str:
    """Replace `$out`, `$a`, `$b` by names and other `$words` by attrs."""
    text = template(attrs) if callable(template) else template

    def sub(m: re.Match) -> str:
        key = m.group(1)
        if key in names:
            if latex:
                return latex_name(names[key])
            enclosed = text[m.start() - 1:m.start()] == "(" and text[m.end():m.end() + 1] == ")"
            return names[key] if enclosed else tname(names[key])
        if key in attrs:
            return str(attrs[key])
        return m.group(0)

    return _PLACEHOLDER.sub(sub, text)


@bounded_cache(8_000_000)
def mathml(latex: str) -> str:
    """LaTeX → MathML (compact, see `compact`); anything that is not well-formed MathML
    becomes escaped plain text. Names and numbers, most of what a big trace converts, are
    written directly (`direct`), the same MathML latex2mathml gives."""
    return direct(latex) or converted(latex)


def converted(latex: str) -> str:
    """`mathml` through latex2mathml (~1 ms a formula here)."""
    from latex2mathml.converter import convert
    try:
        out = convert(latex)
        if _only_mathml(out):
            return compact(out)
    except Exception:  # noqa: BLE001, S110 - a formula must never break a trace
        pass
    return f'<math xmlns="{MATHML_NS}"><mtext>{escape(latex)}</mtext></math>'


MATHML_NS = "http://www.w3.org/1998/Math/MathML"
# How every formula's MathML opens and closes: one top-level row (engine/timeline.py `built`
# assembles formulas from rows between these).
MATH_ROW_OPEN, MATH_ROW_CLOSE = f'<math xmlns="{MATHML_NS}"><mrow>', "</mrow></math>"

_CHAR_REF = re.compile(r"&#x([0-9A-Fa-f]+);")
_KEPT_AS_REF = frozenset('<>&"\'')
# \\mathrm{loss\\_2}: latex2mathml writes a row of one-letter upright identifiers and numbers
# (~25 bytes a character); an identifier of several characters is upright already: one <mi>.
_UPRIGHT_WORD = re.compile(
    r'<mrow>((?:<mi mathvariant="normal">[A-Za-z_]</mi>|<mn>\d+</mn>){2,})</mrow>')
_WORD_CHAR = re.compile(r">([^<]+)<")
# Not the top-level row: engine/timeline.py assembles formulas from top-level rows.
_LONE_TOKEN = re.compile(r'(?<!MathML">)<mrow>(<(mi|mn)>[^<]*</\2>)</mrow>')


_SUBSCRIPTED = re.compile(r"([A-Za-z])_\{(\d+)\}")                  # latex_name("w12")
_ROMAN = re.compile(r"\\mathrm\{((?:[A-Za-z0-9]|\\_)+)\}")              # latex_name("loss_2")
# latex2mathml reads digits followed by a TeX unit (`2cc`, `1em`) as one dimension token.
_DIMENSION = re.compile(r"\d(?:in|mm|cm|pt|em|ex|pc|bp|dd|cc|sp|mu)")
_NUMBER = re.compile(r"(-?)(\d+(?:\.\d+)?)(?:e([+-]?)(\d+))?")              # what fmt() writes


def direct(latex: str) -> str | None:
    """The compact MathML of a name (`x`, `w_{12}`, `\\mathrm{loss\\_2}`) or a number
    (`-0.25`, `6.453e-101`), written as latex2mathml writes it, without its tokenizer, tree
    and serialiser: a fresh worker's 2,400-node chain converted ~2,800 such fragments, a
    third of its trace's CPU time (issue 12). None for anything else.
    tests/engine/test_formula.py compares with `converted` on generated names and numbers."""
    if len(latex) == 1 and latex.isascii() and latex.isalpha():
        inner = f"<mi>{latex}</mi>"
    elif (m := _SUBSCRIPTED.fullmatch(latex)) is not None:
        inner = f"<msub><mi>{m.group(1)}</mi><mn>{m.group(2)}</mn></msub>"
    elif (m := _ROMAN.fullmatch(latex)) is not None and not _DIMENSION.search(latex):
        name = m.group(1).replace("\\_", "_")
        inner = f"<mi>{name}</mi>" if len(name) > 1 else \
            f'<mrow><mi mathvariant="normal">{name}</mi></mrow>'
    elif (m := _NUMBER.fullmatch(latex)) is not None:
        sign, digits, exp_sign, exp = m.groups()
        inner = ("<mo>−</mo>" if sign else "") + f"<mn>{digits}</mn>"
        if exp is not None:
            inner += "<mi>e</mi>" + {"-": "<mo>−</mo>", "+": "<mo>+</mo>", "": ""}[exp_sign] + \
                f"<mn>{exp}</mn>"
    else:
        return None
    return MATH_ROW_OPEN + inner + MATH_ROW_CLOSE


def _char(m: re.Match) -> str:
    c = chr(int(m.group(1), 16))
    return m.group(0) if c in _KEPT_AS_REF or not c.isprintable() and c != "\xa0" else c


def compact(markup: str) -> str:
    """The same MathML in fewer bytes (formulas were ~0.8 KB of a trace's ~2.7 KB per node,
    issue 12): latex2mathml's `display="inline"` is MathML's default; a character reference
    (`&#x02202;`, 9 bytes) is the character itself (∂, 3 bytes in UTF-8; markup characters
    and invisible ones stay references); an <mrow> around one <mi> or <mn> is that element
    (MathML: a one-element row is equivalent to its element; operators keep their rows, whose
    position decides an operator's spacing; the top-level row stays); `\\mathrm{h1\\_2}`'s row
    of one-character upright identifiers and numbers is one identifier, <mi>h1_2</mi> (an
    <mi> of several characters is drawn upright)."""
    markup = markup.replace(' display="inline"', "", 1)
    markup = _CHAR_REF.sub(_char, markup)
    markup = _UPRIGHT_WORD.sub(_one_identifier, markup)
    return _LONE_TOKEN.sub(r"\1", markup)


def _one_identifier(m: re.Match) -> str:
    return "<mi>" + "".join(_WORD_CHAR.findall(m.group(1))) + "</mi>"


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
