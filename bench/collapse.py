"""The collapsed view of a big trace, as the page would lay it out once it draws `groups`:
one box per group (its statement's text), ungrouped nodes as they are, one edge per pair of
boxes that trace edges join. Measures what the plan in bench/README.md (Big graphs) costs."""

from __future__ import annotations

import contextlib
import io

from engine.layout import Layout, LayoutEdge, LayoutNode, dot_layout
from engine.text_metrics import text_width

BOX_H = 44.0


def collapsed(trace: dict) -> tuple[list[LayoutNode], list[LayoutEdge]]:
    owner = {n["id"]: n.get("group") or n["id"] for n in trace["nodes"]}
    boxes: dict[str, LayoutNode] = {}
    for g in trace.get("groups", []):
        boxes[g["id"]] = LayoutNode(g["id"], round(text_width(g["label"]) + 20, 1), BOX_H)
    for n in trace["nodes"]:
        if n.get("group") is None:
            boxes[n["id"]] = LayoutNode(n["id"], n["w"], n["h"])
    pairs: dict[tuple[str, str], None] = {}
    for e in trace["edges"]:
        a, b = owner[e["source"]], owner[e["target"]]
        if a != b:
            pairs.setdefault((a, b), None)
    edges = [LayoutEdge(f"c{k}", a, b) for k, (a, b) in enumerate(pairs)]
    return list(boxes.values()), edges


def layout_collapsed(trace: dict) -> tuple[Layout, int, int]:
    nodes, edges = collapsed(trace)
    with contextlib.redirect_stderr(io.StringIO()):
        return dot_layout(nodes, edges), len(nodes), len(edges)
