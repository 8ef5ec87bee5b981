"""One display list, two painters: on every gallery example and every step, the live page's SVG
(static/js/graph.js, blocks.js, narration.js in Chromium) and the Python painter
(app/svg_export.py, the CLI's and the notebook's picture) show the same texts in the same boxes,
and the Python frame (app/frame.py) is the player's (static/js/player.js).

The page is stepped with the keyboard against the real server; the Python painter draws the
trace that same server returned. A picture where one cell, one edge label or one caption row
differs fails; `test_the_comparison_can_fail` shows that it does.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from chainrule.app.forward_view import opening_view
from chainrule.app.frame import frame
from chainrule.app.gallery import GALLERY
from chainrule.app.svg_export import caption, render_svg

from tests.browser.helpers import api_trace, open_example, source_of

pytestmark = pytest.mark.browser

SVG = "{http://www.w3.org/2000/svg}"

# the page's graph and caption panel at the current step, read from the DOM
PAGE_VIEW = """() => {
  const svg = document.querySelector('[data-testid=graph] svg');
  const nodes = {};
  for (const g of svg.querySelectorAll('.node[data-shown=true]')) {
    const cells = (which) => [...g.querySelectorAll(`.block.${which} .num`)]
      .map((t) => t.textContent).filter((t) => t);
    const block = g.querySelector('.block.val');
    const badge = g.querySelector('.paths-badge');
    nodes[g.dataset.nodeId] = {
      val: cells('val'), grad: cells('grad'), dataGrad: g.dataset.grad || null,
      badge: badge ? badge.textContent : '', lit: g.dataset.lit === 'true',
      label: (g.querySelector('.t-label, .op-label') || {}).textContent || '',
      shape: (g.querySelector('.t-shape') || {}).textContent || '',
      box: g.getAttribute('transform'), block: block ? block.getAttribute('transform') : null};
  }
  const edges = {};
  for (const g of svg.querySelectorAll('.edge-label[data-shown=true]')) {
    const t = g.querySelector('.edge-local').textContent;
    if (t) edges[g.dataset.edgeId] = t;
  }
  const rows = [];
  const notes = [];
  for (const r of document.querySelectorAll('[data-testid=formula] > *')) {
    if (r.classList.contains('f-note')) { notes.push(r.textContent); continue; }
    const body = r.querySelector('.f-text, .f-math, .f-sum, .f-mats');
    let text = body.textContent;
    // a matrix: `label (shape) [a b; c d]`, read from its caption and table cells
    if (body.classList.contains('f-mats')) text = [...body.children].map((c) => c.tagName
      === 'FIGURE' ? `${c.querySelector('figcaption').textContent} [${[...c.querySelectorAll(
        'tr')].map((tr) => [...tr.cells].map((td) => td.textContent).join(' ')).join('; ')}]`
      : c.textContent).join(' ');
    if (body.classList.contains('f-math')) text = body.title || body.textContent;
    if (body.classList.contains('f-sum')) text = [...body.children].map((c) => c.textContent)
      .join(' ');
    rows.push([r.querySelector('.f-label').textContent, text]);
  }
  // the error box (page chrome beside the caption; the Python painter's error rows)
  const box = document.querySelector('[data-testid=error]');
  const err = box && !box.hidden ? {
    message: box.querySelector('.err-message code').textContent.replace(/^[A-Za-z]+Error: /, ''),
    hints: [...box.querySelectorAll('li')].map((li) => li.textContent)} : null;
  return {nodes, edges, rows, notes, err,
          counter: document.querySelector('[data-role=counter]').textContent,
          phase: document.querySelector('[data-role=phase]').textContent,
          narration: document.querySelector('[data-testid=narration]').textContent};
}"""


def numbers_in(transform: str | None) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", transform or "")]


def python_view(trace: dict, k: int) -> dict:
    """The same facts from the Python painter's SVG (and its caption, before line wrapping)."""
    root = ET.fromstring(render_svg(trace, step=k).encode("utf-8"))
    nodes: dict[str, dict] = {}
    edges: dict[str, str] = {}
    for g in root.iter(f"{SVG}g"):
        cls = (g.get("class") or "").split()
        if "node" in cls and g.get("data-shown") == "true":
            def cells(which: str, g: ET.Element = g) -> list[str]:
                return [t.text for b in g.iter(f"{SVG}g") if which in (b.get("class") or "")
                        .split() for t in b.iter(f"{SVG}text") if t.text]
            texts = {c: t.text or "" for t in g.iter(f"{SVG}text")
                     for c in (t.get("class") or "").split()}
            block = next((b for b in g.iter(f"{SVG}g") if "val" in (b.get("class") or "")
                          .split()), None)
            nodes[g.get("data-node-id")] = {
                "val": cells("val"), "grad": cells("grad"), "dataGrad": g.get("data-grad"),
                "badge": texts.get("paths-badge", ""), "lit": g.get("data-lit") == "true",
                "label": texts.get("t-label", texts.get("op-label", "")),
                "shape": texts.get("t-shape", ""), "box": g.get("transform"),
                "block": None if block is None else block.get("transform")}
        if "edge-label" in cls:
            for t in g.iter(f"{SVG}text"):
                if "edge-local" in (t.get("class") or "") and t.text:
                    edges[g.get("data-edge-id")] = t.text
    cap = caption(trace, frame(trace, k))
    wrapped = " ".join(t.text or "" for t in root.iter(f"{SVG}text")
                       if "narration" in (t.get("class") or "").split()
                       and "leaf-note" not in (t.get("class") or "").split())
    assert wrapped == cap.sentence, "the painted narration is the caption's sentence"
    error_rows = [r for r in cap.rows if r[0] in ("Error", "How to fix it")]
    err = None
    if error_rows:
        err = {"message": error_rows[0][1], "hints": [r[1] for r in error_rows[1:]]}
    return {"nodes": nodes, "edges": edges, "err": err,
            "rows": [list(r) for r in cap.rows if r[1] and r not in error_rows],
            "notes": cap.notes, "counter": cap.counter, "phase": cap.phase,
            "narration": cap.sentence + (f" {cap.note}" if cap.note else "")}


def differences(page: dict, py: dict) -> list[str]:
    """Every way the two views differ ([] when they agree); positions to 0.05 px."""
    out = []
    for key in ("edges", "rows", "notes", "counter", "phase", "narration"):
        if page[key] != py[key]:
            out.append(f"{key}: page {page[key]!r} != python {py[key]!r}")
    if py["err"] is not None and page["err"] != py["err"]:   # at the error step
        out.append(f"error: page {page['err']!r} != python {py['err']!r}")
    if set(page["nodes"]) != set(py["nodes"]):
        out.append(f"shown nodes: page {sorted(page['nodes'])} != python {sorted(py['nodes'])}")
    for nid in set(page["nodes"]) & set(py["nodes"]):
        a, b = page["nodes"][nid], py["nodes"][nid]
        for key in ("val", "grad", "dataGrad", "badge", "lit", "label", "shape"):
            if a[key] != b[key]:
                out.append(f"{nid} {key}: page {a[key]!r} != python {b[key]!r}")
        for key in ("box", "block"):
            pa, pb = numbers_in(a[key]), numbers_in(b[key])
            if len(pa) != len(pb) or any(abs(x - y) > 0.05 for x, y in zip(pa, pb, strict=False)):
                out.append(f"{nid} {key}: page {a[key]!r} != python {b[key]!r}")
    return out


PLAYER_FRAME = """async ([trace, k]) => {
  const p = await import('/static/js/player.js');
  const f = p.frame(trace, k);
  const grads = {};
  for (const [id, g] of f.grads) grads[id] = [g.step, g.pass, g.count, g.expected, g.complete];
  return {index: f.index, phase: f.phase, kind: f.kind, shown: [...f.shown].sort(),
          shownEdges: [...f.shownEdges].sort(), lit: [...f.lit].sort(),
          litEdges: [...f.litEdges].sort(), focus: f.focus, grads,
          locals: [...f.locals.keys()].sort(), error: f.error ? f.error.index : null,
          errorNode: f.errorNode, atStart: f.atStart, atEnd: f.atEnd};
}"""


def python_frame(trace: dict, k: int) -> dict:
    f = frame(trace, k)
    return {"index": f.index, "phase": f.phase, "kind": f.kind, "shown": sorted(f.shown),
            "shownEdges": sorted(f.shown_edges), "lit": sorted(f.lit),
            "litEdges": sorted(f.lit_edges), "focus": f.focus,
            "grads": {i: [g.step, g.pass_, g.count, g.expected, g.complete]
                      for i, g in f.grads.items()},
            "locals": sorted(f.locals), "error": f.error["index"] if f.error else None,
            "errorNode": f.error_node, "atStart": f.at_start, "atEnd": f.at_end}


def walk(page, server_url: str, stem: str):
    """(trace, k, the page's view) for every step from the start to the end."""
    _, trace = api_trace(server_url, source_of(stem))
    trace = opening_view(trace)   # a jax.jacfwd program opens on forward mode's steps
    open_example(page, server_url, stem)
    page.locator("body").focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => document.body.dataset.step === '-1'")
    for k in range(-1, len(trace["steps"])):
        if k >= 0:
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => document.body.dataset.step === '{k}'")
        yield trace, k, page.evaluate(PAGE_VIEW)


@pytest.mark.parametrize("stem", [g[0] for g in GALLERY])
def test_page_and_python_painter_agree_on_every_step(page, server_url, stem):
    seen = {"cells": 0, "grads": 0, "labels": 0, "rows": 0}
    for trace, k, shown in walk(page, server_url, stem):
        py = python_view(trace, k)
        assert differences(shown, py) == [], f"{stem} step {k}"
        assert page.evaluate(PLAYER_FRAME, [trace, k]) == python_frame(trace, k), \
            f"{stem} step {k}"
        seen["cells"] += sum(len(n["val"]) for n in shown["nodes"].values())
        seen["grads"] += sum(len(n["grad"]) for n in shown["nodes"].values())
        seen["labels"] += len(shown["edges"])
        seen["rows"] += len(shown["rows"])
    # the comparison had something to compare: numbers, gradients, labels and rows were shown
    assert all(seen.values()) or stem == "06_non_scalar_backward", seen


def test_the_comparison_can_fail(page, server_url):
    """One changed text in the display list, or a frame that forgets a step, is caught."""
    stem = "08_fan_out"
    checked = 0
    for trace, k, shown in walk(page, server_url, stem):
        if trace["steps"][k]["kind"] != "edge" if k >= 0 else True:
            continue
        step = trace["steps"][k]
        assert differences(shown, python_view(trace, k)) == []
        # a gradient cell, an edge label, a caption row: each changed alone is a difference
        for change in ("cell", "label", "row"):
            t = {**trace, "steps": [dict(s) for s in trace["steps"]]}
            s = t["steps"][k]
            if change == "cell":
                s["shown"] = {**s["shown"], "cells": [c + "0" for c in s["shown"]["cells"]]}
            elif change == "label":
                s["label"] = s["label"] + "?"
            else:
                rows = s.get("rows") or t["display"]["default_rows"][s["kind"]]
                s["rows"] = rows[:-1]
            assert differences(shown, python_view(t, k)), (change, k)
        # the Python frame one step behind disagrees with the player's
        assert page.evaluate(PLAYER_FRAME, [trace, k]) != python_frame(trace, k - 1)
        assert step["kind"] == "edge"
        checked += 1
    assert checked >= 3
