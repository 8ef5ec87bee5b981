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


# Every step: where each shown edge's shape is written, and the leader, against the edge's own
# middle (the path's, measured in the page) and the trace's `label_at`.
WHERE = """async () => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const range = document.querySelector('[data-testid=scrubber]');
  const svg = document.querySelector('[data-testid=graph] svg');
  const at = window.__label_at;
  const near = (x, y, p) => Math.hypot(x - p[0], y - p[1]) < 2;
  const found = [];
  const seen = { onEdge: 0, withLabel: 0 };
  for (let i = -1; i <= Number(range.max); i++) {
    range.value = String(i);
    range.dispatchEvent(new Event('input', { bubbles: true }));
    await frame(); await frame();
    for (const id of Object.keys(at)) {
      const lg = svg.querySelector(`.edge-label[data-edge-id="${id}"]`);
      const path = svg.querySelector(`.edge[data-edge-id="${id}"] .edge-line`);
      const shape = lg.querySelector('.edge-shape');
      const leader = svg.querySelector(`.edge[data-edge-id="${id}"] .edge-leader`);
      const len = path.getTotalLength();
      const m = path.getPointAtLength(len / 2);
      const sx = Number(shape.getAttribute('x')), sy = Number(shape.getAttribute('y')) + 4;
      const leading = leader && leader.style.display !== 'none';
      // a drawn leader always ends at a drawn label (zoomed out, 11 px shapes hide)
      const drawn = (el) => el && el.textContent && getComputedStyle(el).display !== 'none' &&
        getComputedStyle(el).visibility === 'visible' && el.getClientRects().length > 0;
      if (leader && getComputedStyle(leader).display !== 'none' &&
          ![lg.querySelector('.edge-local'), shape].some(drawn)) {
        found.push(`step ${i}: ${id}'s leader leads to no label`);
      }
      const labelled = Boolean(lg.querySelector('.edge-local').textContent);
      // lit on an edge too short for it, the shape alone goes there too
      if (labelled || (lg.dataset.lit && lg.dataset.cramped)) {
        seen.withLabel++;
        if (!near(sx, sy, at[id])) found.push(`step ${i}: ${id}'s shape is not at its label`);
        const y2 = leading ? Number(leader.getAttribute('y2')) : NaN;
        if (!leading || !near(Number(leader.getAttribute('x1')),
          Number(leader.getAttribute('y1')), [m.x, m.y]) ||
          !(y2 <= at[id][1] - 15 || y2 >= at[id][1] + 18)) {
          found.push(`step ${i}: ${id}'s label hangs from no leader to its edge`);
        }
        // moved, the labels are clear of every box, not only of the edge's two
        for (const t of lg.querySelectorAll('.edge-local, .edge-shape')) {
          if (!t.textContent || getComputedStyle(t).visibility !== 'visible') continue;
          const r = t.getBoundingClientRect();
          for (const box of svg.querySelectorAll('.node > .box')) {
            const b = box.getBoundingClientRect();
            if (r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom) {
              found.push(`step ${i}: ${id}'s "${t.textContent}" covers ` +
                box.parentNode.dataset.nodeId);
            }
          }
        }
      } else {
        seen.onEdge++;
        if (!near(sx, sy, [m.x, m.y])) found.push(`step ${i}: ${id}'s shape is off its edge`);
        if (leading) found.push(`step ${i}: ${id} has a leader but no label`);
      }
    }
  }
  return { found, seen };
}"""


def test_a_moved_label_hangs_from_its_edge_and_a_lone_shape_stays_on_it(new_page, server_url):
    """An edge whose labels go below or above its end boxes (`label_at`) takes its shape there
    only beside its local label, joined to the edge's middle by a leader, clear of every box
    (10_softmax_mse's `×2·(probs - target)/3` covered `target`); before backward reaches it,
    the shape alone stays on the edge (the Compare view's PyTorch card, where backward never
    runs, showed a `(3,)` floating under a box and naming no edge)."""
    seen = {"onEdge": 0, "withLabel": 0}
    problems = []
    # 1280×800 draws 13_relu_mlp's forward steps at the numbers' scale, where 11 px shapes hide
    page = new_page(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    for stem in ("06_non_scalar_backward", "13_relu_mlp", "01_seed_batch_cross_entropy",
                 "10_softmax_mse", "09_broadcast_linear"):
        open_example(page, server_url, stem)
        status, trace = api_trace(server_url, source_of(stem))
        assert status == 200
        moved = {e["id"]: e["label_at"] for e in trace["edges"] if e.get("label_at")}
        assert moved, stem
        page.evaluate("(a) => { window.__label_at = a; }", moved)
        res = page.evaluate(WHERE)
        problems += [f"{stem} {p}" for p in res["found"]]
        for k in seen:
            seen[k] += res["seen"][k]
    assert seen["onEdge"] > 10 and seen["withLabel"] > 5, seen   # both cases were walked
    assert problems == [], problems
