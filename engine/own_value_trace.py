"""The learner's own engine as the trace (issue 15): the graph of THEIR `class Value`, drawn
from `_prev` / `_op` / `label` as the lecture's draw_dot draws it, and their backward as
their own code ran it (engine/own_value.py records the run).

- Which graph: the root passed to `draw_dot(root)` (the last one), else the Value their last
  backward pass seeded (`self.grad = 1.0` outside a closure), else the newest Value bound to a
  top-level name, else the newest Value made. Every value node reachable through `_prev` is a
  value node of the trace (data and grad on it); a node with a non-empty `_op` gets an op
  node between its children and itself, labelled with their `_op` ('+', '*', 'tanh', '**-1').
- Forward steps: one per op node, in the order the Values were made.
- Backward steps: a seed step where their code sets the root's grad; then one step per child
  whose `.grad` a `_backward` closure wrote, in the order their code called the closures (their
  topological sort), with the closure's own lines, out.grad, the child's grad before → after.
  A closure that writes nothing (a leaf's `lambda: None`) makes no step.
- PyTorch beside it: the same graph is rebuilt with chainrule's autograd (their `_op` mapped
  onto its ops; the rebuilt forward must give their data); where a node's gradient from their
  pass differs from autograd's while every parent's agreed, that is where their engine goes
  wrong, and the step says what PyTorch gives there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from chainrule.engine import own_value as ov
from chainrule.engine.display import ROW_LABELS, legend, local_label
from chainrule.engine.formula import formula, latex_name, partial
from chainrule.engine.graph import source_text
from chainrule.engine.limits import AnswerBudget, Limits
from chainrule.engine.node_size import op_size, tensor_size
from chainrule.engine.values import flags, number, value

# caption rows of an own-Value trace (labels; engine/display.py's list plus these)
OWN_ROWS = {
    "closure": "Their _backward ran",
    "change": ".grad before → after",
    "pytorch": "PyTorch's autograd on the same graph",
    "ownseed": "Why 1.0",
}
SEED_WHY = ("backward always seeds 1.0: micrograd has no scalar-output rule (every Value is one "
            "number, so there is no implicit-gradient check as in PyTorch)")
MAX_NODES = 5000


@dataclass
class OwnGraph:
    root: Any
    values: list[Any] = field(default_factory=list)         # value nodes, birth order
    ids: dict[int, str] = field(default_factory=dict)        # id(obj) -> tensor node id
    op_ids: dict[int, str] = field(default_factory=dict)     # id(obj) -> its op node id
    labels: dict[int, str] = field(default_factory=dict)
    kids: dict[int, list[Any]] = field(default_factory=dict)
    parents: dict[int, list[Any]] = field(default_factory=dict)
    input_edges: dict[tuple[int, int], str] = field(default_factory=dict)
    output_edges: dict[int, str] = field(default_factory=dict)
    edges: list[dict] = field(default_factory=list)


def present(result: Any) -> bool:
    """Whether the run made any value node of the learner's own engine."""
    return result.tape.own_last is not None


def pick_root(result: Any) -> Any:
    tape = result.tape
    drawn = [r for r in tape.own_engine_roots if ov.is_value_node(r)]
    if drawn:
        return drawn[-1]
    for ev in reversed(tape.events):
        if ev["type"] == "own_grad" and ov.is_value_node(ev["node"]) and ev.get("after"):
            return ev["node"]
    named = [v for v in result.variables.values() if ov.is_value_node(v) and ov.birth(v)]
    if named:
        return max(named, key=ov.birth)
    return tape.own_last


def build_graph(root: Any, names: dict[int, str]) -> OwnGraph:
    g = OwnGraph(root)
    seen = {id(root): root}
    todo = [root]
    while todo and len(seen) <= MAX_NODES:
        obj = todo.pop()
        kids = ov.children(obj)
        g.kids[id(obj)] = kids
        for c in kids:
            g.parents.setdefault(id(c), []).append(obj)
            if id(c) not in seen:
                seen[id(c)] = c
                todo.append(c)
    g.values = sorted(seen.values(), key=ov.birth)
    for k, obj in enumerate(g.values):
        g.ids[id(obj)] = f"t{k}"
        label = obj.attrs.get("label")
        g.labels[id(obj)] = (label if isinstance(label, str) and label
                             else names.get(id(obj)) or _num(obj.attrs["data"]))
    k = 0
    for obj in g.values:
        kids = g.kids.get(id(obj), [])
        if not kids and not obj.attrs.get("_op"):
            continue
        oid = g.op_ids[id(obj)] = f"op{k}"
        k += 1
        for i, c in enumerate(kids):
            eid = g.input_edges[id(obj), id(c)] = f"e{len(g.edges)}"
            g.edges.append({"id": eid, "source": g.ids[id(c)], "target": oid, "role": "input",
                            "input_index": i, "shape": []})
        eid = g.output_edges[id(obj)] = f"e{len(g.edges)}"
        g.edges.append({"id": eid, "source": oid, "target": g.ids[id(obj)], "role": "output",
                        "input_index": None, "shape": []})
    return g


def _num(x: Any) -> str:
    """A number in micrograd's words: Python's own text (2.0, -6.0), cut to 4 significant
    digits when longer (0.7071)."""
    if not isinstance(x, int | float):
        return str(x)
    text = repr(x)
    if len(text) <= 7:
        return text
    short = f"{x:.4g}"
    return short + ".0" if isinstance(x, float) and short.lstrip("-").isdigit() else short


def _v(x: Any, limit: int) -> dict:
    return value(np.float64(x) if isinstance(x, float) else np.int64(x), limit)


def _nodes(g: OwnGraph, source_lines: list[str], limit: int) -> list[dict]:
    out = []
    for obj in g.values:
        a = obj.attrs
        nid, label = g.ids[id(obj)], g.labels[id(obj)]
        w, h = tensor_size(label, [], True)
        leaf = id(obj) not in g.op_ids
        out.append({"id": nid, "kind": "tensor", "label": label, "name": label,
                    "expr": None, "origin": "leaf" if leaf else "result",
                    "dtype": "int" if isinstance(a["data"], int) else "float", "shape": [],
                    "requires_grad": True, "is_leaf": leaf, "grad_fn": None,
                    "value": _v(a["data"], limit), "grad": _v(a["grad"], limit),
                    "span": getattr(obj, "own_span", None), "group": None,
                    "flags": flags(np.float64(a["data"]), np.float64(a["grad"])), "w": w, "h": h})
    for obj in g.values:
        oid = g.op_ids.get(id(obj))
        if oid is None:
            continue
        op = obj.attrs.get("_op") or "?"
        w, h = op_size(op)
        out.append({"id": oid, "kind": "op", "op": op, "label": op, "symbol": op,
                    "grad_fn": f"{g.labels[id(obj)]}._backward", "attrs": {},
                    "span": getattr(obj, "own_span", None), "group": None, "w": w, "h": h})
    return out


class _Steps:
    def __init__(self, g: OwnGraph, lines: list[str], limits: Limits,
                 reference: dict[int, float] | None) -> None:
        self.g, self.lines, self.limit = g, lines, limits.max_display_elements
        self.steps: list[dict] = []
        self.budget = AnswerBudget.for_limits(limits)
        self.reference = reference
        self.backward_start: int | None = None
        self.mismatches: list[str] = []
        self._pass: dict[int, float] = {}
        self._count: dict[int, int] = {}
        self._calls = 0

    def add(self, step: dict) -> None:
        if self.budget.charge(step):
            step["index"] = len(self.steps)
            self.steps.append(step)

    def forward(self) -> None:
        g = self.g
        for obj in g.values:
            oid = g.op_ids.get(id(obj))
            if oid is None:
                continue
            nid, kids = g.ids[id(obj)], g.kids.get(id(obj), [])
            ins = [g.ids[id(c)] for c in kids]
            edges = [g.input_edges[id(obj), id(c)] for c in kids] + [g.output_edges[id(obj)]]
            span = getattr(obj, "own_span", None)
            what = source_text(self.lines, span)
            label = g.labels[id(obj)]
            said = f"{label} = {what}" if what and what != label else label
            prev = ", ".join(g.labels[id(c)] for c in kids)
            self.add({"phase": "forward", "kind": "op", "op": oid, "inputs": ins, "output": nid,
                      "value": _v(obj.attrs["data"], self.limit), "span": span, "focus": nid,
                      "lit_nodes": [*ins, oid, nid], "lit_edges": edges, "formula": None,
                      "narration": f"Forward: {said} gives {_num(obj.attrs['data'])}: a new "
                                   f"Value with _op '{obj.attrs.get('_op')}' and "
                                   f"_prev {{{prev}}}."})

    def play(self, events: list[dict]) -> None:
        for ev in events:
            if self.budget.exceeded:
                return
            kind = ev["type"]
            if kind == "own_grad" and ev["node"] is self.g.root and ev.get("after"):
                self.seed(ev)
            elif kind == "own_backward" and id(ev["node"]) in self.g.ids:
                self.closure(ev)

    def seed(self, ev: dict) -> None:
        g, root = self.g, self.g.root
        rid, name = g.ids[id(root)], g.labels[id(root)]
        if self.backward_start is None:
            self.backward_start = len(self.steps)
        self._pass = {id(root): float(ev["after"])}
        self._count = {}
        self._calls = 0
        after = ev["after"]
        code = self._code([ev["span"]])
        one = after == 1
        tex = rf"{partial(name, name)} = {_num(after)}"
        self.add({"phase": "backward", "kind": "seed", "root": rid,
                  "grad": _v(after, self.limit), "implicit_call": False,
                  "gradient_given": not one, "numel": 1, "span": self._line_span(ev["span"]),
                  "focus": rid, "lit_nodes": [rid], "lit_edges": [],
                  "shown": {"cells": [_num(after)]},
                  "formula": formula(tex, f"d{name}/d{name} = {_num(after)}"),
                  "rows": ["seed", ["closure", code or f"{name}.grad = {_num(after)}"],
                           ["ownseed", SEED_WHY]],
                  "narration": f"Backward starts at {name}: their code sets "
                               f"{name}.grad = {_num(after)} ({code or 'the seed'}). "
                               "micrograd's backward always seeds 1.0: micrograd has no "
                               "scalar-output rule, every Value is one number."})

    def closure(self, ev: dict) -> None:
        g = self.g
        out = ev["node"]
        writes = [w for w in ev["writes"] if id(w[0]) in g.ids
                  and (id(out), id(w[0])) in g.input_edges]
        if not writes:
            return
        self._calls += 1
        out_id, oid, name = g.ids[id(out)], g.op_ids[id(out)], g.labels[id(out)]
        up = ev["upstream"]
        for child, before, after, spans in writes:
            self._edge(out, out_id, oid, name, up, child, before, after, spans)

    def _edge(self, out: Any, out_id: str, oid: str, name: str, up: Any, child: Any,
              before: Any, after: Any, spans: list) -> None:
        g = self.g
        cid, cname = g.ids[id(child)], g.labels[id(child)]
        before = 0.0 if not isinstance(before, int | float) else before
        if not isinstance(after, int | float):
            return
        contribution = after - before
        local = contribution / up if isinstance(up, int | float) and up != 0 else None
        self._pass[id(child)] = self._pass.get(id(child), 0.0) + contribution
        count = self._count[id(child)] = self._count.get(id(child), 0) + 1
        expected = max(count, len(g.parents.get(id(child), ())))
        complete = count >= expected
        code = self._code(spans)
        eid = g.input_edges[id(out), id(child)]
        shown = _num(after)
        step = {"phase": "backward", "kind": "edge", "op": oid, "from": out_id, "to": cid,
                "edge": eid, "upstream": _v(up, self.limit),
                "local": None if local is None else _v(local, self.limit),
                "product": _v(contribution, self.limit), "reduced_axes": [],
                "contribution": _v(contribution, self.limit), "grad": _v(after, self.limit),
                "count": count, "expected": expected, "complete": complete,
                "leaf_grad": None, "leaf_grad_before": None,
                "span": self._line_span(spans[0]) if spans else None, "focus": cid,
                "lit_nodes": [out_id, oid, cid], "lit_edges": [g.output_edges[id(out)], eid],
                "shown": {"cells": [shown]}, "label": local_label(
                    None if local is None else _v(local, self.limit)),
                "own_backward": {"call": self._calls, "node": out_id,
                                 "before": number(before), "after": number(after)}}
        root = g.labels[id(g.root)]
        if local is not None:
            tail = f" = {_num(up)} \\times {_num(local)} = {_num(contribution)}"
            step["chain"] = formula(
                rf"{partial(root, name)} \cdot {partial(name, cname)}{tail}",
                f"d{root}/d{name} × d{name}/d{cname} = {_num(up)} × {_num(local)} = "
                f"{_num(contribution)}")
        else:
            step["chain"] = formula(
                rf"\mathrm{{{latex_name(cname)}.grad}} \mathrel{{+}}= 0",
                f"{cname}.grad += 0 (out.grad is {_num(up)})")
        step["formula"] = step["chain"]
        rows: list = [["closure", code], ["change", f"{cname}.grad: {_num(before)} → {shown}"],
                      "chain"]
        narration = (f"{name}._backward() runs (closure {self._calls} in their topological "
                     f"order): {code} — out.grad is {_num(up)}, so {cname}.grad goes "
                     f"{_num(before)} → {shown}.")
        if expected > 1:
            narration += (f" That is path {count} of {expected} into {cname}: += adds it to "
                          "what the other paths brought." if not complete else
                          f" All {expected} paths have reached {cname}.")
        wrong = self._wrong(child) if complete else None
        if wrong is not None:
            rows.append(["pytorch", f"PyTorch gives {_num(wrong)} here: autograd on the same "
                                    f"graph gives ∂{root}/∂{cname} = {_num(wrong)}, their "
                                    f"engine gives {_num(self._pass[id(child)])}."])
            narration += (f" PyTorch gives {_num(wrong)} here: their engine's {cname}.grad "
                          "is wrong at this node.")
            step["pytorch"] = {"grad": number(wrong), "node": cid}
            self.mismatches.append(cid)
        step["rows"] = rows
        step["narration"] = narration
        self.add(step)

    def _wrong(self, child: Any) -> float | None:
        """PyTorch's gradient at `child` when their pass gave another one while every parent
        of `child` got PyTorch's: the node where their engine goes wrong."""
        ref = self.reference
        if ref is None or id(child) not in ref:
            return None
        mine, right = self._pass.get(id(child), 0.0), ref[id(child)]
        if math.isclose(mine, right, rel_tol=1e-9, abs_tol=1e-12):
            return None
        for p in self.g.parents.get(id(child), ()):
            if id(p) not in ref or not math.isclose(self._pass.get(id(p), 0.0), ref[id(p)],
                                                    rel_tol=1e-9, abs_tol=1e-12):
                return None
        return right

    def _line_span(self, span: Any) -> Any:
        """The whole line a write happened on (the statement `self.grad += …`)."""
        if span is None or not 1 <= span[0] <= len(self.lines):
            return span
        text = self.lines[span[0] - 1]
        start = len(text) - len(text.lstrip()) + 1
        return (span[0], start, span[0], len(text.rstrip()) + 1)

    def _code(self, spans: list) -> str:
        out: list[str] = []
        for s in spans:
            line = source_text(self.lines, self._line_span(s))
            if line:
                line = line.split("#")[0].strip()   # their comment stays in the source panel
                if line not in out:
                    out.append(line)
        return "; ".join(out)


def reference_grads(g: OwnGraph) -> dict[int, float] | None:
    """PyTorch's gradients of the root with respect to every node of their graph, by chainrule's
    autograd on the same graph; None when a node's `_op` is not one it knows or the rebuilt
    forward pass does not give their data (then nothing is compared)."""
    from chainrule.engine import backward as bw
    from chainrule.engine import functional as fn
    from chainrule.engine.tensor import Tape, Tensor, recording

    # a tape of its own that keeps nothing: the program's tape and budget stay untouched
    with recording(Tape(limits=Limits(max_ops=10 * MAX_NODES, max_seconds=math.inf),
                        keep=False)):
        made: dict[int, Any] = {}
        for obj in g.values:
            kids = g.kids.get(id(obj), [])
            op = obj.attrs.get("_op") or ""
            data = obj.attrs["data"]
            if not kids:
                made[id(obj)] = Tensor(np.float64(data), requires_grad=True)
                continue
            ins = [made[id(c)] for c in kids]
            t = _apply(fn, op, ins)
            if t is None or not math.isclose(float(np.asarray(t.data)), float(data),
                                             rel_tol=1e-9, abs_tol=1e-12):
                return None
            made[id(obj)] = t
        root = made[id(g.root)]
        inputs = [made[id(o)] for o in g.values if o is not g.root]
        grads = bw.grad([root], inputs, allow_unused=True) if inputs else ()
    out = {id(g.root): 1.0}
    for o, gr in zip([o for o in g.values if o is not g.root], grads, strict=True):
        out[id(o)] = 0.0 if gr is None else float(np.asarray(gr.data))
    return out


def _apply(fn: Any, op: str, ins: list[Any]) -> Any:
    """Their op on chainrule tensors. A binary op with one distinct child used it twice
    (`a + a`: `_prev` is a set)."""
    if op in ("+", "*") and len(ins) in (1, 2):
        a, b = (ins[0], ins[0]) if len(ins) == 1 else ins
        return fn.add(a, b) if op == "+" else fn.mul(a, b)
    if len(ins) != 1:
        return None
    x = ins[0]
    if op == "tanh":
        return fn.tanh(x)
    if op == "exp":
        return fn.exp(x)
    if op.lower() == "relu":
        return fn.relu(x)
    if op.startswith("**"):
        try:
            k = float(op[2:])
        except ValueError:
            return None
        return fn.pow(x, k)
    return None


@dataclass
class OwnTrace:
    nodes: list[dict]
    edges: list[dict]
    steps: list[dict]
    backward_start: int | None
    display: dict
    notes: list[str]
    ids: dict[int, str]        # id(their Value) -> node id
    offer: dict | None = None  # no backward ran: `L.backward()` when their class has one


def build(source: str, result: Any, limits: Limits) -> OwnTrace | None:
    """The own-Value trace of a run, or None when the run made no value node."""
    if not present(result):
        return None
    root = pick_root(result)
    if root is None or not ov.is_value_node(root):
        return None
    names = {id(v): k for k, v in result.variables.items() if ov.is_value_node(v)}
    g = build_graph(root, names)
    lines = source.splitlines()
    reference = reference_grads(g)
    st = _Steps(g, lines, limits, reference)
    st.forward()
    st.play(result.tape.events)
    display = legend()
    display["rows"] = {**ROW_LABELS, **OWN_ROWS}
    notes = [f"Your own Value class is the graph: {len(g.values)} Values drawn from _prev, "
             f"_op and label, under {g.labels[id(root)]}; backward shows each _backward call "
             "your code made, in your topological order."]
    if st.mismatches:
        by_id = {g.ids[id(o)]: g.labels[id(o)] for o in g.values}
        notes.append("Your engine's gradient differs from PyTorch's at "
                     + ", ".join(by_id[n] for n in st.mismatches) + " (see the backward steps).")
    offer = None
    name = names.get(id(root))
    if st.backward_start is None and name and root.user_class.find("backward") is not None:
        offer = {"name": name, "code": f"{name}.backward()", "node": g.ids[id(root)]}
    return OwnTrace(_nodes(g, lines, limits.max_display_elements), g.edges, st.steps,
                    st.backward_start, display, notes, g.ids, offer)


def adopt(trace: Any, own: OwnTrace, tensor_steps: list[dict]) -> None:
    """Make `own` the trace's graph and steps. The program's error, if any, keeps its step
    (the last one), now naming no node: the failing line's tensor is not in their graph."""
    trace.nodes, trace.edges, trace.steps = own.nodes, own.edges, own.steps
    trace.backward_start, trace.display = own.backward_start, own.display
    if trace.error is not None:
        trace.error["node"] = None
        last = tensor_steps[-1] if tensor_steps else None
        if last is not None and last["kind"] == "error":
            step = {**last, "node": None, "focus": None, "lit_nodes": [], "lit_edges": [],
                    "index": len(trace.steps),
                    "phase": "forward" if trace.backward_start is None else "backward"}
            trace.steps.append(step)


def variables(variables: dict[str, Any], ids: dict[int, str], limit: int) -> dict[str, dict]:
    """Top-level names bound to value nodes, as trace variables (shape [], data, grad)."""
    out = {}
    for name, v in variables.items():
        if ov.is_value_node(v):
            out[name] = {"shape": [], "data": _v(v.attrs["data"], limit)["data"],
                         "grad": _v(v.attrs["grad"], limit)["data"], "requires_grad": True,
                         "node": ids.get(id(v))}
    return out
