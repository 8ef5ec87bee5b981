"""Layout invariants, for dot and for the layered fallback (forced with max_dot_nodes=0)."""

from __future__ import annotations

import random

import pytest
from chainrule.engine.layout import Layout, LayoutEdge, LayoutNode, layered_layout, layout_graph
from chainrule.engine.text_metrics import CHAR_WIDTH_EM, text_width

TENSOR, OP = (120.0, 44.0), (44.0, 28.0)
ENGINES = {"dot": 1500, "layered": 0}


def expression() -> tuple[list[LayoutNode], list[LayoutEdge]]:
    """f = (a*b + a*a) * tanh(c), drawn like micrograd: op boxes feed value boxes."""
    n = [LayoutNode(i, *TENSOR) for i in ("a", "b", "c")]
    n += [LayoutNode(i, *OP) for i in ("mul1", "mul2", "add", "tanh", "mul3")]
    n += [LayoutNode(i, *TENSOR) for i in ("ab", "aa", "s", "t", "f")]
    pairs = [("a", "mul1"), ("b", "mul1"), ("mul1", "ab"), ("a", "mul2"), ("a", "mul2"),
             ("mul2", "aa"), ("ab", "add"), ("aa", "add"), ("add", "s"), ("c", "tanh"),
             ("tanh", "t"), ("s", "mul3"), ("t", "mul3"), ("mul3", "f")]
    return n, [LayoutEdge(f"e{k}", s, t) for k, (s, t) in enumerate(pairs)]


def random_dag(n: int, m: int, seed: int) -> tuple[list[LayoutNode], list[LayoutEdge]]:
    rng = random.Random(seed)
    nodes = [LayoutNode(f"v{i}", *(OP if rng.random() < 0.5 else TENSOR)) for i in range(n)]
    edges = []
    for k in range(m):
        i, j = sorted(rng.sample(range(n), 2))
        edges.append(LayoutEdge(f"e{k}", f"v{i}", f"v{j}"))
    return nodes, edges


def box_distance(p: tuple[float, float], node: LayoutNode, layout: Layout) -> float:
    """Distance from p to the node's box (0 inside)."""
    cx, cy = layout.positions[node.id]
    dx = max(abs(p[0] - cx) - node.width / 2, 0.0)
    dy = max(abs(p[1] - cy) - node.height / 2, 0.0)
    return (dx * dx + dy * dy) ** 0.5


def sample(route: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points along a cubic Bézier chain."""
    out = []
    for k in range(0, len(route) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = route[k : k + 4]
        for t in (0.0, 0.25, 0.5, 0.75, 1.0):
            u = 1 - t
            out.append((u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                        u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3))
    return out


def check_invariants(nodes: list[LayoutNode], edges: list[LayoutEdge], layout: Layout,
                     dag: bool = True) -> None:
    by_id = {node.id: node for node in nodes}
    assert list(layout.positions) == [node.id for node in nodes]
    assert list(layout.routes) == [edge.id for edge in edges]
    tol = 1.0
    for node in nodes:  # inside the drawing
        x, y = layout.positions[node.id]
        assert node.width / 2 - tol <= x <= layout.width - node.width / 2 + tol
        assert node.height / 2 - tol <= y <= layout.height - node.height / 2 + tol
    for i, a in enumerate(nodes):  # no two boxes overlap
        (ax, ay) = layout.positions[a.id]
        for b in nodes[i + 1 :]:
            (bx, by) = layout.positions[b.id]
            apart_x = abs(ax - bx) >= (a.width + b.width) / 2 - tol
            apart_y = abs(ay - by) >= (a.height + b.height) / 2 - tol
            assert apart_x or apart_y, (a.id, b.id)
    for edge in edges:
        route = layout.routes[edge.id]
        assert len(route) >= 4 and (len(route) - 1) % 3 == 0, edge.id
        assert box_distance(route[0], by_id[edge.source], layout) <= 2.0, edge.id
        assert box_distance(route[-1], by_id[edge.target], layout) <= 2.0, edge.id
        for x, y in sample(route):  # the curve (not its control points) stays in the drawing
            assert -tol <= x <= layout.width + tol and -tol <= y <= layout.height + tol
        if dag:  # left to right
            assert layout.positions[edge.target][0] > layout.positions[edge.source][0], edge.id


@pytest.mark.parametrize("engine", ENGINES)
def test_expression_invariants(engine: str) -> None:
    nodes, edges = expression()
    layout = layout_graph(nodes, edges, max_dot_nodes=ENGINES[engine])
    assert layout.engine == engine
    check_invariants(nodes, edges, layout)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("seed", [1, 2])
def test_random_dag_invariants(engine: str, seed: int) -> None:
    nodes, edges = random_dag(60, 90, seed)
    layout = layout_graph(nodes, edges, max_dot_nodes=ENGINES[engine])
    assert layout.engine == engine
    check_invariants(nodes, edges, layout)


@pytest.mark.parametrize("engine", ENGINES)
def test_multi_edges_get_distinct_routes(engine: str) -> None:
    nodes, edges = expression()
    layout = layout_graph(nodes, edges, max_dot_nodes=ENGINES[engine])
    a_twice = [layout.routes[e.id] for e in edges if (e.source, e.target) == ("a", "mul2")]
    assert len(a_twice) == 2 and a_twice[0] != a_twice[1]
    nodes = [LayoutNode("x", *TENSOR), LayoutNode("y", *OP)]
    edges = [LayoutEdge(str(k), "x", "y") for k in range(3)]
    layout = layout_graph(nodes, edges, max_dot_nodes=ENGINES[engine])
    assert len({tuple(r) for r in layout.routes.values()}) == 3
    check_invariants(nodes, edges, layout)


def test_dot_draws_inputs_in_the_order_given() -> None:
    nodes, edges = expression()
    layout = layout_graph(nodes, edges)
    y = {k: p[1] for k, p in layout.positions.items()}
    assert y["a"] < y["b"]  # a*b: a above b
    assert y["ab"] < y["aa"]  # ab + aa
    assert y["s"] < y["t"]  # s * t


@pytest.mark.parametrize("engine", ENGINES)
def test_weird_ids(engine: str) -> None:
    ids = ['say "hi"', "back\\slash\\", "ünï©ødé ∂L/∂x", "", "a -> b; }", "new\nline", "n0",
           "<b>html</b>", "'"]
    nodes = [LayoutNode(i, 80.0 + k, 30.0) for k, i in enumerate(ids)]
    edges = [LayoutEdge(f'"{a}"→{b}', a, b) for a, b in zip(ids, ids[1:], strict=False)]
    layout = layout_graph(nodes, edges, max_dot_nodes=ENGINES[engine])
    assert layout.engine == engine
    check_invariants(nodes, edges, layout)


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_graph(engine: str) -> None:
    layout = layout_graph([], [], max_dot_nodes=ENGINES[engine])
    assert (layout.width, layout.height, layout.positions, layout.routes) == (0, 0, {}, {})


@pytest.mark.parametrize("engine", ENGINES)
def test_single_node_fills_the_drawing(engine: str) -> None:
    layout = layout_graph([LayoutNode("only", 120, 44)], [], max_dot_nodes=ENGINES[engine])
    assert layout.width == pytest.approx(120, abs=1)
    assert layout.height == pytest.approx(44, abs=1)
    assert layout.positions["only"] == pytest.approx((60, 22), abs=1)


@pytest.mark.parametrize("engine", ENGINES)
def test_components_and_lonely_nodes(engine: str) -> None:
    nodes, edges = expression()
    nodes2, edges2 = random_dag(12, 15, seed=3)
    lonely = [LayoutNode(f"lonely{i}", *TENSOR) for i in range(3)]
    all_nodes, all_edges = nodes + nodes2 + lonely, edges + [
        LayoutEdge("r" + e.id, e.source, e.target) for e in edges2
    ]
    layout = layout_graph(all_nodes, all_edges, max_dot_nodes=ENGINES[engine])
    check_invariants(all_nodes, all_edges, layout)


@pytest.mark.parametrize("engine", ENGINES)
def test_deterministic(engine: str) -> None:
    nodes, edges = random_dag(80, 120, seed=7)
    first = layout_graph(nodes, edges, max_dot_nodes=ENGINES[engine])
    second = layout_graph(list(nodes), list(edges), max_dot_nodes=ENGINES[engine])
    assert first.positions == second.positions
    assert first.routes == second.routes
    assert (first.width, first.height) == (second.width, second.height)


def test_falls_back_when_dot_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    import pygraphviz

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("Graphviz raised a layout error.")

    monkeypatch.setattr(pygraphviz, "AGraph", broken)
    nodes, edges = expression()
    layout = layout_graph(nodes, edges)
    assert layout.engine == "layered"
    check_invariants(nodes, edges, layout)


def test_fallback_survives_cycles_and_self_loops() -> None:
    nodes = [LayoutNode(i, *TENSOR) for i in "abc"]
    edges = [LayoutEdge("1", "a", "b"), LayoutEdge("2", "b", "c"), LayoutEdge("3", "c", "a"),
             LayoutEdge("4", "b", "b")]
    layout = layered_layout(nodes, edges)
    check_invariants(nodes, edges, layout, dag=False)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        layout_graph([LayoutNode("a", 10, 10)], [LayoutEdge("e", "a", "ghost")])
    with pytest.raises(ValueError):
        layout_graph([LayoutNode("a", 10, 10), LayoutNode("a", 10, 10)], [])


def test_text_width() -> None:
    assert CHAR_WIDTH_EM == 0.6
    assert text_width("") == 0
    assert text_width("abcd") == pytest.approx(4 * 0.6 * 12)
    assert text_width("ab", font_px=20) == pytest.approx(2 * 0.6 * 20)
    assert text_width("漢字") == pytest.approx(4 * 0.6 * 12)  # wide: two columns each
    assert text_width("e\u0301") == pytest.approx(0.6 * 12)  # combining accent: none
    assert text_width("ab\nabcdef") == pytest.approx(6 * 0.6 * 12)  # widest line


# ---------------------------------------------------------------- which layout, operand order


def traced_graph(source: str) -> tuple[list[LayoutNode], list[LayoutEdge], list[dict]]:
    from chainrule.engine.layout import layout_node
    from chainrule.engine.trace import trace_program
    t = trace_program(source).to_dict()
    return ([layout_node(n) for n in t["nodes"]],
            [LayoutEdge(e["id"], e["source"], e["target"]) for e in t["edges"]], t["nodes"])


def test_dot_load_counts_virtual_nodes_and_layer_widths() -> None:
    from chainrule.engine.layout import MAX_DOT_VERTICES, MAX_DOT_WIDTH2, dot_load
    # a -> b -> c -> d and a -> d: layers 0..3, the long edge skips layers 1 and 2 (two
    # virtual nodes); e -> d puts e as late as d allows (layer 2): 5 + 2 = 7 vertices, layer
    # widths 1, 2 (b + virtual), 3 (c, e, virtual), 1: squares 1 + 4 + 9 + 1 = 15.
    nodes = [LayoutNode(i, *TENSOR) for i in "abcde"]
    pairs = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("e", "d")]
    edges = [LayoutEdge(f"e{k}", s, t) for k, (s, t) in enumerate(pairs)]
    assert dot_load(nodes, edges) == max(7 / MAX_DOT_VERTICES, 15 / MAX_DOT_WIDTH2)


def test_a_dense_program_is_laid_out_by_the_fallback_an_mlp_by_dot() -> None:
    """The choice, not the time (bench/README.md has the times): a program reusing values many
    lines later has thousands of virtual nodes for ~250 real ones; an MLP of the same size few."""
    from chainrule.engine.layout import dot_load
    from chainrule.engine.trace import trace_program

    from bench.programs import program_of_size, reused_values_program
    dense = reused_values_program()
    nodes, edges, _ = traced_graph(dense)
    assert len(nodes) < 500 and dot_load(nodes, edges) > 1.0
    assert trace_program(dense).to_dict()["layout"]["engine"] == "layered"
    mlp = program_of_size(len(nodes))[0]
    nodes, edges, _ = traced_graph(mlp)
    assert dot_load(nodes, edges) <= 1.0
    assert trace_program(mlp).to_dict()["layout"]["engine"] == "dot"
    layout = layout_graph(nodes, edges, max_dot_load=0.0)   # the estimate is what decides
    assert layout.engine == "layered"
    check_invariants(nodes, edges, layout)


def test_only_non_commutative_ops_keep_their_operand_order() -> None:
    from chainrule.engine.layout import layout_node
    op = {"kind": "op", "w": 44.0, "h": 28.0}
    assert not layout_node({**op, "id": "m", "op": "mul"}).ordered
    assert not layout_node({**op, "id": "a", "op": "add"}).ordered
    for name in ("sub", "div", "matmul", "pow_tensor", "nll_loss", "mse_loss"):
        assert layout_node({**op, "id": "o", "op": name}).ordered, name
    assert not layout_node({"kind": "tensor", "id": "t", "w": 120.0, "h": 44.0}).ordered


def test_inputs_in_order_sees_a_swapped_pair() -> None:
    from chainrule.engine.layout import Layout, inputs_in_order
    nodes = [LayoutNode("a", *TENSOR), LayoutNode("b", *TENSOR), LayoutNode("s", *OP)]
    edges = [LayoutEdge("0", "a", "s"), LayoutEdge("1", "b", "s")]
    top = Layout(300, 200, {"a": (60, 30), "b": (60, 120), "s": (250, 75)}, {}, "dot", 0)
    swapped = Layout(300, 200, {"a": (60, 120), "b": (60, 30), "s": (250, 75)}, {}, "dot", 0)
    assert inputs_in_order(top, nodes, edges) and not inputs_in_order(swapped, nodes, edges)
    free = [LayoutNode(n.id, n.width, n.height, ordered=False) for n in nodes]
    assert inputs_in_order(swapped, free, edges)    # a commutative op may swap them


@pytest.mark.parametrize("source", [
    "import torch\na = torch.tensor(1.0)\nb = torch.tensor(2.0)\nc = b * a\ny = c - a * b\n"
    "z = y / c\n",
    "import torch\nx = torch.tensor(3.0)\nw = torch.tensor(0.5)\nu = w - x\n"
    "v = torch.tanh(x) - u\ny = v / (x * w) - 2.0 ** v\n",
])
def test_dot_draws_the_first_operand_of_a_non_commutative_op_on_top(source: str) -> None:
    nodes, edges, tnodes = traced_graph(source)
    layout = layout_graph(nodes, edges)
    assert layout.engine == "dot"
    y = {k: p[1] for k, p in layout.positions.items()}
    ops = {n["id"]: n["op"] for n in tnodes if n["kind"] == "op"}
    checked = 0
    for op_id, name in ops.items():
        srcs = list(dict.fromkeys(e.source for e in edges if e.target == op_id))
        if name in ("sub", "div", "pow_tensor") and len(srcs) == 2:
            assert y[srcs[0]] < y[srcs[1]], (name, srcs)
            checked += 1
    assert checked >= 2
    check_invariants(nodes, edges, layout)


def test_the_fallback_brings_a_minus_b_in_with_a_on_top() -> None:
    """Layered: each input edge of a `-` leaves the layer before the op in edge order (the
    route's last anchor before the op); barycenter sweeps alone got half of them wrong."""
    from bench.programs import program_of_size
    nodes, edges, tnodes = traced_graph(program_of_size(150)[0])
    layout = layout_graph(nodes, edges, max_dot_load=0.0)
    assert layout.engine == "layered"
    subs = [n["id"] for n in tnodes if n.get("op") == "sub"]
    assert len(subs) > 10
    for op_id in subs:
        first, second = [e for e in edges if e.target == op_id]
        assert layout.routes[first.id][-4][1] < layout.routes[second.id][-4][1], op_id
    check_invariants(nodes, edges, layout)


def brute_crossings(upper: list[int], lower: list[int], down: list[list[int]]) -> int:
    """Pairs of edges (u1→l1, u2→l2) with u1 before u2 and l1 after l2: the definition."""
    at_up = {v: i for i, v in enumerate(upper)}
    at_low = {v: i for i, v in enumerate(lower)}
    es = [(at_up[u], at_low[w]) for u in upper for w in down[u]]
    return sum(1 for a in es for b in es if a[0] < b[0] and a[1] > b[1])


@pytest.mark.parametrize("edges_between", [40, 3000])   # the insertion path, the Fenwick path
def test_crossings_between_two_layers_are_the_crossing_pairs(edges_between: int) -> None:
    from chainrule.engine import layout

    rng = random.Random(edges_between)
    upper, lower = list(range(60)), list(range(60, 110))
    down: list[list[int]] = [[] for _ in range(110)]
    for _ in range(edges_between):
        down[rng.choice(upper)].append(rng.choice(lower))
    assert (edges_between > layout.INSERTION_MAX) == (edges_between == 3000)
    assert layout._crossings(upper, lower, down) == brute_crossings(upper, lower, down)


def test_the_fenwick_count_is_the_inversion_count() -> None:
    from chainrule.engine.layout import _crossings_fenwick

    rng = random.Random(3)
    seq = [rng.randrange(30) for _ in range(400)]
    inversions = sum(1 for k in range(len(seq)) for m in range(k + 1, len(seq))
                     if seq[k] > seq[m])
    assert _crossings_fenwick(seq, 30) == inversions


def shared_input_chain(depth: int) -> tuple[list[LayoutNode], list[LayoutEdge]]:
    """y_k = op_k(y_{k-1}, x): every op also reads the first node x (an unrolled RNN's input)."""
    nodes = [LayoutNode("x", 60, 30)] + [LayoutNode(f"y{k}", 60, 30) for k in range(depth)]
    edges = [LayoutEdge(f"a{k}", "x", f"y{k}") for k in range(depth)]
    edges += [LayoutEdge(f"b{k}", f"y{k - 1}", f"y{k}") for k in range(1, depth)]
    return nodes, edges


def test_the_layered_layout_of_a_shared_input_grows_with_the_graph_not_its_square() -> None:
    """Every edge from x to a deep node had its own dummy per rank it skipped: the routes (and
    the layered graph each sweep walks) grew with depth squared — 4x deeper, 16x the points.
    With one trunk of dummies per source, 4x deeper is about 4x the points."""
    def route_points(depth: int) -> int:
        nodes, edges = shared_input_chain(depth)
        layout = layered_layout(nodes, edges)
        check_invariants(nodes, edges, layout)
        return sum(len(r) for r in layout.routes.values())

    short, long = route_points(100), route_points(400)
    assert long / short < 4.5, (short, long)
