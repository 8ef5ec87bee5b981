"""Where an edge's labels go when, drawn on the edge, they would cover a box it joins.

A backward edge carries its local derivative's label (`×1`, `ḡ − softmax·Σḡ`) 13 px below its
middle (static/js/graph.js, app/svg_export.py); its tensor shape, 4 px above, goes with it
while the label is shown, and stays on the edge otherwise (alone below a box it named no edge).
Between two nodes of neighbouring ranks an edge can be 30 px long while its label is 100, and an
edge leaving a box's lower corner runs close to it: the label then covers the op it points at,
or the box it leaves. For such an edge the trace names a point below the lower of its two end
boxes (`label_at`, standing in for the edge's middle: the painters keep their offsets from it),
so the page and the Python painter put the labels in the same clear place. Parallel edges
(`a * a`) stack their points. Every other edge keeps its labels on the line and carries nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from chainrule.engine.text_metrics import text_width

LOCAL_FONT_PX = 12.0    # a lit edge's local label (static/js/graph.js, app/svg_export.py)
LOCAL_BELOW_PX = 13.0   # the local label's baseline below the point
MARGIN_PX = 5.0         # clear space from the boxes at the edge's ends (a lit box's ring: 4)
BELOW_PX = 18.0         # from the lower box's bottom to the point
TWIN_STEP_PX = 30.0     # a parallel edge's point below the previous one's


def place_edge_labels(nodes: list[dict], edges: list[dict], steps: Iterable[dict]) -> None:
    """Give each edge whose labels, at its middle, would cover one of its end boxes a
    `label_at` point (see the module)."""
    widest: dict[str, float] = {}
    for s in steps:
        edge, label = s.get("edge"), s.get("label")
        if edge is not None and label:
            widest[edge] = max(widest.get(edge, 0.0), text_width(label, LOCAL_FONT_PX))
    boxes = {n["id"]: n for n in nodes if "x" in n and "h" in n}
    stacked: dict[tuple[str, str], int] = {}
    for e in edges:
        e.pop("label_at", None)
        route = e.get("route") or []
        ends = [boxes.get(e["source"]), boxes.get(e["target"])]
        if len(route) < 2 or None in ends:
            continue
        x, y = middle(route)
        labels = []   # (left, top, right, bottom) of its widest local label
        if e["id"] in widest:
            w = widest[e["id"]]
            labels.append((x - w / 2, y + LOCAL_BELOW_PX - 10, x + w / 2, y + LOCAL_BELOW_PX + 3))
        if not any(_covers(label, n) for label in labels for n in ends):
            continue
        pair = (e["source"], e["target"])
        k = stacked[pair] = stacked.get(pair, -1) + 1
        bottom = max(n["y"] + n["h"] / 2 for n in ends)
        e["label_at"] = [round(x, 1), round(bottom + BELOW_PX + k * TWIN_STEP_PX, 1)]


def middle(route: list) -> tuple[float, float]:
    """The route's middle as the painters find it: a straight segment's, one cubic's at 0.5,
    else the middle point."""
    if len(route) == 2:
        (x0, y0), (x1, y1) = route
        return (x0 + x1) / 2, (y0 + y1) / 2
    if len(route) == 4:
        return tuple((a + 3 * b + 3 * c + d) / 8 for a, b, c, d in zip(*route, strict=True))
    return tuple(route[(len(route) - 1) // 2])


def _covers(label: tuple, node: dict) -> bool:
    left, top = node["x"] - node["w"] / 2 - MARGIN_PX, node["y"] - node["h"] / 2 - MARGIN_PX
    right, bottom = left + node["w"] + 2 * MARGIN_PX, top + node["h"] + 2 * MARGIN_PX
    return label[0] < right and left < label[2] and label[1] < bottom and top < label[3]
