"""Zoomed out, the step's numbers still show (issue 14): on a phone the relu MLP's graph is
read in the names-only tier, where cells would be under 11 px; the nodes of the current step
then show their value (forward) or the gradient the step brought (backward) in one line under
the name, at ≥ 11 px on screen. The expected texts are the trace's own (the server's answer)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import api_trace, open_example, source_of

pytestmark = pytest.mark.browser

PREVIEWS = """() => {
  const svg = document.querySelector('[data-testid=graph] svg');
  const out = {};
  for (const t of svg.querySelectorAll('.node .t-preview')) {
    const cs = getComputedStyle(t);
    if (cs.display === 'none' || !t.textContent) continue;
    out[t.closest('.node').dataset.nodeId] = {
      text: t.textContent, px: parseFloat(cs.fontSize) * t.getScreenCTM().a };
  }
  return { lod: svg.dataset.lod, out };
}"""


def line(x: dict) -> str:
    return x["text"] if "text" in x else x["cells"][0]


def clip(s: str) -> str:
    return s if len(s) <= 18 else s[:17] + "…"      # graph.js PREVIEW_CHARS


def test_a_phone_shows_the_step_numbers_in_the_names_tier(new_page, server_url, artifacts):
    status, trace = api_trace(server_url, source_of("13_relu_mlp"))
    nodes = {n["id"]: n for n in trace["nodes"]}
    page = new_page(viewport={"width": 390, "height": 844}, reduced_motion="reduce")
    open_example(page, server_url, "13_relu_mlp")
    seen = 0
    for s in trace["steps"]:
        page.fill("[data-testid=scrubber]", str(s["index"]))
        page.wait_for_function(f"() => document.body.dataset.step === '{s['index']}'")
        got = page.evaluate(PREVIEWS)
        if got["lod"] not in ("names", "far"):
            assert got["out"] == {}, got           # cells are readable: no preview needed
            continue
        if s["kind"] == "op":
            want = {s["output"]: "= " + line(nodes[s["output"]])}
        elif s["kind"] == "edge":
            want = {s["to"]: "∇ " + line(s["shown"])}
        else:
            continue
        for nid, text in want.items():
            assert got["out"][nid]["text"] == clip(text), (s["index"], got)
            assert got["out"][nid]["px"] >= 11 - 0.01, (s["index"], got)
            seen += 1
        if seen == 1:
            page.screenshot(path=str(artifacts / "readable-values-390.png"))
    assert seen >= 5
