"""One source for a node box's metrics (issue 12, twins): engine/node_size.py sizes the boxes and
the trace carries its numbers once (trace.display.blocks); the page paints tensor nodes with the
served numbers, not a copy of its own. The proof: the same example served with every metric
changed in transit is painted at the changed positions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from chainrule.engine import node_size

from tests.browser.helpers import open_example

pytestmark = pytest.mark.browser

STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "js"

# where the page put the first tensor node drawn as a table with a grad block
PLACED = """() => {
  for (const g of document.querySelectorAll('[data-testid=graph] svg .node.tensor')) {
    const val = g.querySelector('.block.val');
    const grad = g.querySelector('.block.grad');
    const cell = val && val.querySelector('text.num[text-anchor=end]');
    if (!grad || !cell) continue;
    const xy = (el) => el.getAttribute('transform').match(/translate\\(([-\\d.]+),([-\\d.]+)\\)/)
      .slice(1).map(Number);
    return { label_x: +g.querySelector('.t-label').getAttribute('x'),
             rule_y: +g.querySelector('line.rule').getAttribute('y1'),
             val: xy(val), grad: xy(grad), cell_x: +cell.getAttribute('x'),
             cell_y: +cell.getAttribute('y'),
             nabla_x: +g.querySelector('.nabla').getAttribute('x'),
             rows: new Set([...val.querySelectorAll('text.num')]
               .map(t => t.getAttribute('y'))).size,
             id: g.dataset.nodeId };
  }
  return null;
}"""


def expected(geo: dict, got: dict) -> dict:
    """Hand-derived from the box rule (node_size.py's docstring): header line, then value block,
    then the grad block one gap below; a table's cell right-aligned half a char in."""
    top = geo["pad_y"] + geo["line"]
    return {"label_x": geo["pad_x"], "rule_y": top - 0.5, "val_y": top,
            "grad_y": top + got["rows"] * geo["line"] + geo["grad_gap"],
            "cell_x": geo["cell_w"] - geo["char"] * 0.5, "cell_y": geo["line"] - 4,
            "nabla_x": got["val"][0] - geo["gutter"]}


def actual(got: dict) -> dict:
    return {"label_x": got["label_x"], "rule_y": got["rule_y"], "val_y": got["val"][1],
            "grad_y": got["grad"][1], "cell_x": got["cell_x"], "cell_y": got["cell_y"],
            "nabla_x": got["nabla_x"]}


def close(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-6 for k in a)


def test_tensor_nodes_are_painted_with_the_served_metrics(new_page, server_url):
    served: list[dict] = []
    changed = {"pad_x": 23.0, "pad_y": 11.0, "line": 21.0, "grad_gap": 9.0, "gutter": 31.0,
               "cell_w": 77.0, "char": 9.0}

    def alter(route):
        response = route.fetch()
        body = response.json()
        geo = body["display"]["blocks"]
        served.append(dict(geo))
        geo.update(changed)
        route.fulfill(response=response, json=body)

    # first as served: the numbers are node_size.py's
    page = new_page()
    open_example(page, server_url, "09_broadcast_linear")
    geo = node_size.geometry()
    got = page.evaluate(PLACED)
    assert got is not None, "no table node with a grad block to measure"
    assert close(actual(got), expected(geo, got)), (actual(got), expected(geo, got))

    # then with every metric changed in transit: the page follows the trace
    page = new_page()
    page.route(re.compile(r".*/api/.*trace.*"), alter)
    open_example(page, server_url, "09_broadcast_linear")
    assert served and served[0] == geo, served
    moved = page.evaluate(PLACED)
    assert close(actual(moved), expected({**geo, **changed}, moved)), (
        actual(moved), expected({**geo, **changed}, moved))
    assert not close(actual(moved), actual(got))


def test_no_copy_of_the_box_metrics_in_the_page():
    """A JS table of the engine's metrics (the old blocks.js `M`) would drift from node_size.py:
    no script may name them or set one of the served keys to a number literal."""
    names = re.compile(r"\b(PAD_X|PAD_Y|CELL_CHARS|TABLE_ROWS|TABLE_COLS|THUMB_W|"
                       r"THUMB_H|GUTTER_CHARS|GRAD_GAP|MIN_TENSOR_W|MIN_OP_W|OP_H)\b")
    keys = "|".join(re.escape(k) for k in node_size.geometry())
    literal = re.compile(rf"\b({keys})\s*[:=]\s*-?\d")
    found = []
    for path in sorted(STATIC_JS.rglob("*.js")):
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if names.search(text) or literal.search(text):
                found.append(f"{path.name}:{n}: {text.strip()}")
    assert found == [], found
