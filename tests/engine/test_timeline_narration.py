"""Narration that reads well aloud (issue 14), over every gallery example: never "∂b/∂b", never
a name cut mid-expression, the seed called the output's own gradient or the gradient passed in."""

from __future__ import annotations

import re

import pytest
from chainrule.app.gallery import GALLERY, examples
from chainrule.engine.trace import trace_program

SAME = re.compile(r"∂(\(?[^/∂]+?\)?)/∂\1(?![\w*(])")   # ∂loss/∂loss, ∂(a + b)/∂(a + b)


def narrations(example: str) -> list[dict]:
    text = next(e["source"] for e in examples() if e["id"] == example)
    return trace_program(text).steps


@pytest.mark.parametrize("example", [g[0] for g in GALLERY])
def test_no_narration_says_a_name_over_itself_or_cuts_a_name(example):
    for s in narrations(example):
        text = s["narration"]
        assert not SAME.search(text), text
        # "gradient=…" and a call frame "In f(…):" elide on purpose; a label is never cut
        assert "…" not in text.replace("gradient=…", "").replace("(…)", ""), text


def test_the_seed_is_the_outputs_own_gradient_or_the_one_passed_in():
    implicit = [s for s in narrations("03_seed_square") if s["kind"] in ("seed", "edge")]
    assert "the output's own gradient is 1" in implicit[0]["narration"]
    assert "the output's own gradient, 1, flows to" in implicit[1]["narration"]
    given = [s for s in narrations("12_explicit_gradient") if s["kind"] in ("seed", "edge")]
    assert "the gradient you passed in" in given[0]["narration"]
    assert "the gradient you passed in flows to" in given[1]["narration"]
