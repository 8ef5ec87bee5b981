"""An edge's local-derivative label never sits on the boxes at its ends (engine/edge_labels.py):
on every gallery example and every step, in the live page, the lit edge's label is clear of
the two nodes the edge joins. An edge too short for its label (the batch cross-entropy's
predictions → log_softmax: 31 px for `ḡ − softmax·Σḡ`) used to write it across the op.
Examples drawn in frames (16_jax_grad's and 20_training_loop's calls) are left out: the page
routes their edges itself, and their labels are not placed yet."""

from __future__ import annotations

import pytest
from chainrule.app.gallery import GALLERY

from tests.browser.helpers import api_trace, open_example, source_of

pytestmark = pytest.mark.browser

# Every step through the scrubber; at each, the lit edges' label boxes against their end nodes.
WALK = """async () => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const range = document.querySelector('[data-testid=scrubber]');
  const svg = document.querySelector('[data-testid=graph] svg');
  const overlap = (a, b, tol = 1) => a.left < b.right - tol && b.left < a.right - tol &&
    a.top < b.bottom - tol && b.top < a.bottom - tol;
  const ends = {};
  for (const e of window.__trace_edges || []) ends[e.id] = [e.source, e.target];
  const found = [];
  let checked = 0;
  for (let i = 0; i <= Number(range.max); i++) {
    range.value = String(i);
    range.dispatchEvent(new Event('input', { bubbles: true }));
    await frame(); await frame();
    for (const lg of svg.querySelectorAll('.edge-label[data-lit]')) {
      const id = lg.dataset.edgeId;
      const pair = ends[id];
      if (!pair) continue;
      for (const t of lg.querySelectorAll('.edge-local')) {
        if (!t.textContent || getComputedStyle(t).visibility === 'hidden') continue;
        const b = t.getBoundingClientRect();
        if (!b.width) continue;
        checked++;
        for (const nid of pair) {
          const node = svg.querySelector(`.node[data-node-id="${nid}"]`);
          if (node && overlap(b, node.getBoundingClientRect())) {
            found.push(`step ${i}: ${id} "${t.textContent}" on ${nid}`);
          }
        }
      }
    }
  }
  return { found, checked };
}"""


def test_edge_labels_stay_clear_of_the_nodes_they_join(new_page, server_url):
    page = new_page(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    total, problems = 0, []
    for stem, *_ in GALLERY:
        open_example(page, server_url, stem)
        status, trace = api_trace(server_url, source_of(stem))
        assert status == 200
        if trace.get("collapsed"):   # drawn in frames (a call's, a big graph's groups): the
            continue                 # page routes those edges itself; not placed yet
        page.evaluate("(e) => { window.__trace_edges = e; }", trace["edges"])
        res = page.evaluate(WALK)
        total += res["checked"]
        problems += [f"{stem} {p}" for p in res["found"]]
    assert total > 50, total       # the walk saw labels
    assert problems == [], problems
