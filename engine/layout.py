"""Server-side graph layout, left to right: Graphviz `dot` first, a plain layered fallback.

All coordinates are px with the origin top-left and y growing downward (1px = 1pt). A node's
position is its centre; an edge's route is a list of cubic Bézier points p0, c1, c2, p1, c1, c2,
p2, ... from the source border to the target border (the arrow tip, when dot draws one), or just
[p0, p1] when the curve is a straight line (`plain_route`).
"""

from __future__ import annotations

import heapq
import json
import threading
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate, pairwise

Point = tuple[float, float]

NODESEP_IN = 0.25  # gap between nodes of one rank (vertical, in LR), inches
RANKSEP_IN = 0.45  # gap between ranks (horizontal, in LR), inches

# Our dot settings (measured in bench/layout_bench.py). `mclimit` 0.5-4 and `searchsize` 10-100
# gave nothing better than their defaults, kept explicit here. `nslimit=1`/`nslimit1=1` (bounded
# network simplex) are gone: they saved no time on graphs dot_load lets through and cost 10-17%
# more crossings on MLPs of 450-1000 nodes. Operand order is not a graph attribute: `ordering=in`
# goes on the nodes whose inputs must be drawn top to bottom in the order given
# (LayoutNode.ordered: `a - b`, not `a * b`); on every node it cost 1.2-1.6x dot's crossings.
DOT_GRAPH_ATTRS: dict[str, str] = {
    "rankdir": "LR",
    "nodesep": str(NODESEP_IN),
    "ranksep": str(RANKSEP_IN),
    "splines": "spline",
    "mclimit": "1",
    "searchsize": "30",
}
# Same picture geometry with dot's own speed defaults; the benchmark compares against it.
DOT_DEFAULT_ATTRS: dict[str, str] = {
    k: DOT_GRAPH_ATTRS[k] for k in ("rankdir", "nodesep", "ranksep", "splines")
}

# dot_load: above 1,200 vertices (nodes + virtual nodes) or a sum of squared layer widths of
# 200,000, dot takes ~0.2 s or more here (seconds on denser graphs); the fallback takes over.
# (2,000 until issue 12: one 1,496-node layer of a 44-neuron MLP, load 0.75 then, took
# 0.47-0.56 s of CPU in dot against 0.03 s layered; with 5,000 ops a trace has several. The
# benchmark's 452-node MLP, 43 ms in dot and fewer crossings than layered, stays under it.)
MAX_DOT_VERTICES = 1200
MAX_DOT_WIDTH2 = 200_000
SWEEPS = 8  # barycenter sweeps of the fallback (alternating down/up)
_DOT_LOCK = threading.Lock()  # Graphviz keeps global state: one layout at a time per process


@dataclass(frozen=True)
class LayoutNode:
    id: str
    width: float  # px
    height: float  # px
    rank_hint: int | None = None  # accepted, currently ignored
    # Draw this node's inputs (in-edges) top to bottom in the order the edges are given.
    ordered: bool = True


@dataclass(frozen=True)
class LayoutEdge:
    id: str
    source: str
    target: str


@dataclass
class Layout:
    width: float  # px, whole drawing, origin top-left, y grows downward
    height: float
    positions: dict[str, Point]  # node id -> centre (x, y)
    routes: dict[str, list[Point]]  # edge id -> cubic Bézier points, source border to target
    engine: str  # "dot" or "layered"
    elapsed_ms: float


def layout_node(node: dict) -> LayoutNode:
    """A trace node (engine/trace.py: id, kind, op, w, h) as the layout sees it: only the op
    nodes of non-commutative ops keep their inputs in order (`a - b`: a above b); for `a * b`
    dot may swap them if that crosses fewer edges."""
    from chainrule.engine.ops import OPS  # deferred: the layout itself knows nothing of ops

    op = OPS.get(node.get("op", "")) if node.get("kind") == "op" else None
    return LayoutNode(node["id"], node["w"], node["h"],
                      ordered=op is not None and not op.commutative)


def layout_graph(
    nodes: list[LayoutNode], edges: list[LayoutEdge], *, max_dot_nodes: int = 1500,
    max_dot_load: float = 1.0,
) -> Layout:
    """Lay out left to right with dot; layered above `max_dot_nodes` nodes, when dot would be
    slow (`dot_load` over `max_dot_load`), or if dot fails."""
    _validate(nodes, edges)
    if len(nodes) <= max_dot_nodes and dot_load(nodes, edges) <= max_dot_load:
        try:
            return dot_keeping_order(nodes, edges)
        except Exception:  # noqa: BLE001 - any Graphviz failure falls back to our own layout
            pass
    return layered_layout(nodes, edges)


def dot_load(nodes: list[LayoutNode], edges: list[LayoutEdge]) -> float:
    """How long dot would take, as a share of what we allow it (above 1.0: the fallback).
    dot's time grows with the vertices its crossing minimisation and spline routing handle —
    the nodes plus one virtual node for every layer an edge skips — and with how wide the
    layers are (each sweep compares neighbours within a layer). Dense programs, where values
    are reused many lines later, have long edges: 250 nodes can mean 2,000-5,000 vertices and
    seconds of dot; random DAGs have wide layers. Layers as the fallback assigns them (dot's
    own ranking may shorten edges a little). Calibration: bench/README.md, Layout."""
    index = {node.id: i for i, node in enumerate(nodes)}
    src = [index[e.source] for e in edges]
    dst = [index[e.target] for e in edges]
    rank, forward = _ranks(len(nodes), src, dst)
    if not nodes:
        return 0.0
    # Layer widths by a difference array: +1 where an edge's dummies start, -1 after they end
    # (walking every skipped rank of every edge grew with the square of a deep chain's depth).
    change = [0] * (max(rank) + 2)
    for r in rank:
        change[r] += 1
        change[r + 1] -= 1
    for s, t, ok in zip(src, dst, forward, strict=True):
        if ok and rank[t] > rank[s] + 1:
            change[rank[s] + 1] += 1
            change[rank[t]] -= 1
    width = list(accumulate(change[:-1]))
    vertices = sum(width)
    return max(vertices / MAX_DOT_VERTICES, sum(w * w for w in width) / MAX_DOT_WIDTH2)


def dot_keeping_order(nodes: list[LayoutNode], edges: list[LayoutEdge]) -> Layout:
    """dot free to order every node's inputs; again with `ordering=in` on the `ordered` nodes
    only if the free layout drew one of them out of order. Constraining up front cost crossings
    even where the free layout already had every operand in place (bench/README.md)."""
    free = dot_layout(nodes, edges, node_ordering=False)
    if inputs_in_order(free, nodes, edges):
        return free
    kept = dot_layout(nodes, edges)
    kept.elapsed_ms += free.elapsed_ms
    return kept


def inputs_in_order(layout: Layout, nodes: list[LayoutNode], edges: list[LayoutEdge]) -> bool:
    """Whether every `ordered` node's distinct inputs are drawn top to bottom in edge order."""
    ordered = {node.id for node in nodes if node.ordered}
    inputs: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        srcs = inputs[edge.target] if edge.target in ordered else None
        if srcs is not None and edge.source not in srcs:
            srcs.append(edge.source)
    y = {k: p[1] for k, p in layout.positions.items()}
    return all(y[a] <= y[b] for srcs in inputs.values() for a, b in pairwise(srcs))


def _validate(nodes: list[LayoutNode], edges: list[LayoutEdge]) -> None:
    ids = {node.id for node in nodes}
    if len(ids) != len(nodes):
        raise ValueError("duplicate node id")
    if len({edge.id for edge in edges}) != len(edges):
        raise ValueError("duplicate edge id")
    for edge in edges:
        if edge.source not in ids or edge.target not in ids:
            raise ValueError(f"edge {edge.id!r} refers to an unknown node")


STRAIGHT_PX = 0.2   # a route whose points all lie this close to one segment is that segment


def plain_route(route: tuple[Point, ...]) -> tuple[Point, ...]:
    """[first, last] when every point of the route lies on the segment between them, in order
    (dot draws most edges of a chain as two straight cubics: seven points); else the route.
    Renderers draw two points as a line (static/js/graph.js routePath, app/svg_export.py)."""
    if len(route) <= 2:
        return route
    (x0, y0), (x1, y1) = route[0], route[-1]
    dx, dy = x1 - x0, y1 - y0
    length = (dx * dx + dy * dy) ** 0.5
    if length == 0:
        return route
    last = 0.0
    for x, y in route[1:-1]:
        if abs((x - x0) * dy - (y - y0) * dx) / length > STRAIGHT_PX:
            return route
        along = ((x - x0) * dx + (y - y0) * dy) / length
        if along < last - STRAIGHT_PX or along > length + STRAIGHT_PX:
            return route      # goes back, or past the end: not the segment drawn once
        last = max(last, along)
    return (route[0], route[-1])


def _line(a: Point, b: Point) -> list[Point]:
    """A straight segment as one cubic: a, c1, c2, b."""
    (ax, ay), (bx, by) = a, b
    return [a, (ax + (bx - ax) / 3, ay + (by - ay) / 3), (ax + 2 * (bx - ax) / 3,
            ay + 2 * (by - ay) / 3), b]


# ---------------------------------------------------------------------------------------- dot


def dot_source(
    nodes: list[LayoutNode], edges: list[LayoutEdge], graph_attrs: dict[str, str],
    node_ordering: bool = True,
) -> str:
    """DOT text with safe internal names (n0, n1, ...; edges carry id=e0, e1, ...).
    With `node_ordering`, nodes marked `ordered` that have several inputs get `ordering=in`."""
    names = {node.id: f"n{i}" for i, node in enumerate(nodes)}
    attrs = ", ".join(f'{k}="{v}"' for k, v in graph_attrs.items())
    lines = ["digraph G {", f"graph [{attrs}];", 'node [shape=box, fixedsize=true, label=""];']
    fan_in: dict[str, int] = defaultdict(int)
    for edge in edges:
        fan_in[edge.target] += 1
    for i, node in enumerate(nodes):
        w, h = max(node.width, 1.0) / 72, max(node.height, 1.0) / 72
        order = ', ordering="in"' if node_ordering and node.ordered and fan_in[node.id] > 1 else ""
        lines.append(f"n{i} [width={w:.6f}, height={h:.6f}{order}];")
    for j, edge in enumerate(edges):
        lines.append(f"{names[edge.source]} -> {names[edge.target]} [id=e{j}];")
    lines.append("}")
    return "\n".join(lines)


def _parse_spline(pos: str) -> tuple[list[Point], Point | None, Point | None]:
    """dot's edge `pos`: ([points], start arrow tip, end arrow tip); first spline only."""
    pos = pos.replace("\\\n", "").split(";")[0]
    points: list[Point] = []
    start = end = None
    for token in pos.split():
        parts = token.split(",")
        if parts[0] in ("e", "s"):
            tip = (float(parts[1]), float(parts[2]))
            if parts[0] == "e":
                end = tip
            else:
                start = tip
        else:
            points.append((float(parts[0]), float(parts[1])))
    return points, start, end


def dot_layout(
    nodes: list[LayoutNode],
    edges: list[LayoutEdge],
    graph_attrs: dict[str, str] = DOT_GRAPH_ATTRS,
    node_ordering: bool = True,
) -> Layout:
    """Lay out with Graphviz dot through pygraphviz (raises if dot fails). `node_ordering=False`
    ignores LayoutNode.ordered (dot's defaults, for the benchmark)."""
    t0 = time.perf_counter()
    if not nodes:
        return Layout(0.0, 0.0, {}, {}, "dot", (time.perf_counter() - t0) * 1000)
    import pygraphviz  # deferred: the fallback works without it

    source = dot_source(nodes, edges, graph_attrs, node_ordering)
    with _DOT_LOCK:
        raw = pygraphviz.AGraph(string=source).draw(format="json0", prog="dot")
    data = json.loads(raw)
    llx, lly, urx, ury = (float(v) for v in data["bb"].split(","))

    def conv(p: Point) -> Point:
        return (p[0] - llx, ury - p[1])

    by_name = {o["name"]: o for o in data.get("objects", []) if "pos" in o}
    positions: dict[str, Point] = {}
    for i, node in enumerate(nodes):
        x, y = (float(v) for v in by_name[f"n{i}"]["pos"].split(","))
        positions[node.id] = conv((x, y))
    by_id = {e["id"]: e for e in data.get("edges", [])}
    routes: dict[str, list[Point]] = {}
    for j, edge in enumerate(edges):
        points, start, end = _parse_spline(by_id[f"e{j}"]["pos"])
        if start is not None:
            points = _line(start, points[0])[:-1] + points
        if end is not None:
            points = points + _line(points[-1], end)[1:]
        routes[edge.id] = [conv(p) for p in points]
    return Layout(urx - llx, ury - lly, positions, routes, "dot", (time.perf_counter() - t0) * 1000)


# ------------------------------------------------------------------------------------ layered


def _topo_order(n: int, src: list[int], dst: list[int]) -> list[int]:
    """Kahn's order preferring insertion order; a cycle is broken at its earliest node."""
    indeg = [0] * n
    succ: list[list[int]] = [[] for _ in range(n)]
    for s, t in zip(src, dst, strict=True):
        if s != t:
            indeg[t] += 1
            succ[s].append(t)
    heap = [v for v in range(n) if indeg[v] == 0]
    heapq.heapify(heap)
    done = [False] * n
    order: list[int] = []
    next_forced = 0
    while len(order) < n:
        if not heap:
            while done[next_forced]:
                next_forced += 1
            heap.append(next_forced)
            indeg[next_forced] = 0
        v = heapq.heappop(heap)
        if done[v]:
            continue
        done[v] = True
        order.append(v)
        for t in succ[v]:
            indeg[t] -= 1
            if indeg[t] == 0 and not done[t]:
                heapq.heappush(heap, t)
    return order


def _dfs_order(n: int, up: list[list[int]]) -> list[int]:
    """Vertices in preorder of a walk back from the sinks (last node first), inputs in order."""
    has_down = [False] * len(up)
    for v in range(len(up)):
        for u in up[v]:
            has_down[u] = True
    roots = [v for v in range(n - 1, -1, -1) if not has_down[v]]
    seen = [False] * len(up)
    order: list[int] = []
    for root in roots + list(range(n)):
        stack = [root]
        while stack:
            v = stack.pop()
            if seen[v]:
                continue
            seen[v] = True
            order.append(v)
            stack.extend(reversed(up[v]))
    return order


# Above this many edges between two layers the crossing count switches from sorted-list
# insertion (fast in C, but each insertion moves up to this many entries) to a Fenwick tree.
INSERTION_MAX = 2048


def _crossings(upper: list[int], lower: list[int], down: list[list[int]]) -> int:
    """Crossings between two adjacent layers (inversion count over edges sorted by upper end),
    O(E log E) for E edges between them. Inversions by binary search into the sorted prefix:
    list.insert moves memory in C, several times faster here than a Fenwick tree walked in
    Python (dense graphs: ~100 ranks x 9), while E stays under INSERTION_MAX, where each
    insertion's move is bounded; above it, the Fenwick tree (O(log V) per edge)."""
    pos = {v: i for i, v in enumerate(lower)}
    seq: list[int] = []
    for v in upper:
        below = down[v]
        if len(below) == 1:   # dummies and most real nodes
            seq.append(pos[below[0]])
        elif below:
            seq.extend(sorted([pos[w] for w in below]))
    if len(seq) > INSERTION_MAX:
        return _crossings_fenwick(seq, len(lower))
    count = 0
    seen: list[int] = []
    for k, p in enumerate(seq):
        i = bisect_right(seen, p)   # earlier entries <= p; the others cross this edge
        count += k - i
        seen.insert(i, p)
    return count


def _crossings_fenwick(seq: list[int], size: int) -> int:
    """Pairs k < l with seq[k] > seq[l], positions in [0, size)."""
    tree = [0] * (size + 1)
    count = 0
    for k, p in enumerate(seq):
        i, at_most = p + 1, 0   # earlier entries <= p
        while i > 0:
            at_most += tree[i]
            i &= i - 1
        count += k - at_most
        i = p + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return count


def _reorder(layer: list[int], neighbours: list[list[int]], pos: dict[int, int]) -> list[int]:
    """Barycenter sort; vertices without neighbours keep their slots."""
    # One neighbour (dummies, most nodes): its position, what the mean gives, without sum().
    movable = [(pos[nb[0]] / 1 if len(nb) == 1 else sum(pos[u] for u in nb) / len(nb), i, v)
               for i, v in enumerate(layer) if (nb := neighbours[v])]
    movable.sort()
    it = iter(v for _, _, v in movable)
    return [next(it) if neighbours[v] else v for v in layer]


def _pack(desired: list[float], gaps: list[float]) -> list[float]:
    """Closest positions (least squares) to `desired` keeping consecutive minimum gaps (PAV)."""
    if len(desired) == 1:   # a deep chain's layers
        return [desired[0]]
    offsets = [0.0]
    for g in gaps:
        offsets.append(offsets[-1] + g)
    blocks: list[list[float]] = []  # [sum, count]
    for d, s in zip(desired, offsets, strict=True):
        blocks.append([d - s, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    fitted = [total / count for total, count in blocks for _ in range(int(count))]
    return [f + s for f, s in zip(fitted, offsets, strict=True)]


def _ranks(n: int, src: list[int], dst: list[int]) -> tuple[list[int], list[bool]]:
    """Each node's layer, and which edges go forward (the others close a cycle): longest path
    from the sources, then every node as late as its consumers allow (measured: far fewer
    crossings than leaving producers early, see bench/layout_bench.py)."""
    order = _topo_order(n, src, dst)
    topo = [0] * n
    for k, v in enumerate(order):
        topo[v] = k
    forward = [topo[s] < topo[t] for s, t in zip(src, dst, strict=True)]
    preds: list[list[int]] = [[] for _ in range(n)]
    succs: list[list[int]] = [[] for _ in range(n)]
    for j, ok in enumerate(forward):
        if ok:
            preds[dst[j]].append(src[j])
            succs[src[j]].append(dst[j])
    rank = [0] * n
    for v in order:
        rank[v] = max((rank[u] + 1 for u in preds[v]), default=0)
    for v in reversed(order):
        if succs[v]:
            rank[v] = min(rank[t] for t in succs[v]) - 1
    return rank, forward


def _corners(dummies: list[int], xs: list[float], ys: list[float]) -> list[int]:
    """Indices of the trunk dummies where its polyline bends (more than 0.5 px off the line
    through the last kept point and the next dummy); the others add nothing to a route. A trunk
    shared by many edges is mostly straight: every edge repeating each of its points made the
    routes grow with the square of the depth."""
    kept: list[int] = []
    for k in range(len(dummies)):
        if kept and k + 1 < len(dummies):
            a, b, c = dummies[kept[-1]], dummies[k], dummies[k + 1]
            dx, dy = xs[c] - xs[a], ys[c] - ys[a]
            off = abs(dy * (xs[b] - xs[a]) - dx * (ys[b] - ys[a]))
            if off <= 0.5 * max(abs(dx) + abs(dy), 1e-9):
                continue
        kept.append(k)
    return kept


def _keep_operand_order(layers: list[list[int]], nodes: list[LayoutNode], dst: list[int],
                        before: dict[int, int]) -> None:
    """In place: for each `ordered` node, the vertices its input edges leave the layer before
    it from are put in edge order (in the slots they already hold), so `a - b` enters with `a`
    on top. After the crossing sweeps, which know nothing of operand order."""
    inputs: dict[int, dict[int, None]] = defaultdict(dict)   # ordered node -> last vertex
    for j, t in enumerate(dst):                                # per input, in edge order
        v = before.get(j)
        if v is not None and nodes[t].ordered:
            inputs[t].setdefault(v, None)   # a dict: `not in` a list was quadratic in fan-in
    where = {v: (i, k) for i, layer in enumerate(layers) for k, v in enumerate(layer)}
    for ordered in inputs.values():
        if len(ordered) < 2:
            continue
        vs = list(ordered)
        layer = layers[where[vs[0]][0]]
        slots = sorted(where[v][1] for v in vs)
        for k, v in zip(slots, vs, strict=True):
            layer[k] = v
            where[v] = (where[v][0], k)


def layered_layout(nodes: list[LayoutNode], edges: list[LayoutEdge]) -> Layout:
    """Longest-path layers, barycenter sweeps, least-squares packing, cubic routes."""
    t0 = time.perf_counter()
    n = len(nodes)
    if n == 0:
        return Layout(0.0, 0.0, {}, {}, "layered", (time.perf_counter() - t0) * 1000)
    nodesep, ranksep = NODESEP_IN * 72, RANKSEP_IN * 72
    index = {node.id: i for i, node in enumerate(nodes)}
    src = [index[e.source] for e in edges]
    dst = [index[e.target] for e in edges]
    rank, forward = _ranks(n, src, dst)

    # Vertices: the real nodes, then dummies for the ranks edges skip. The forward edges of one
    # source share one trunk of dummies (one per rank up to its farthest target), each leaving
    # it at the rank before its target: a value used on every later line (`x` of a deep chain)
    # costs one dummy per rank instead of one per rank per use, which made the layered graph,
    # and so every sweep, grow with the square of the depth (issue 12).
    widths = [node.width for node in nodes]
    heights = [node.height for node in nodes]
    vrank = list(rank)
    up: list[list[int]] = [[] for _ in range(n)]
    down: list[list[int]] = [[] for _ in range(n)]
    trunk: dict[int, list[int]] = {}   # source -> its trunk, the source first
    before: dict[int, int] = {}   # forward edge -> the vertex it enters its target from
    for j, ok in enumerate(forward):
        if not ok:
            continue
        s, t = src[j], dst[j]
        chain = trunk.setdefault(s, [s])
        while rank[s] + len(chain) < rank[t]:   # extend the trunk to the rank just before t
            v = len(vrank)
            vrank.append(rank[s] + len(chain))
            widths.append(0.0)
            heights.append(0.0)
            up.append([chain[-1]])
            down.append([])
            down[chain[-1]].append(v)
            chain.append(v)
        # Trunk links are made once; each edge's last link its own (parallel edges count twice,
        # as dot counts them).
        before[j] = chain[rank[t] - rank[s] - 1]
        down[before[j]].append(t)
        up[t].append(before[j])
    layers: list[list[int]] = [[] for _ in range(max(vrank) + 1)]
    for v in _dfs_order(n, up):
        layers[vrank[v]].append(v)

    # Order within layers: alternate down/up barycenter sweeps, keep the best seen.
    # Two layers cross only if each has two vertices (edges sharing an end never cross): a
    # deep chain's 10,000 one-vertex layers are skipped.
    def total_crossings(ls: list[list[int]]) -> int:
        return sum(_crossings(a, b, down) for a, b in zip(ls, ls[1:], strict=False)
                   if len(a) > 1 and len(b) > 1)

    # Every candidate gets its operand order fixed before it is counted, so the best one is
    # chosen among drawings that show `a - b` with a on top.
    _keep_operand_order(layers, nodes, dst, before)
    best, best_count = [list(layer) for layer in layers], total_crossings(layers)
    for sweep in range(SWEEPS):
        if best_count == 0:   # nothing left to improve: the best is kept whatever comes
            break
        if sweep % 2 == 0:
            for i in range(1, len(layers)):
                if len(layers[i]) > 1:
                    pos = {v: k for k, v in enumerate(layers[i - 1])}
                    layers[i] = _reorder(layers[i], up, pos)
        else:
            for i in range(len(layers) - 2, -1, -1):
                if len(layers[i]) > 1:
                    pos = {v: k for k, v in enumerate(layers[i + 1])}
                    layers[i] = _reorder(layers[i], down, pos)
        _keep_operand_order(layers, nodes, dst, before)
        count = total_crossings(layers)
        if count < best_count:
            best, best_count = [list(layer) for layer in layers], count
    layers = best

    # x: one column per layer, as wide as its widest node.
    xs = [0.0] * len(vrank)
    left = 0.0
    for layer in layers:
        col = max((widths[v] for v in layer), default=0.0)
        for v in layer:
            xs[v] = left + col / 2
        left += col + ranksep

    # y: stack, then pull each vertex towards its neighbours' mean while keeping the gaps.
    def gaps(layer: list[int]) -> list[float]:
        return [(heights[a] + heights[b]) / 2 + (nodesep if a < n and b < n else nodesep / 2)
                for a, b in zip(layer, layer[1:], strict=False)]

    ys = [0.0] * len(vrank)
    for layer in layers:
        for v, y in zip(layer, _pack([0.0] * len(layer), gaps(layer)), strict=True):
            ys[v] = y
    for sweep in range(4):
        idx = range(1, len(layers)) if sweep % 2 == 0 else range(len(layers) - 2, -1, -1)
        nbrs = up if sweep % 2 == 0 else down
        for i in idx:
            layer = layers[i]
            desired = [ys[v] if not (nb := nbrs[v]) else (0 + ys[nb[0]]) / 1 if len(nb) == 1
                       else sum(ys[u] for u in nb) / len(nb) for v in layer]   # 0 +: as sum()
            for v, y in zip(layer, _pack(desired, gaps(layer)), strict=True):
                ys[v] = y

    # Routes: horizontal tangents through the dummies; parallel edges get spread ports.
    parallel: dict[tuple[int, int], list[int]] = defaultdict(list)
    for j in range(len(edges)):
        parallel[(src[j], dst[j])].append(j)
    port = [0.0] * len(edges)
    for group in parallel.values():
        if len(group) > 1:
            s, t = src[group[0]], dst[group[0]]
            step = min(8.0, min(heights[s], heights[t]) / (len(group) + 1))
            for k, j in enumerate(group):
                port[j] = (k - (len(group) - 1) / 2) * step

    raw_routes: list[list[Point]] = []
    corners: dict[int, list[int]] = {}   # source -> its trunk's bends
    for j in range(len(edges)):
        s, t = src[j], dst[j]
        if s == t:
            x0, y0, h = xs[s] + widths[s] / 2, ys[s], heights[s] / 4 + port[j]
            raw_routes.append([(x0, y0 - h), (x0 + 30, y0 - h - 20), (x0 + 30, y0 + h + 20),
                               (x0, y0 + h)])
            continue
        if j in before:
            dummies = trunk[s][1:]   # this edge leaves the trunk after dummies[:rank[t]-rank[s]-1]
            if s not in corners:
                corners[s] = _corners(dummies, xs, ys)
            last = rank[t] - rank[s] - 1
            pts = [(xs[dummies[k]], ys[dummies[k]])
                   for k in corners[s][:bisect_left(corners[s], last - 1)]]
            if last:
                pts.append((xs[dummies[last - 1]], ys[dummies[last - 1]]))
            pts.insert(0, (xs[s] + widths[s] / 2, ys[s] + port[j]))
            pts.append((xs[t] - widths[t] / 2, ys[t] + port[j]))
        else:  # against the flow (a cycle): leave from the side facing the target
            sign = 1 if xs[t] > xs[s] else -1
            pts = [(xs[s] + sign * widths[s] / 2, ys[s] + port[j]),
                   (xs[t] - sign * widths[t] / 2, ys[t] + port[j])]
        route = [pts[0]]
        for (ax, ay), (bx, by) in zip(pts, pts[1:], strict=False):
            mid = (bx - ax) / 2
            route += [(ax + mid, ay), (bx - mid, by), (bx, by)]
        raw_routes.append(route)

    # Shift so the drawing starts at (0, 0).
    route_xs = [p[0] for r in raw_routes for p in r]
    route_ys = [p[1] for r in raw_routes for p in r]
    xs_all = [xs[v] - widths[v] / 2 for v in range(n)] + route_xs
    ys_all = [ys[v] - heights[v] / 2 for v in range(n)] + route_ys
    xe_all = [xs[v] + widths[v] / 2 for v in range(n)] + route_xs
    ye_all = [ys[v] + heights[v] / 2 for v in range(n)] + route_ys
    x0, y0 = min(xs_all), min(ys_all)
    positions = {node.id: (xs[i] - x0, ys[i] - y0) for i, node in enumerate(nodes)}
    routes = {edge.id: [(x - x0, y - y0) for x, y in raw_routes[j]]
              for j, edge in enumerate(edges)}
    return Layout(max(xe_all) - x0, max(ye_all) - y0, positions, routes, "layered",
                  (time.perf_counter() - t0) * 1000)
