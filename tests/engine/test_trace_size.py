"""A trace's size (issue 12): what each part costs, and that the compact forms lose nothing.

Size bounds, never time bounds: the same program always gives the same bytes. The chain is the
issue's (`y1 = sin(y0) * x`, `y2 = y1 + x`, …; bench/scaling.py), traced as the server answers.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest
from chainrule.app.runner import trace_response
from chainrule.engine.formula_table import FORMULA_KEYS, MathTable, mathml_of, pieces
from chainrule.engine.limits import Limits
from chainrule.engine.trace import trace_program

from bench.programs import chain

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "app" / "examples").glob("*.py"))
LIMITS = replace(Limits(), max_ops=100_000, max_ast_nodes=1_000_000, max_seconds=600.0,
                 max_shown_numbers=10**8, max_answer_bytes=10**9)


@pytest.fixture(scope="module")
def big() -> tuple[bytes, dict]:
    status, body = trace_response(chain(800), None, 0, LIMITS)   # 2,404 nodes
    assert status == 200
    return body, json.loads(body)


def test_the_2400_node_chain_is_under_2_kb_per_node_and_half_a_megabyte_gzipped(big):
    # Issue 12's goal. Before this work: 2,689 B per node, 590,577 B gzipped (bench/README.md,
    # "Trace bytes by field").
    body, trace = big
    assert len(trace["nodes"]) == 2404
    assert len(body) / len(trace["nodes"]) <= 2000, len(body) / len(trace["nodes"])
    # and <= 0.5 MB gzipped (gzip 6, as bench/scaling.py measures): 498,379 B at this commit
    assert len(gzip.compress(body, 6)) <= 500_000, len(gzip.compress(body, 6))


def test_formulas_travel_once_per_piece(big):
    # The chain's ~1,600 edge steps hold two formulas each (local derivative and chain-rule
    # product, 4,003 in all); their pieces are names, numbers, operators and the ∂ rows.
    _, trace = big
    formulas = [s[k] for s in trace["steps"] for k in FORMULA_KEYS if s.get(k)]
    assert len(formulas) > 4000
    assert all(set(f) == {"mathml", "text"} for f in formulas)     # no LaTeX
    assert len(trace["math"]) == len(set(trace["math"])) < len(formulas)
    assert all(mathml_of(f, trace["math"]).startswith("<math") for f in formulas)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_compact_formulas_join_back_to_the_mathml_the_timeline_built(path, monkeypatch):
    # Each step's formulas are read as the timeline compacts them, then compared with what the
    # trace carries once joined: the same MathML strings, the same texts, in the same places.
    built: dict[int, dict] = {}
    compact = MathTable.compact

    def reading(table, step):
        built[id(step)] = {k: dict(step[k]) for k in FORMULA_KEYS if step.get(k)}
        compact(table, step)

    monkeypatch.setattr(MathTable, "compact", reading)
    trace = trace_program(path.read_text())
    out = trace.to_dict()
    for step in trace.steps:
        before = built.get(id(step), {})
        assert sorted(before) == sorted(k for k in FORMULA_KEYS if step.get(k))
        for key, f in before.items():
            assert mathml_of(out["steps"][step["index"]][key], out["math"]) == f["mathml"]
            assert step[key]["text"] == f["text"]


@pytest.mark.parametrize("markup", [
    '<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow><mfrac><mrow><mo>∂</mo><mi>y</mi>'
    '</mrow><mrow><mo>∂</mo><mi>x</mi></mrow></mfrac><mo>=</mo><mn>2</mn></mrow></math>',
    '<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow><mspace width="1em"/><mtext>a &lt;'
    ' b</mtext><mfrac><mi>a</mi></mfrac></mrow></math>',
    '<math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi></math>',   # no row
    "plain text", "",
])
def test_pieces_join_back_exactly(markup):
    assert "".join(pieces(markup)) == markup


def test_straight_routes_are_two_points_and_curves_keep_theirs():
    from chainrule.engine.layout import plain_route
    # dot's straight edge: two cubics whose control points lie on the segment (0.1 px rounding)
    seven = ((97.3, 97.7), (111.6, 86.0), (127.5, 73.0), (140.3, 62.5), (143.2, 60.2),
             (146.1, 57.8), (149.0, 55.4))
    assert plain_route(seven) == ((97.3, 97.7), (149.0, 55.4))
    s_curve = ((323.2, 43.5), (339.4, 43.5), (339.4, 26.0), (355.6, 26.0))
    assert plain_route(s_curve) == s_curve
    back = ((0.0, 0.0), (10.0, 0.0), (5.0, 0.0), (20.0, 0.0))   # on the line, but doubles back
    assert plain_route(back) == back
    past = ((0.0, 0.0), (30.0, 0.0), (25.0, 0.0), (20.0, 0.0))  # overshoots the end
    assert plain_route(past) == past


def test_the_chain_draws_most_edges_as_two_points(big):
    _, trace = big
    two = sum(len(e["route"]) == 2 for e in trace["edges"])
    assert two > len(trace["edges"]) / 3
    for e in trace["edges"]:
        assert len(e["route"]) == 2 or (len(e["route"]) - 1) % 3 == 0


def test_finite_values_leave_nonfinite_out_and_others_say_so():
    import numpy as np
    from chainrule.engine.values import value
    assert "nonfinite" not in value(np.asarray(0.5)) and "nonfinite" not in value(np.ones(70))
    assert value(np.asarray(np.nan))["nonfinite"] is True
    assert value(np.array([1.0, np.inf]))["nonfinite"] is True
