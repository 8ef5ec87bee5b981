"""The page's DOM-free modules (player.js, format.js) and the MathML sanitiser, run in Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# a hand-made trace: y = a * a + a, then backward (one op for the square, one for the add)
TRACE = {
    "nodes": [
        {"id": "t0", "kind": "tensor", "shape": [], "label": "a"},
        {"id": "t1", "kind": "tensor", "shape": [], "label": "a * a"},
        {"id": "t2", "kind": "tensor", "shape": [], "label": "y"},
        {"id": "op0", "kind": "op", "label": "mul"},
        {"id": "op1", "kind": "op", "label": "add"},
    ],
    "edges": [
        {"id": f"e{k}", "source": s, "target": t} for k, (s, t) in enumerate(
            [("t0", "op0"), ("t0", "op0"), ("op0", "t1"), ("t1", "op1"), ("t0", "op1"),
             ("op1", "t2")])
    ],
    "steps": [
        {"index": 0, "phase": "forward", "kind": "op", "op": "op0", "output": "t1",
         "lit_nodes": ["t0", "op0", "t1"], "lit_edges": ["e0", "e1", "e2"], "focus": "t1"},
        {"index": 1, "phase": "forward", "kind": "op", "op": "op1", "output": "t2",
         "lit_nodes": ["t1", "t0", "op1", "t2"], "lit_edges": ["e3", "e4", "e5"], "focus": "t2"},
        {"index": 2, "phase": "backward", "kind": "seed", "root": "t2",
         "grad": {"shape": [], "data": 1}, "lit_nodes": ["t2"], "lit_edges": [], "focus": "t2"},
        {"index": 3, "phase": "backward", "kind": "edge", "to": "t0", "edge": "e4",
         "grad": {"shape": [], "data": 1}, "count": 1, "expected": 3, "complete": False,
         "lit_nodes": ["t2", "op1", "t0"], "lit_edges": ["e5", "e4"], "focus": "t0",
         "local": {"shape": [], "data": 1}},
        {"index": 4, "phase": "backward", "kind": "edge", "to": "t0", "edge": "e0",
         "grad": {"shape": [], "data": 7}, "count": 3, "expected": 3, "complete": True,
         "lit_nodes": ["t1", "op0", "t0"], "lit_edges": ["e2", "e0"], "focus": "t0",
         "local": {"shape": [], "data": 3}},
    ],
    "error": None, "backward_start": 2,
}


@pytest.fixture
def blank(page, server_url):
    page.goto(f"{server_url}/static/favicon.svg")
    return page


def test_player_frames(blank):
    out = blank.evaluate("""async (trace) => {
      const p = await import('/static/js/player.js');
      const prep = p.prepare(trace);
      const f = (i) => p.frame(trace, i, prep);
      const view = (fr) => ({index: fr.index, phase: fr.phase, shown: [...fr.shown].sort(),
        lit: [...fr.lit].sort(), grads: Object.fromEntries([...fr.grads].map(([k, g]) =>
          [k, [g.value.data, g.complete]])), locals: [...fr.locals.keys()].sort(),
        edges: [...fr.shownEdges].sort()});
      return {start: view(f(-1)), clampLow: f(-5).index, clampHigh: f(99).index,
              fwd0: view(f(0)), seed: view(f(2)), partial: view(f(3)), end: view(f(4)),
              bs: p.backwardStart(trace), same: p.sameStructure(trace, structuredClone(trace))};
    }""", TRACE)
    assert out["start"] == {"index": -1, "phase": "start", "shown": ["t0"], "lit": [],
                            "grads": {}, "locals": [], "edges": []}
    assert out["clampLow"] == -1 and out["clampHigh"] == 4
    assert out["fwd0"]["shown"] == ["op0", "t0", "t1"]
    assert out["fwd0"]["edges"] == ["e0", "e1", "e2"]
    assert out["seed"]["grads"] == {"t2": [1, True]}
    assert out["partial"]["grads"]["t0"] == [1, False]
    assert out["end"]["grads"]["t0"] == [7, True]
    assert out["end"]["locals"] == ["e0", "e4"]
    assert out["bs"] == 2 and out["same"] is True


def test_format_matches_python_4g(blank):
    xs = [4.0, 0.25, -1.3333333, 12345.0, 1.2345e-5, 1e-5, 1e-4, 9999.5, 99995.0, -1e-5, 1.0625,
          0.1 + 0.2, 123.456, -0.0, 2.5e10, 7.0, 0.5, 2.5, 1234.5, 0.00012345]
    got = blank.evaluate("""async (xs) => {
      const f = await import('/static/js/format.js');
      return xs.map((x) => f.fmt(x));
    }""", xs)
    want = ["0" if f"{x:.4g}" == "-0" else f"{x:.4g}" for x in xs]
    assert got == want
    more = blank.evaluate("""async () => {
      const f = await import('/static/js/format.js');
      return [f.fmt('nan'), f.fmt(3, true), f.shapeText([]), f.shapeText([3]),
              f.shapeText([2, 3])];
    }""")
    assert more == ["nan", "3", "()", "(3,)", "(2, 3)"]


def test_mathml_sanitiser_keeps_only_mathml(blank):
    out = blank.evaluate("""async () => {
      const m = await import('/static/js/mathml.js');
      const el = m.mathFromString('<math display="inline"><mi onclick="alert(1)" ' +
        'mathvariant="bold">x</mi><script>alert(2)</script><mtext><img src=x ' +
        'onerror="alert(3)">t</mtext><mo href="javascript:alert(4)">=</mo>' +
        '<svg><circle/></svg><mn>4</mn></math>');
      const all = [...el.querySelectorAll('*')];
      return {tag: el.localName, ns: el.namespaceURI, text: el.textContent,
              tags: all.map(e => e.localName),
              attrs: all.flatMap(e => [...e.attributes].map(a => a.name)),
              none: m.mathFromString('<b>no math</b>')};
    }""")
    assert out["tag"] == "math" and out["ns"] == "http://www.w3.org/1998/Math/MathML"
    assert set(out["tags"]) <= {"mi", "mtext", "mo", "mn"}
    assert out["attrs"] == ["mathvariant"]
    assert "alert" not in out["text"]
    assert out["none"] is None


# paths meet at a node in 04 and 08 (count up to 2 and 3); 11 runs two backward passes
@pytest.mark.parametrize("stem", ["04_free_variables", "08_fan_out", "11_accumulation"])
def test_contributions_at_matches_the_python_twin(blank, stem):
    """player.js contributionsAt and app/frame.py contributions_at pick the same earlier steps."""
    import json

    from chainrule.app.frame import contributions_at
    from chainrule.app.gallery import EXAMPLES_DIR
    from chainrule.app.runner import trace_response
    from chainrule.engine.limits import Limits

    status, body = trace_response((EXAMPLES_DIR / f"{stem}.py").read_text(), None, 0, Limits())
    assert status == 200
    trace = json.loads(body)
    got = blank.evaluate("""async (trace) => {
      const p = await import('/static/js/player.js');
      return trace.steps.map((s) => p.contributionsAt(trace, s.index));
    }""", trace)
    want = [contributions_at(trace, k) for k in range(len(trace["steps"]))]
    assert got == want
    assert any(want), "the example has backward edges"
    if stem != "11_accumulation":
        assert any(len(c) > 1 for c in want), "the example has a node that paths meet at"


def test_summary_of_a_one_number_value_is_what_numpy_reduces_it_to(blank):
    """One-number Values travel without `summary`; format.js summaryOf rebuilds it, and it must
    equal engine.values.summary, which runs NumPy's reductions on the array."""
    import numpy as np
    from chainrule.engine.values import summary, value

    arrays = [np.asarray(0.5), np.asarray(-0.0), np.asarray(3), np.asarray(np.nan),
              np.asarray(-np.inf), np.array([2.5]), np.array([[7]])]
    values = [value(a) for a in arrays]
    assert all("summary" not in v for v in values)
    got = blank.evaluate("""async (values) => {
      const f = await import('/static/js/format.js');
      return values.map((v) => { const s = f.summaryOf(v);
        return [s.numel, s.min, s.max, s.mean, Object.is(s.mean, -0)]; });
    }""", values)
    want = [summary(a) for a in arrays]
    assert [g[:4] for g in got] == [[s["numel"], s["min"], s["max"], s["mean"]] for s in want]
    assert not any(g[4] for g in got), "the mean of -0.0 is +0.0, as np.mean gives it"
    with_summary = value(np.arange(6.0).reshape(2, 3))
    assert blank.evaluate("""async (v) => (await import('/static/js/format.js')).summaryOf(v)""",
                          with_summary) == with_summary["summary"]
