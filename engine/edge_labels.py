"""Where an edge's labels go when, drawn on the edge, they would cover a box it joins.

A backward edge carries its local derivative's label (`×1`, `ḡ − softmax·Σḡ`) 13 px below its
middle (static/js/graph.js, app/svg_export.py); its tensor shape, 4 px above, goes with it
while the label is shown, and stays on the edge otherwise (alone below a box it named no edge).
Between two nodes of neighbouring ranks an edge can be 30 px long while its label is 100, and an
edge leaving a box's lower corner runs close to it: the label then covers the op it points at,
or the box it leaves. For such an edge the trace names a point (`label_at`, standing in for the
edge's middle: the painters keep their offsets from it and hang the pair from the edge by a
dotted leader) straight below the lower of its two end boxes, or above the upper one, whichever
is nearer the edge with nothing under the labels: no box, no other edge's line or shape, no
labels placed before. What is in the way is passed (the labels go on below it, or above it).
So the page and the Python painter put the labels in the same clear place. Parallel edges
(`a * a`) stack their points. Every other edge keeps its labels on the line and carries nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from chainrule.engine.node_size import shape_text
from chainrule.engine.text_metrics import text_width

LOCAL_FONT_PX = 12.0    # a lit edge's local label (static/js/graph.js, app/svg_export.py)
SHAPE_FONT_PX = 11.0    # the edge's shape, written above the local label
LOCAL_BELOW_PX = 13.0   # the local label's baseline below the point
SHAPE_ABOVE_PX = 4.0    # the shape's baseline above the point
MARGIN_PX = 5.0         # clear space from boxes (a lit box's ring: 4)
TEXT_MARGIN_PX = 2.0    # clear space from other labels
BELOW_PX = 18.0         # from a box's bottom to a point below it
ABOVE_PX = 22.0         # from a box's top to a point above it (the local label hangs below it)
TWIN_STEP_PX = 30.0     # a parallel edge's point below the previous one's
PASSES = 6              # boxes a label may pass on its way down (or up) before it gives up
CELL_PX = 120.0         # the side of a square of the grid that finds what is near a label
CUBIC_PIECES = 8        # straight pieces a cubic route is kept clear of as
LINE_BUDGET = 5_000     # route pieces kept clear of (~50 ms); past it, boxes and labels only


def place_edge_labels(nodes: list[dict], edges: list[dict], steps: Iterable[dict]) -> float:
    """Give each edge whose labels, at its middle, would cover one of its end boxes a
    `label_at` point (see the module). Returns the lowest y any labels reach (0 when none
    moved): below the boxes, the drawing grows to hold them."""
    lowest = 0.0
    widest: dict[str, float] = {}
    for s in steps:
        edge, label = s.get("edge"), s.get("label")
        if edge is not None and label:
            widest[edge] = max(widest.get(edge, 0.0), text_width(label, LOCAL_FONT_PX))
    boxes = {n["id"]: _box(n) for n in nodes if "x" in n and "h" in n}
    index: _Obstacles | None = None
    stacked: dict[tuple[str, str], int] = {}
    for e in edges:
        e.pop("label_at", None)
    for e in edges:
        route = e.get("route") or []
        ends = [boxes.get(e["source"]), boxes.get(e["target"])]
        if len(route) < 2 or None in ends or e["id"] not in widest:
            continue
        x, y = middle(route)
        w = widest[e["id"]]
        on_edge = (x - w / 2, y + LOCAL_BELOW_PX - 10, x + w / 2, y + LOCAL_BELOW_PX + 3)
        if not any(_overlap(on_edge, b, MARGIN_PX) for b in ends):
            continue
        pair = (e["source"], e["target"])
        k = stacked[pair] = stacked.get(pair, -1) + 1
        index = index or _Obstacles(boxes.values(), edges)
        w = max(w, _shape_width(e))
        at = _clear_point(e["id"], x, y, w, ends, k, index)
        e["label_at"] = [round(at[0], 1), round(at[1], 1)]
        placed = _labels_rect(at[0], at[1], w)
        index.add(placed, TEXT_MARGIN_PX, e["id"])
        lowest = max(lowest, placed[3])
    return lowest


def middle(route: list) -> tuple[float, float]:
    """The route's middle as the painters find it: a straight segment's, one cubic's at 0.5,
    else the middle point."""
    if len(route) == 2:
        (x0, y0), (x1, y1) = route
        return (x0 + x1) / 2, (y0 + y1) / 2
    if len(route) == 4:
        return tuple((a + 3 * b + 3 * c + d) / 8 for a, b, c, d in zip(*route, strict=True))
    return tuple(route[(len(route) - 1) // 2])


Rect = tuple[float, float, float, float]   # left, top, right, bottom


def _clear_point(owner: str, x: float, y: float, w: float, ends: list[Rect], k: int,
                 index: _Obstacles) -> tuple[float, float]:
    """The point nearest the edge's middle (x, y), straight below its ends or above them, where
    the shape and local label written around it touch nothing."""
    low, high = max(b[3] for b in ends), min(b[1] for b in ends)
    below = _walk(owner, x, low + BELOW_PX + k * TWIN_STEP_PX, w, index, down=True)
    above = _walk(owner, x, high - ABOVE_PX - k * TWIN_STEP_PX, w, index, down=False)
    options = [p for p in (below, above) if p is not None]
    if not options:      # in the way all along: below the ends, as before anything was looked at
        return x, low + BELOW_PX + k * TWIN_STEP_PX
    # nearest the edge, first of those whose leader crosses no box on its way
    return min(options, key=lambda p: (index.crosses_box(x, y, p[1]), abs(p[1] - y)))


def _walk(owner: str, x: float, y: float, w: float, index: _Obstacles,
          down: bool) -> tuple[float, float] | None:
    """From (x, y), past whatever the labels would touch, the first clear point (None after
    PASSES obstacles, or above the drawing's top: below its bottom, the drawing grows)."""
    for _ in range(PASSES):
        rect = _labels_rect(x, y, w)
        if rect[1] < index.top:
            return None
        hits = index.touching(rect, owner)
        if not hits:
            return x, y
        y = max(b[3] for b in hits) + BELOW_PX if down else min(b[1] for b in hits) - ABOVE_PX
    return None


def _segments(route: list) -> list[tuple[float, float, float, float]]:
    """A route as the painters draw it, in straight pieces: a polyline's own, or one cubic's
    flattened to CUBIC_PIECES."""
    if len(route) == 4:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = route
        pts = [((1 - t) ** 3 * x0 + 3 * t * (1 - t) ** 2 * x1 + 3 * t * t * (1 - t) * x2 +
                t ** 3 * x3,
                (1 - t) ** 3 * y0 + 3 * t * (1 - t) ** 2 * y1 + 3 * t * t * (1 - t) * y2 +
                t ** 3 * y3) for t in (i / CUBIC_PIECES for i in range(CUBIC_PIECES + 1))]
    else:
        pts = [tuple(p) for p in route]
    return [(*a, *b) for a, b in zip(pts, pts[1:], strict=False)]


def _crossing(seg: tuple, rect: Rect, margin: float) -> Rect | None:
    """The part of a straight piece inside the rect grown by margin, as its own small rect (what
    a label walking past it must clear), or None."""
    xa, ya, xb, yb = seg
    left, right = rect[0] - margin, rect[2] + margin
    if max(xa, xb) < left or min(xa, xb) > right:
        return None
    if xa == xb:
        lo, hi = min(ya, yb), max(ya, yb)
    else:
        t0, t1 = sorted(((left - xa) / (xb - xa), (right - xa) / (xb - xa)))
        t0, t1 = max(t0, 0.0), min(t1, 1.0)
        lo, hi = sorted((ya + (yb - ya) * t0, ya + (yb - ya) * t1))
    if hi < rect[1] - margin or lo > rect[3] + margin:
        return None
    return (max(min(xa, xb), left), lo, min(max(xa, xb), right), hi)


def _labels_rect(x: float, y: float, w: float) -> Rect:
    """The shape and the local label written around (x, y)."""
    return (x - w / 2, y - SHAPE_ABOVE_PX - 9, x + w / 2, y + LOCAL_BELOW_PX + 3)


def _shape_width(e: dict) -> float:
    shape = e.get("shape")
    return text_width(shape_text(shape), SHAPE_FONT_PX) if shape else 0.0


def _box(n: dict) -> Rect:
    return (n["x"] - n["w"] / 2, n["y"] - n["h"] / 2, n["x"] + n["w"] / 2, n["y"] + n["h"] / 2)


def _overlap(a: Rect, b: Rect, margin: float) -> bool:
    return (a[0] < b[2] + margin and b[0] - margin < a[2] and a[1] < b[3] + margin and
            b[1] - margin < a[3])


class _Obstacles:
    """What a moved label must not cover: the boxes, every edge's line and its shape on it, the
    labels placed so far; in a grid of CELL_PX squares, so a label meets only what is near it
    and placing every edge's labels stays linear in the drawing's size."""

    def __init__(self, boxes: Iterable[Rect], edges: list[dict]) -> None:
        self.cells: dict[tuple[int, int], list[tuple[Rect, float, str]]] = defaultdict(list)
        self.lines: dict[tuple[int, int], list[tuple[tuple, str]]] = defaultdict(list)
        self.top = 0.0
        for b in boxes:
            self.add(b, MARGIN_PX, "")
            self.top = min(self.top, b[1])
        # the lines themselves (a label on one reads as its own), within a budget: a big flat
        # drawing's long edges bend at every rank they cross, and indexing them all cost more
        # than the rest of its trace (a 480-node chain whose x feeds every line: 80,000 pieces)
        pieces = sum(max(len(e.get("route") or ()) - 1, 0) for e in edges)
        lined = [e for e in edges if len(e.get("route") or ()) >= 2] \
            if pieces <= LINE_BUDGET else []
        for e in lined:
            for seg in _segments(e["route"]):
                xa, ya, xb, yb = seg
                for cell in _cells((min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)),
                                   TEXT_MARGIN_PX):
                    self.lines[cell].append((seg, e["id"]))
        for e in edges:
            route = e.get("route") or []
            if len(route) < 2:
                continue
            w = _shape_width(e)
            if w:
                x, y = middle(route)
                base = y - SHAPE_ABOVE_PX
                self.add((x - w / 2, base - 9, x + w / 2, base + 2), TEXT_MARGIN_PX, e["id"])

    def crosses_box(self, x: float, y0: float, y1: float) -> bool:
        """Whether the vertical leader at x from y0 to y1 runs through a box (not only its
        margin: the leader starts between the edge's own two boxes)."""
        top, bottom = min(y0, y1), max(y0, y1)
        return any(not who and b[0] < x < b[2] and b[1] < bottom and top < b[3]
                   for cell in _cells((x, top, x, bottom), 0.0)
                   for b, _, who in self.cells.get(cell, ()))

    def add(self, rect: Rect, margin: float, owner: str) -> None:
        """`rect` kept `margin` clear of; `owner` the edge whose labels it is, "" for a box."""
        for cell in _cells(rect, margin):
            self.cells[cell].append((rect, margin, owner))

    def touching(self, rect: Rect, owner: str) -> list[Rect]:
        """What the rect would touch, but its own edge's."""
        seen = []
        for cell in _cells(rect, 0.0):
            for b, margin, who in self.cells.get(cell, ()):
                if who != owner and _overlap(rect, b, margin):
                    seen.append(b)
            for seg, who in self.lines.get(cell, ()):
                if who != owner:
                    part = _crossing(seg, rect, TEXT_MARGIN_PX)
                    if part is not None:
                        seen.append(part)
        return seen


def _cells(rect: Rect, margin: float) -> list[tuple[int, int]]:
    x0, x1 = int((rect[0] - margin) // CELL_PX), int((rect[2] + margin) // CELL_PX)
    y0, y1 = int((rect[1] - margin) // CELL_PX), int((rect[3] + margin) // CELL_PX)
    return [(cx, cy) for cx in range(x0, x1 + 1) for cy in range(y0, y1 + 1)]
