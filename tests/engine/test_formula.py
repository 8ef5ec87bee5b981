"""Formulas: names become LaTeX safely, and the MathML sent to the page is MathML only."""

from pathlib import Path
from xml.etree import ElementTree

import pytest
from chainrule.engine.formula import MATHML_NS, MATHML_TAGS, fill, latex_name, mathml
from chainrule.engine.formula_table import mathml_of
from chainrule.engine.trace import trace_program

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "app" / "examples").glob("*.py"))


def mathml_tags(markup: str) -> set[str]:
    root = ElementTree.fromstring(markup)
    return {el.tag.removeprefix("{" + MATHML_NS + "}") for el in root.iter()}


@pytest.mark.parametrize("label", ["<img src=x onerror=alert(1)>", "a & b", "x}{\\evil", "$x$"])
def test_hostile_labels_stay_text(label):
    markup = mathml(latex_name(label) + "^{2}")
    assert mathml_tags(markup) <= MATHML_TAGS
    assert "<img" not in markup


def test_malformed_latex_falls_back_to_text():
    assert mathml_tags(mathml(r"\frac{a}{")) == {"math", "mtext"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_formula_of_every_example_is_mathml(path):
    trace = trace_program(path.read_text()).to_dict()
    steps = trace["steps"]
    seen = 0
    for step in steps:
        for key in ("formula", "chain", "accumulate"):
            if step.get(key):
                markup = mathml_of(step[key], trace["math"])   # the compact form, joined
                assert mathml_tags(markup) <= MATHML_TAGS
                assert "mtext" not in mathml_tags(markup) or "\\" not in markup, \
                    f"LaTeX leaked as text in step {step['index']}"
                seen += 1
    assert seen > 0 or trace["backward_start"] is None or steps[-1]["kind"] == "error"


def _names_and_numbers() -> list[str]:
    """LaTeX of generated names (as latex_name writes them) and numbers (as fmt writes them)."""
    import random

    from chainrule.engine.values import fmt

    rng = random.Random(12)
    alphabet = "abcxyzWXY_0123456789"
    out = []
    for _ in range(400):
        first = rng.choice("abwxyzLWX_")
        out.append(latex_name(first + "".join(rng.choice(alphabet)
                                              for _ in range(rng.randrange(0, 8)))))
    for _ in range(400):
        x = rng.choice([-1, 1]) * rng.random() * 10.0 ** rng.randrange(-320, 308)
        out.append(fmt(x))
    out += [fmt(v) for v in (0.0, -0.0, 1.0, 1e5, 1e-5, 123456789.0, float("inf"),
                             float("-inf"), float("nan"), 5e-324)]
    out += ["x", "w_{12}", r"\mathrm{loss\_scalar}", r"\mathrm{h1\_11}", "6.453e-101", "1e+05"]
    return out


def test_names_and_numbers_written_directly_are_what_latex2mathml_gives():
    from chainrule.engine.formula import converted, direct

    written = 0
    for latex in _names_and_numbers():
        got = direct(latex)
        if got is not None:
            assert got == converted(latex), latex
            written += 1
    assert written > 700     # nearly all of them take the direct path (inf, nan do not)


def test_anything_else_is_converted():
    from chainrule.engine.formula import direct

    for latex in [r"\frac{a}{b}", "x^{2}", "x_{1}^{2}", r"(\text{a b})", "1.", "e5", "x y",
                  r"\mathrm{a b}", "-", "", "ab", "x_{a}"]:
        assert direct(latex) is None, latex


@pytest.mark.parametrize(("template", "name", "text"), [
    ("2·$a", "pred - y", "2·(pred - y)"),        # not 2·pred - y, which is 2·pred, minus y
    ("2·$a", "x", "2·x"),                        # a plain name needs none
    ("2·$a", "w_2", "2·w_2"),
    ("cos($a)", "x * y", "cos(x * y)"),          # the template's own parentheses serve
    ("1 if $a > 0 else 0", "X @ W1", "1 if (X @ W1) > 0 else 0"),
    ("$a^2", "tanh(n)", "(tanh(n))^2"),          # a call keeps them: the power is outside
])
def test_plain_text_formulas_bracket_compound_names_as_latex_does(template, name, text):
    assert fill(template, {}, {"a": name}, latex=False) == text


def test_a_traced_square_of_a_difference_reads_as_one():
    """The text twin of the formula learners read (the Python painter's caption, the MathML's
    title), end to end: d(u²)/du = 2u with u = pred - y."""
    trace = trace_program("pred = x * 3\ny = x + 1\nloss = (pred - y) ** 2\nloss.backward()",
                          inputs={"x": 2.0}).to_dict()
    texts = [s["formula"]["text"] for s in trace["steps"] if isinstance(s.get("formula"), dict)]
    # pred - y = 6 - 3 = 3 (hand math), so the local derivative 2·(pred - y) = 6
    assert "dloss/d(pred - y) = 2·(pred - y) = 6" in texts, texts
