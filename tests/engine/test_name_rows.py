"""timeline._name_row writes a compound name's MathML row directly; it must be exactly what
latex2mathml makes of the name's LaTeX (`_row(latex_name(label))`)."""

from __future__ import annotations

import json

import pytest
from chainrule.app.runner import trace_response
from chainrule.engine.formula import latex_name
from chainrule.engine.timeline import _name_row, _row
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.api_bench import big_limits
from bench.programs import program_of_size

ODD = ["a & b", "x<y", "a  b", "α+β", "f(x)", "a\tb", "1e-5*x", "'q'", '"q"', "x [0]", "-x",
       "%$#", " x", "x ", "a\nb", "x.grad", "0.63*x1 + 0.08*x2 + 0.9…", "h1_11", "x1", "w",
       "--x", "a'", "a~b", "a^2", "{x}", "\\alpha", "x<=y", "&amp;", "a\u00a0b", "1 000"]


@pytest.mark.parametrize("label", ODD)
def test_odd_labels(label):
    assert _name_row(label) == _row(latex_name(label))


def test_every_label_of_the_big_benchmark_program():
    src, inputs = program_of_size(1000)
    status, body = trace_response(src, inputs, 0, big_limits())
    assert status == 200
    labels = {n["label"] for n in json.loads(body)["nodes"]}
    direct = sum(latex_name(label).startswith("(\\text{") for label in labels)
    assert direct > len(labels) / 2, "most names are source text: the fast path is used"
    for label in labels:
        assert _name_row(label) == _row(latex_name(label)), label


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=24))
def test_generated_labels(label):
    assert _name_row(label) == _row(latex_name(label))
