"""The camera and the output (issue 14): at 1024×768 the neuron's output `o` cannot sit beside
every step's nodes at a readable scale. On each step either the output is in view or a marker
pinned to the graph's edge names it with the number the trace gives it (its gradient once
backward reached it; nothing before the forward pass made it), and pressing the marker brings
the output into view."""

from __future__ import annotations

import pytest

from tests.browser.helpers import api_trace, open_example, source_of

pytestmark = pytest.mark.browser

STATE = """() => {
  const m = document.querySelector('[data-testid=output-marker]');
  const g = document.querySelector('[data-testid=graph]').getBoundingClientRect();
  const b = document.querySelector(`.node[data-node-id="${m.dataset.node}"] > .box`)
    .getBoundingClientRect();
  const mid = [(b.left + b.right) / 2, (b.top + b.bottom) / 2];
  const mb = m.getBoundingClientRect();
  return { node: m.dataset.node, hidden: m.hidden, text: m.textContent,
           inView: mid[0] >= g.left && mid[0] <= g.right && mid[1] >= g.top && mid[1] <= g.bottom,
           markerInside: m.hidden || (mb.left >= g.left && mb.right <= g.right &&
                                      mb.top >= g.top && mb.bottom <= g.bottom) };
}"""


def test_the_output_is_in_view_or_named_on_the_edge(new_page, server_url, artifacts):
    status, trace = api_trace(server_url, source_of("05_neuron"))
    assert status == 200
    seed = next(s for s in trace["steps"] if s["kind"] == "seed")
    out = next(n for n in trace["nodes"] if n["id"] == seed["root"])
    made_at = next(s["index"] for s in trace["steps"] if s.get("output") == out["id"])
    page = new_page(viewport={"width": 1024, "height": 768}, reduced_motion="reduce")
    open_example(page, server_url, "05_neuron")
    announced = []
    for i in range(-1, len(trace["steps"])):
        page.fill("[data-testid=scrubber]", str(i))
        page.wait_for_function(f"() => document.body.dataset.step === '{i}'")
        st = page.evaluate(STATE)
        assert st["node"] == out["id"]
        assert st["inView"] != (not st["hidden"]), (i, st)      # exactly one of the two
        assert st["markerInside"], (i, st)
        if st["hidden"]:
            continue
        announced.append(i)
        assert st["text"].startswith("output o"), st
        if i < made_at:
            assert "=" not in st["text"] and "∇" not in st["text"], (i, st)   # no spoiler
        elif i >= seed["index"]:
            assert "∇ 1" in st["text"], (i, st)     # ∂o/∂o = 1, the seed (the trace's own)
        else:
            assert f"= {out['text'] if 'text' in out else out['cells'][0]}" in st["text"], st
        if len(announced) == 1:
            page.screenshot(path=str(artifacts / "output-marker-1024.png"))
    assert len(announced) >= 3      # the neuron's early backward steps are far from `o`
    # pressing the marker brings the output into view
    at = announced[-1]
    page.fill("[data-testid=scrubber]", str(at))
    page.wait_for_function(f"() => document.body.dataset.step === '{at}'")
    page.click("[data-testid=output-marker]")
    page.wait_for_function("() => document.querySelector('[data-testid=output-marker]').hidden")
    assert page.evaluate(STATE)["inView"]
