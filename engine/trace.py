"""The Trace: one plain object every consumer reads (docs/trace-format.md).

source → interpreter (records the tape) → graph → timeline → layout → Trace.to_dict()
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from chainrule.engine import collector, own_value_trace
from chainrule.engine.bounded_cache import bounded_cache
from chainrule.engine.dialects import jax_words, micrograd_words, tensorflow_words
from chainrule.engine.display import decorate_nodes, legend
from chainrule.engine.edge_labels import MARGIN_PX, place_edge_labels
from chainrule.engine.errors import BackwardError, ChainruleError
from chainrule.engine.forward_mode import forward_mode
from chainrule.engine.graph import Graph, build_graph, dtype_name, innermost
from chainrule.engine.groups import COLLAPSE_ABOVE, lay_out_grouped
from chainrule.engine.layout import (
    LayoutEdge,
    LayoutNode,
    layout_graph,
    layout_node,
    plain_route,
)
from chainrule.engine.limits import AnswerBudget, Limits
from chainrule.engine.node_size import op_size, tensor_size
from chainrule.engine.tensor import Tensor
from chainrule.engine.timeline import NO_GRAD_NOTE, Timeline, made_without_grad
from chainrule.engine.training import (
    TRAINING_PREVIEW_ELEMENTS,
    focus_training_run,
    is_training_run,
    training_summary,
)
from chainrule.engine.training_names import name_parameter_nodes, parameter_names
from chainrule.engine.training_pick import picked_iteration
from chainrule.engine.values import PREVIEW_ELEMENTS, flags, previews_of, value

FORMAT_VERSION = 1


@dataclass
class Trace:
    source: str
    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    layout: dict = field(default_factory=dict)
    variables: dict[str, dict] = field(default_factory=dict)
    inputs: dict[str, float] = field(default_factory=dict)
    stdout: str = ""
    printed: list[list[int]] = field(default_factory=list)   # [steps before, chars printed]
    error: dict | None = None
    implicit_backward: bool = False
    backward_start: int | None = None
    groups: list[dict] = field(default_factory=list)
    collapsed: dict | None = None     # big graphs: the view drawn first (engine/groups.py)
    notes: list[str] = field(default_factory=list)     # e.g. imports chainrule assumed
    offer_backward: dict | None = None   # a program that never called backward: what to offer
    display: dict = field(default_factory=legend)   # engine/display.py: texts shared by steps
    training: dict | None = None   # a training loop's summary (engine/training.py)
    forward_mode: dict | None = None   # the same graph in forward mode (engine/forward_mode.py)
    math: list[str] = field(default_factory=list)   # formulas' MathML pieces (formula_table)

    def to_dict(self) -> dict:
        return {"version": FORMAT_VERSION, "source": self.source, "nodes": self.nodes,
                "edges": self.edges, "steps": self.steps, "layout": self.layout,
                "variables": self.variables, "inputs": self.inputs, "stdout": self.stdout,
                "printed": self.printed,
                "error": self.error, "implicit_backward": self.implicit_backward,
                "backward_start": self.backward_start, "groups": self.groups,
                "collapsed": self.collapsed, "notes": self.notes,
                "offer_backward": self.offer_backward, "display": self.display,
                "training": self.training, "forward_mode": self.forward_mode,
                "math": self.math}

    # In a notebook a Trace displays as the player: chainrule/__init__.py registers that with
    # IPython by this class's name; the engine itself knows nothing of HTML or the web app.


def trace_program(source: str, inputs: dict[str, float] | None = None, seed: int = 0,
                  limits: Limits | None = None) -> Trace:
    """Run `source` and build its Trace. Raises RefusedError for programs refused up front."""
    from chainrule.engine.lang import run_program

    limits = limits or Limits()
    # The recording's relaxed collector (engine/collector.py) lasts until the tape is freed:
    # the young collection that follows then walks what survives, not the whole tape.
    with collector.relaxed():
        result = run_program(source, inputs=inputs, seed=seed, limits=limits)
        try:
            return build_trace(source, result, limits)
        finally:
            result.tape.release()


def build_trace(source: str, result: Any, limits: Limits) -> Trace:
    preview = TRAINING_PREVIEW_ELEMENTS if is_training_run(result.tape.events) else \
        PREVIEW_ELEMENTS
    with collector.paused(), previews_of(preview):
        return _build_trace(source, result, limits)


def _build_trace(source: str, result: Any, limits: Limits) -> Trace:
    stand_ins = focus_training_run(result.tape, picked_iteration.get() or 1)   # trainui
    graph = build_graph(result.tape, source)
    names = parameter_names(result.variables)
    name_parameter_nodes(graph, names)   # `0.weight`, `a (step 3)`: before any text uses them
    tl = Timeline(graph, limits.max_display_elements)
    tl.budget = AnswerBudget.for_limits(limits)      # harden: bounded answers
    printed = _play_events(tl, result.tape.events)
    error = _error(tl, graph, tl.budget.error(result.error, limits))
    trace = Trace(source=source, steps=tl.steps, stdout=result.stdout, printed=printed,
                  error=error,
                  inputs=dict(result.free_variables),
                  implicit_backward=result.implicit_backward, backward_start=tl.backward_start,
                  math=tl.math.pieces)
    trace.nodes = _nodes(graph, tl, limits.max_display_elements)
    trace.edges = graph.edges
    micrograd_words.reword(trace.steps, graph)
    tensorflow_words.reword(trace.steps, graph, result.tape)   # tape.gradient sums the target
    jax_words.reword(trace.steps, graph, result.tape)          # grad pulls a cotangent back
    own = own_value_trace.build(source, result, limits) if not graph.records else None
    if own is not None:   # the learner's own class Value is the graph (engine/own_value_trace)
        own_value_trace.adopt(trace, own, tl.steps)
        graph.groups = []   # the statement and call groups were the tensors'
        for step in trace.steps:    # its formulas in the trace's compact form too
            tl.math.compact(step)
    calls = [grp["id"] for grp in graph.groups if grp["kind"] == "call"]
    framed = len(trace.nodes) > COLLAPSE_ABOVE or bool(calls)   # groups or calls in frames
    if len(trace.nodes) > COLLAPSE_ABOVE:
        trace.layout, trace.collapsed = lay_out_grouped(trace.nodes, trace.edges, graph.groups,
                                                        _placed_group)
    elif calls:
        _lay_out_calls(trace, graph, calls)
    else:
        _apply_layout(trace)
    trace.groups = _groups(graph, trace.nodes)
    trace.variables = _variables(result.variables, graph, limits.max_display_elements)
    trace.notes = list(getattr(result, "notes", None) or []) + (own.notes if own else [])
    trace.variables.update(own_value_trace.variables(
        result.variables, {} if own is None else own.ids, limits.max_display_elements))
    trace.offer_backward = _offer(getattr(result, "offer_backward", None), result, graph)
    if own is not None and own.offer is not None:
        trace.offer_backward = own.offer
    decorate_nodes(trace.nodes)
    trace.forward_mode = forward_mode(graph, tl.steps, result.tape.events, tl.v,
                                      AnswerBudget(tl.budget.left), tl.math)
    trace.training = training_summary(result.tape.events, graph.tensor_ids, graph.labels,
                                      picked_iteration.get() or 1, limits.max_display_elements,
                                      names, source, stand_ins)
    if not framed:   # the page routes a framed drawing's edges itself
        lowest = place_edge_labels(trace.nodes, trace.edges,
                                   [*trace.steps, *(trace.forward_mode or {}).get("steps", ())])
        if lowest > trace.layout.get("height", 0):   # labels moved below the lowest box
            trace.layout = {**trace.layout, "height": round(lowest + MARGIN_PX, 1)}
    return trace


def _lay_out_calls(trace: Trace, graph: Graph, calls: list[str]) -> None:
    """A small graph with user-function calls: each call's nodes laid out in a frame titled
    with the call (`f(x)`), open, collapsible as a big graph's groups are; the rest of the
    graph as usual. Statement groups stay on the nodes (`group`) only for the call frames'
    sake: here a node outside every call is drawn on its own."""
    keep = set(calls)
    saved = {}
    for n in trace.nodes:
        if n.get("group") is not None and n["group"] not in keep:
            saved[n["id"]] = n["group"]
            n["group"] = None
    trace.layout, trace.collapsed = lay_out_grouped(
        trace.nodes, trace.edges, [g for g in graph.groups if g["id"] in keep], _placed_group)
    trace.collapsed["open"] = calls
    for n in trace.nodes:
        if n["id"] in saved:
            n["group"] = saved[n["id"]]


def _offer(name: str | None, result: Any, graph: Graph) -> dict | None:
    """What the page offers for a framework program that never called backward: the line to
    append (`y.backward()`) and the node it starts from."""
    if not name:
        return None
    t = result.variables.get(name)
    node = graph.tensor_ids.get(t.id) if isinstance(t, Tensor) else None
    return {"name": name, "code": f"{name}.backward()", "node": node}


def _play_events(tl: Timeline, events: list[dict]) -> list[list[int]]:
    """Play the tape into the timeline; return where the printed output stands: [steps played
    before it, characters printed by then], one pair per step count (bounded by the steps)."""
    printed: list[list[int]] = []
    for ev in events:
        if tl.budget.exceeded:
            break
        kind = ev["type"]
        if kind == "forward":
            tl.forward(ev["record"])
        elif kind == "backward":
            tl.backward_start_event(ev)
        elif kind == "edge":
            tl.edge(ev)
        elif kind == "leaf_seed":
            tl.node_grads[tl.g.tid(ev["tensor"])] = ev["grad"]
        elif kind == "hook":
            tl.hook(ev)
        elif kind == "print":
            if printed and printed[-1][0] == len(tl.steps):
                printed[-1][1] = ev["chars"]
            else:
                printed.append([len(tl.steps), ev["chars"]])
    return printed


def _error(tl: Timeline, graph: Graph, err: ChainruleError | None) -> dict | None:
    if err is None:
        return None
    out = err.to_dict()
    last = tl.steps[-1] if tl.steps else None
    if isinstance(err, BackwardError) and last is not None and last["kind"] == "error":
        out["node"], out["hints"] = last["node"], last["hints"]
        if err.line is not None and last["span"] is None:
            last["span"] = (err.line, err.col, err.end_line, err.end_col)
        return out
    node = _failing_node(graph, err)
    tl.runtime_error(err, node)
    out["node"], out["hints"] = node, []
    return out


def _failing_node(graph: Graph, err: ChainruleError) -> str | None:
    """The last tensor recorded on the failing line, if any: the page marks it."""
    if err.line is None:
        return None
    for t in reversed(graph.tensors):
        if t.span is not None and t.span[0] <= err.line <= t.span[2]:
            return graph.tid(t)
    return None


def _nodes(graph: Graph, tl: Timeline, limit: int) -> list[dict]:
    nodes: list[dict] = []
    for t in graph.tensors:
        nid = graph.tid(t)
        grad = tl.node_grads.get(nid)
        w, h = _tensor_size(graph.labels[nid], t.shape, t.requires_grad)
        nodes.append({"id": nid, "kind": "tensor", "label": graph.labels[nid], "name": t.name,
                      "expr": None if t.span is None else _expr(graph, t),
                      "origin": t.origin, "dtype": dtype_name(t.data), "shape": list(t.shape),
                      "requires_grad": t.requires_grad, "is_leaf": t.is_leaf,
                      "grad_fn": t.grad_fn, "value": tl.v(t.data),
                      "grad": None if grad is None else tl.v(grad),
                      "span": t.span, "group": graph.node_groups.get(nid),
                      "flags": flags(t.data, grad), "w": w, "h": h,
                      **_control(getattr(t, "scope", ()), t.record)})
    for rec in graph.records:
        oid = graph.op_ids[rec.index]
        w, h = _op_size(rec.op.name)
        nodes.append({"id": oid, "kind": "op", "op": rec.op.name, "label": rec.op.name,
                      "symbol": rec.op.symbol, "grad_fn": rec.grad_fn,
                      "attrs": _plain_attrs(rec.attrs), "span": rec.span,
                      "group": graph.node_groups.get(oid), "w": w, "h": h,
                      **_control(rec.scope, rec if made_without_grad(rec) else None)})
    return nodes


def _control(scope: tuple, rec: Any) -> dict:
    """Where control flow made a node: its loop iteration (`{"label": "i = 3", "n": 3, "of":
    5}`), and a note when it was made under no_grad (a constant to backward)."""
    out: dict[str, Any] = {}
    loop = innermost(scope, "loop")
    if loop is not None:
        out["iteration"] = {"label": loop.label, "n": loop.iteration, "of": loop.of}
    if rec is not None and made_without_grad(rec):
        out["note"] = NO_GRAD_NOTE
    return out


@bounded_cache(2_000_000)
def _tensor_size(label: str, shape: tuple[int, ...], with_grad: bool) -> tuple[float, float]:
    """node_size.tensor_size, remembered: a label measured once (text metrics per character)."""
    return tensor_size(label, list(shape), with_grad)


_op_size = lru_cache(maxsize=256)(op_size)


def _expr(graph: Graph, t: Tensor) -> str | None:
    label = graph.labels[graph.tid(t)]
    return None if label == t.name else label


def _plain_attrs(attrs: dict) -> dict:
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if isinstance(v, bool | int | float | str) or v is None:
            out[k] = v
        elif isinstance(v, tuple) and all(isinstance(x, int) for x in v):
            out[k] = list(v)
        else:
            out[k] = str(v)
    return out


def _apply_layout(trace: Trace) -> None:
    lnodes = [layout_node(n) for n in trace.nodes]
    ledges = [LayoutEdge(e["id"], e["source"], e["target"]) for e in trace.edges]
    placed = _placed(lnodes, ledges)
    for n in trace.nodes:
        n["x"], n["y"] = placed.positions[n["id"]]
    for e in trace.edges:
        e["route"] = [list(p) for p in placed.routes.get(e["id"], ())]
    trace.layout = {"width": placed.width, "height": placed.height, "engine": placed.engine,
                    "elapsed_ms": placed.elapsed_ms}


@dataclass(frozen=True)
class _Placed:
    """A layout rounded to 0.1 px, as the Trace carries it (tuples: shared, never mutated)."""

    width: float
    height: float
    engine: str
    elapsed_ms: float
    positions: dict[str, tuple[float, float]]
    routes: dict[str, tuple[tuple[float, float], ...]]


LAYOUT_CACHE_SIZE = 8
GROUP_LAYOUT_CACHE_SIZE = 256   # a big trace brings ~50: its groups' and its collapsed view
_layouts: OrderedDict[tuple, _Placed] = OrderedDict()
_group_layouts: OrderedDict[tuple, _Placed] = OrderedDict()
_layouts_lock = threading.Lock()


def _placed(lnodes: list[LayoutNode], ledges: list[LayoutEdge], cache: OrderedDict | None = None,
            size: int = LAYOUT_CACHE_SIZE) -> _Placed:
    """The rounded layout of this graph, from a small per-process cache when the same graph
    (ids, box sizes, edges) was laid out lately: moving a slider re-traces the same program with
    other numbers, and dot is deterministic, so only the first request pays for the layout.
    A hit reports the time the lookup took as `elapsed_ms`."""
    cache = _layouts if cache is None else cache
    t0 = time.perf_counter()
    key = (tuple((n.id, n.width, n.height, n.ordered) for n in lnodes),
           tuple((e.id, e.source, e.target) for e in ledges))
    with _layouts_lock:
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
    if hit is not None:
        return replace(hit, elapsed_ms=round((time.perf_counter() - t0) * 1000, 2))
    lay = layout_graph(lnodes, ledges)
    placed = _Placed(round(lay.width, 1), round(lay.height, 1), lay.engine,
                     round(lay.elapsed_ms, 2),
                     {k: (round(x, 1), round(y, 1)) for k, (x, y) in lay.positions.items()},
                     {k: plain_route(tuple((round(x, 1), round(y, 1)) for x, y in r))
                      for k, r in lay.routes.items()})
    with _layouts_lock:
        cache[key] = placed
        while len(cache) > size:
            cache.popitem(last=False)
    return placed


def _placed_group(lnodes: list[LayoutNode], ledges: list[LayoutEdge]) -> _Placed:
    """A group's sublayout or a collapsed view, from their own cache: a big trace needs ~50
    of them, which would flush the whole-graph cache on every slider move."""
    return _placed(lnodes, ledges, _group_layouts, GROUP_LAYOUT_CACHE_SIZE)


def _groups(graph: Graph, nodes: list[dict]) -> list[dict]:
    """One entry per statement that made nodes: its source text and span, how many tensor and
    op nodes it holds, and the box around them in the layout (centre and size, like a node)."""
    boxes: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}
    for n in nodes:
        gid = n.get("group")
        if gid is None:
            continue
        x0, y0, x1, y1 = n["x"] - n["w"] / 2, n["y"] - n["h"] / 2, n["x"] + n["w"] / 2, \
            n["y"] + n["h"] / 2
        box = boxes.get(gid)
        if box is None:
            boxes[gid] = [x0, y0, x1, y1]
            counts[gid] = [0, 0]
        else:
            box[0], box[1] = min(box[0], x0), min(box[1], y0)
            box[2], box[3] = max(box[2], x1), max(box[3], y1)
        counts[gid][0 if n["kind"] == "tensor" else 1] += 1
    out = []
    for grp in graph.groups:
        x0, y0, x1, y1 = boxes[grp["id"]]
        out.append({**grp, "tensors": counts[grp["id"]][0], "ops": counts[grp["id"]][1],
                    "x": round((x0 + x1) / 2, 1), "y": round((y0 + y1) / 2, 1),
                    "w": round(x1 - x0, 1), "h": round(y1 - y0, 1)})
    return out


def _variables(variables: dict[str, Any], graph: Graph, limit: int) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, val in variables.items():
        if not isinstance(val, Tensor):
            continue
        own_grad = getattr(type(val), "language_grad", None)   # micrograd: every node's
        grad = own_grad(val) if own_grad is not None else \
            None if val.grad is None else _shown(val.grad.data, limit)
        out[name] = {"shape": list(val.shape), "data": value(val.data, limit)["data"],
                     "grad": grad,
                     "requires_grad": val.requires_grad,
                     "node": graph.tensor_ids.get(val.id)}
    return out


def _shown(arr: Any, limit: int) -> Any:
    """A variable's grad: the numbers up to the display limit, above it the Value (shape,
    summary, preview; its `data` null), so a big gradient is never mistaken for a `.grad`
    that is None. (`data` stays null above the limit: the variable's node holds its Value.)"""
    v = value(arr, limit)
    return v if v["data"] is None else v["data"]
