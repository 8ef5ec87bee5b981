"""Formulas: names become LaTeX safely, and the MathML sent to the page is MathML only."""

from pathlib import Path
from xml.etree import ElementTree

import pytest
from chainrule.engine.formula import MATHML_NS, MATHML_TAGS, latex_name, mathml
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
                assert mathml_tags(step[key]["mathml"]) <= MATHML_TAGS
                assert "mtext" not in mathml_tags(step[key]["mathml"]) or "\\" not in \
                    step[key]["mathml"], f"LaTeX leaked as text in step {step['index']}"
                seen += 1
    assert seen > 0 or trace["backward_start"] is None or steps[-1]["kind"] == "error"
