"""Big graphs: the collapsed view (one box per statement group) and per-group sublayouts.

Above COLLAPSE_ABOVE nodes the whole-graph layout is skipped (seconds of dot at 3,000 nodes,
a tangled layered fallback above 1,500). Instead:

1. each group's members are laid out on their own (dot on ~60-120 nodes: a few ms each);
2. the quotient graph — one box per group, ungrouped nodes as they are, one edge per pair of
   boxes that trace edges join — is laid out with dot (tens of ms for ~50 boxes);
3. `arrange` puts expanded groups back into the collapsed layout by widening their column and
   pushing the boxes below them down. The Trace's node positions are this arrangement with every
   group expanded. The page paints the groups the user opened from what the trace decided here:
   the columns (`columns_of`: which boxes, top to bottom; collapsed.boxes in that order and
   collapsed.columns their counts, a few bytes) and the frame metrics (collapsed.frame);
   static/js/groups.js only adds up the growth, so its pictures and the exports agree.

Measured on the 3,000-node benchmark program: laying out each of its 46 groups took ~170 ms in
all, against ~210 ms for the layered whole graph (~750 ms with dot), and each group gets dot's
quality, so per-group sublayouts beat sending the full layout; groups of the same shape then
share one cached layout (46 groups, 6 shapes: ~30 ms), and the collapsed view adds ~30 ms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from chainrule.engine.layout import LayoutEdge, LayoutNode, layout_node
from chainrule.engine.text_metrics import text_width

COLLAPSE_ABOVE = 500     # nodes: a bigger trace opens collapsed (bench/README.md, Big graphs)
BOX_H = 52.0             # a collapsed group: statement text, then "k of n done" / latest value
BOX_PAD_X = 14.0
BOX_MIN_W = 120.0
FRAME_PAD = 12.0         # an expanded group: its members inside a frame with a title bar
FRAME_TITLE = 26.0
MARGIN = 16.0            # around the whole drawing
CURVE_DX = 24.0          # an edge between boxes leaves and enters level for at least this

Placer = Callable[[list[LayoutNode], list[LayoutEdge]], object]


@dataclass(frozen=True)
class Box:
    """One item of the collapsed view: a group's box or an ungrouped node. Centre and size."""

    id: str
    kind: str            # "group" | "node"
    x: float
    y: float
    w: float
    h: float


def box_width(label: str) -> float:
    return round(max(BOX_MIN_W, text_width(label) + 2 * BOX_PAD_X), 1)


def frame_size(inner_w: float, inner_h: float) -> tuple[float, float]:
    """Outer size of an expanded group whose members span inner_w × inner_h."""
    return inner_w + 2 * FRAME_PAD, inner_h + 2 * FRAME_PAD + FRAME_TITLE


def columns_of(boxes: list[Box]) -> list[tuple[list[Box], float, float]]:
    """The collapsed view's columns, left to right: (boxes top to bottom, left edge, width).
    dot puts every rank of a left-to-right layout on one centre x, so a rank is a column."""
    columns: dict[float, list[Box]] = defaultdict(list)
    for b in boxes:
        columns[round(b.x * 2) / 2].append(b)
    out = []
    for key in sorted(columns):
        col = sorted(columns[key], key=lambda b: b.y)
        left = min(b.x - b.w / 2 for b in col)
        out.append((col, left, max(b.x + b.w / 2 for b in col) - left))
    return out


def arrange(boxes: list[Box], size: dict[str, tuple[float, float]]
            ) -> tuple[dict[str, tuple[float, float]], float, float]:
    """New centres when some boxes grow to `size[id]` (w, h): the rest keep their places.

    A column (`columns_of`) widens to its widest grown box (grown boxes align to the column's
    left edge) and every column to its right moves right by as much; within a column, boxes
    below a grown one move down by its extra height. Nothing overlaps that did not overlap
    before. The page paints the same sums from collapsed.columns (static/js/groups.js)."""
    out: dict[str, tuple[float, float]] = {}
    shift = 0.0
    right = bottom = 0.0
    for col, left, old_w in columns_of(boxes):
        new_w = old_w
        drop = 0.0
        for b in col:
            w, h = size.get(b.id, (b.w, b.h))
            new_w = max(new_w, w)
            x = left + shift + w / 2 if w > b.w else b.x + shift
            top = b.y - b.h / 2 + drop
            out[b.id] = (round(x, 1), round(top + h / 2, 1))
            drop += h - b.h
            right = max(right, x + w / 2)
            bottom = max(bottom, top + h)
        shift += new_w - old_w
    return out, round(right + MARGIN, 1), round(bottom + MARGIN, 1)


def cubic(a: tuple[float, float], b: tuple[float, float]) -> list[list[float]]:
    """An S-shaped cubic from a (a right border) to b (a left border): p0 c1 c2 p1."""
    dx = max(CURVE_DX, abs(b[0] - a[0]) / 2)
    return [[round(a[0], 1), round(a[1], 1)], [round(a[0] + dx, 1), round(a[1], 1)],
            [round(b[0] - dx, 1), round(b[1], 1)], [round(b[0], 1), round(b[1], 1)]]


def lay_out_grouped(nodes: list[dict], edges: list[dict], groups: list[dict],
                    place: Placer) -> tuple[dict, dict]:
    """Positions every node and route every edge of a big trace (in place) and returns
    (layout, collapsed): `layout` is the all-expanded arrangement's size, `collapsed` the view
    the page draws first. `place(nodes, edges)` lays out one graph (engine.trace._placed)."""
    members: dict[str, list[dict]] = defaultdict(list)
    owner: dict[str, str] = {}
    for n in nodes:
        gid = n.get("group")
        owner[n["id"]] = gid if gid is not None else n["id"]
        if gid is not None:
            members[gid].append(n)
    inner: dict[str, list[dict]] = defaultdict(list)
    pairs: dict[tuple[str, str], None] = {}
    for e in edges:
        a, b = owner[e["source"]], owner[e["target"]]
        if a == b and a in members:
            inner[a].append(e)
        elif a != b:
            pairs.setdefault((a, b), None)
    elapsed = 0.0
    rel: dict[str, tuple[float, float, float, float]] = {}   # group → x0, y0, w, h of members
    for gid, mem in members.items():
        elapsed += _sublayout(mem, inner[gid], place, rel, gid)
    label = {g["id"]: g["label"] for g in groups}
    # Statement boxes have no operand order to keep: dot orders them for fewer crossings.
    items = [LayoutNode(g, box_width(label.get(g, g)), BOX_H, ordered=False) for g in members]
    items += [layout_node(n) for n in nodes if n.get("group") is None]
    box_edges = [LayoutEdge(f"c{k}", a, b) for k, (a, b) in enumerate(pairs)]
    placed = place(items, box_edges)
    elapsed += placed.elapsed_ms
    boxes = [Box(it.id, "group" if it.id in members else "node", *placed.positions[it.id],
                 it.width, it.height) for it in items]
    columns = columns_of(boxes)
    collapsed = {"threshold": COLLAPSE_ABOVE, "width": placed.width, "height": placed.height,
                 "engine": placed.engine, "elapsed_ms": round(placed.elapsed_ms, 2),
                 # column by column, top to bottom: the order static/js/groups.js sums in
                 "boxes": [{"id": b.id, "kind": b.kind, "x": b.x, "y": b.y, "w": b.w, "h": b.h}
                           for col, _, _ in columns for b in col],
                 "columns": [len(col) for col, _, _ in columns],
                 "frame": {"pad": FRAME_PAD, "title": FRAME_TITLE, "margin": MARGIN,
                           "curve": CURVE_DX},
                 "edges": [{"id": e.id, "source": e.source, "target": e.target,
                            "route": [list(p) for p in placed.routes.get(e.id, ())]}
                           for e in box_edges]}
    grown = {gid: frame_size(r[2], r[3]) for gid, r in rel.items()}
    centres, width, height = arrange(boxes, grown)
    origins = _place_members(nodes, centres, grown)
    _route_between(edges, nodes, origins)
    layout = {"width": width, "height": height, "engine": "groups",
              "elapsed_ms": round(elapsed, 2)}
    return layout, collapsed


def _sublayout(mem: list[dict], inner: list[dict], place: Placer,
               rel: dict[str, tuple[float, float, float, float]], gid: str) -> float:
    """Lay out one group's members; keep positions relative to their bounding box (stored on
    the nodes as _rx/_ry, the routes on the edges) for _place_members.

    The layout is asked for under positional names (n0, n1, … e0, …), not the trace's ids: groups
    of the same shape (every neuron of a layer: same box sizes, same edges) then share one
    cached layout. The 3,000-node benchmark's 46 groups have 6 distinct shapes."""
    local = {n["id"]: f"n{k}" for k, n in enumerate(mem)}
    placed = place([LayoutNode(local[n["id"]], n["w"], n["h"], ordered=layout_node(n).ordered)
                    for n in mem],
                   [LayoutEdge(f"e{j}", local[e["source"]], local[e["target"]])
                    for j, e in enumerate(inner)])
    at = [placed.positions[local[n["id"]]] for n in mem]
    x0 = min(p[0] - n["w"] / 2 for p, n in zip(at, mem, strict=True))
    y0 = min(p[1] - n["h"] / 2 for p, n in zip(at, mem, strict=True))
    x1 = max(p[0] + n["w"] / 2 for p, n in zip(at, mem, strict=True))
    y1 = max(p[1] + n["h"] / 2 for p, n in zip(at, mem, strict=True))
    for (px, py), n in zip(at, mem, strict=True):
        n["_rx"], n["_ry"] = px - x0, py - y0
    for j, e in enumerate(inner):
        e["_rel"] = [(px - x0, py - y0) for px, py in placed.routes.get(f"e{j}", ())]
        e["_group"] = gid
    rel[gid] = (x0, y0, x1 - x0, y1 - y0)
    return placed.elapsed_ms


def _place_members(nodes: list[dict], centres: dict[str, tuple[float, float]],
                   grown: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Absolute node centres; returns each group's members' origin (top-left of their box)."""
    origin: dict[str, tuple[float, float]] = {}
    for gid, (fw, fh) in grown.items():
        cx, cy = centres[gid]
        origin[gid] = (cx - fw / 2 + FRAME_PAD, cy - fh / 2 + FRAME_PAD + FRAME_TITLE)
    for n in nodes:
        gid = n.get("group")
        if gid is None:
            n["x"], n["y"] = centres[n["id"]]
            continue
        ox, oy = origin[gid]
        n["x"], n["y"] = round(ox + n.pop("_rx"), 1), round(oy + n.pop("_ry"), 1)
    return origin


def _route_between(edges: list[dict], nodes: list[dict],
                   origins: dict[str, tuple[float, float]]) -> None:
    """Routes in the all-expanded arrangement: a group's inner edges keep their sublayout route,
    moved with the group; any other edge is a plain curve from border to border."""
    at = {n["id"]: n for n in nodes}
    for e in edges:
        rel = e.pop("_rel", None)
        gid = e.pop("_group", None)
        if rel is not None and gid is not None:
            ox, oy = origins[gid]
            e["route"] = [[round(ox + px, 1), round(oy + py, 1)] for px, py in rel]
            continue
        s, t = at[e["source"]], at[e["target"]]
        e["route"] = cubic((s["x"] + s["w"] / 2, s["y"]), (t["x"] - t["w"] / 2, t["y"]))
