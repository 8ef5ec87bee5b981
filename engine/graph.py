"""The recorded tape as a drawable graph: tensor nodes, op nodes, and the edges between them.

Ids are stable within one trace: `t{n}` for the n-th tensor created, `op{n}` for the n-th op,
`e{n}` for edges in the order ops consumed and produced tensors.
"""

from __future__ import annotations

import ast
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np
from chainrule.engine.bounded_cache import bounded_cache
from chainrule.engine.tensor import Record, Tape, Tensor
from chainrule.engine.values import fmt

EXPR_CHARS = 24
GROUP_CHARS = 60


@dataclass
class Graph:
    tensors: list[Tensor] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    tensor_ids: dict[int, str] = field(default_factory=dict)     # Tensor.id -> node id
    op_ids: dict[int, str] = field(default_factory=dict)         # Record.index -> node id
    input_edges: dict[tuple[int, int], str] = field(default_factory=dict)  # (rec, i) -> edge id
    output_edges: dict[int, str] = field(default_factory=dict)   # Record.index -> edge id
    edges: list[dict] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)         # node id -> label
    expressions: dict[int, str] = field(default_factory=dict)    # Record.index -> source text
    groups: list[dict] = field(default_factory=list)             # {"id", "label", "span"}
    node_groups: dict[str, str | None] = field(default_factory=dict)   # node id -> group id

    def tid(self, t: Tensor) -> str:
        return self.tensor_ids[t.id]

    def label(self, t: Tensor) -> str:
        return self.labels[self.tid(t)]


def source_text(lines: list[str], span: tuple[int, int, int, int] | None) -> str | None:
    """The source a span covers, on one line (whitespace folded)."""
    if span is None:
        return None
    line, col, end_line, end_col = span
    if not 1 <= line <= len(lines) or end_line > len(lines):
        return None
    if line == end_line:
        text = lines[line - 1][col - 1:end_col - 1]
    else:
        parts = [lines[line - 1][col - 1:]] + lines[line:end_line - 1]
        parts.append(lines[end_line - 1][:end_col - 1])
        text = " ".join(parts)
    return " ".join(text.split()) or None


def tensor_label(t: Tensor, expr: str | None) -> str:
    if t.name:
        return t.name
    if t.origin == "grad":   # a gradient given to a hook: its span is the backward call's
        return "grad"
    if t.origin == "constant" and t.data.size == 1:
        return fmt(t.data.reshape(()).item())
    if expr:
        return _clip(expr)
    if t.data.size == 1:
        return fmt(t.data.reshape(()).item())
    return "tensor"


def composite_outputs(tape: Tape) -> set[int]:
    """Tensors made by an op whose source span a later op shares (inside cross_entropy...):
    their source text names the whole call, so they are labelled by their op instead. The same
    line run again (a loop's next iteration, another call of a function) is another scope,
    not a composite."""
    last_with_span: dict[tuple, int] = {}
    for rec in tape.records:
        if rec.span is not None:
            last_with_span[rec.span, _scope_key(rec.scope)] = rec.index
    return {rec.output.id for rec in tape.records
            if rec.span is not None
            and last_with_span[rec.span, _scope_key(rec.scope)] != rec.index}


def _scope_key(scope: tuple) -> tuple:
    return tuple([s.id for s in scope]) if scope else ()


def build_graph(tape: Tape, source: str) -> Graph:
    lines = source.splitlines()
    g = Graph()
    inner = composite_outputs(tape)
    # A gradient is a node only once the program computes with it (`w - 0.1 * w.grad`).
    used = {inp.id for rec in tape.records for inp in rec.inputs} | \
        {rec.output.id for rec in tape.records}
    for t in tape.tensors:
        if t.origin == "grad" and t.id not in used:
            continue
        node_id = f"t{len(g.tensors)}"
        g.tensor_ids[t.id] = node_id
        g.tensors.append(t)
        if t.id in inner and not t.name:
            args = ", ".join(g.labels.get(g.tensor_ids.get(i.id, ""), "…") for i in t.record.inputs)
            text = f"{t.record.op.name}({args})"
            # too long: the op with its arguments elided, never a name cut in the middle
            g.labels[node_id] = text if len(text) <= EXPR_CHARS else f"{t.record.op.name}(…)"
        else:
            g.labels[node_id] = tensor_label(t, source_text(lines, t.span))
        version = getattr(t, "version", 0)
        if version:   # a state before or after an in-place op (engine/inplace.py snapshots)
            g.labels[node_id] = f"{g.labels[node_id]} (v{version})"
    for rec in tape.records:
        if rec.output.id not in inner:
            text = source_text(lines, rec.span)
            if text:
                g.expressions[rec.index] = text
        op_id = f"op{len(g.records)}"
        g.op_ids[rec.index] = op_id
        g.records.append(rec)
        for i, inp in enumerate(rec.inputs):
            edge_id = f"e{len(g.edges)}"
            g.input_edges[(rec.index, i)] = edge_id
            g.edges.append({"id": edge_id, "source": g.tid(inp), "target": op_id,
                            "role": "input", "input_index": i, "shape": list(inp.shape)})
        edge_id = f"e{len(g.edges)}"
        g.output_edges[rec.index] = edge_id
        g.edges.append({"id": edge_id, "source": op_id, "target": g.tid(rec.output),
                        "role": "output", "input_index": None,
                        "shape": list(rec.output.shape)})
    _assign_groups(g, source, lines)
    return g


@bounded_cache(4_000_000)
def statement_spans(source: str) -> tuple[tuple[int, int, int, int], ...]:
    """Spans of the program's top-level statements, in order (the language has no blocks).
    Remembered per source: a slider move traces the same program again."""
    from chainrule.engine.lang.check import Positions

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()
    positions = Positions(source)
    return tuple(span for span in (positions.span(stmt) for stmt in tree.body) if span is not None)


def _assign_groups(g: Graph, source: str, lines: list[str]) -> None:
    """Each node's group: the innermost user-function call it was made in (`c{id}`, labelled
    with the call's source text `f(x)`, Scope.id: one group per call), else the top-level
    statement that created it (`g{k}` for the k-th statement, 0-based), so a page can collapse
    a big graph statement by statement and show what a call made as one box. A leaf or free
    variable belongs to the statement that first made it; ops inside a composite
    (cross_entropy) to the call's statement. No span (or outside every statement): None."""
    stmts = statement_spans(source)
    starts = [(s[0], s[1]) for s in stmts]
    made: dict[int, str] = {}
    calls: dict[int, str] = {}

    def group_of(span: tuple[int, int, int, int] | None, scope: tuple) -> str | None:
        call = innermost(scope, "call")
        if call is not None:
            gid = calls.get(call.id)
            if gid is None:
                gid = calls[call.id] = f"c{call.id}"
                g.groups.append({"id": gid, "label": _clip(call.label, GROUP_CHARS),
                                 "span": call.span, "kind": "call",
                                 **_iteration_of(scope)})
            return gid
        if span is None:
            return None
        k = bisect_right(starts, (span[0], span[1])) - 1
        if k < 0 or (span[0], span[1]) > (stmts[k][2], stmts[k][3]):
            return None
        if k not in made:
            made[k] = f"g{k}"
            text = source_text(lines, stmts[k]) or ""
            g.groups.append({"id": made[k], "label": _clip(text, GROUP_CHARS), "span": stmts[k],
                             "kind": "statement"})
        return made[k]

    for t in g.tensors:
        g.node_groups[g.tid(t)] = group_of(t.span, getattr(t, "scope", ()))
    for rec in g.records:
        g.node_groups[g.op_ids[rec.index]] = group_of(rec.span, rec.scope)
    # statements in program order; a call's group right after the statement it was made in
    g.groups.sort(key=lambda grp: (grp["span"] or (0, 0, 0, 0))[:2] if grp["kind"] == "call"
                  else stmts[int(grp["id"][1:])][:2])


def innermost(scope: tuple, kind: str):
    """The innermost Scope of `kind` ("call" or "loop") in a scope stack, or None."""
    for s in reversed(scope):
        if s.kind == kind:
            return s
    return None


def _iteration_of(scope: tuple) -> dict:
    """{"iteration": {"label": "i = 3", "n": 3, "of": 5}} for something made in a loop (its
    innermost loop), else nothing."""
    loop = innermost(scope, "loop")
    if loop is None:
        return {}
    return {"iteration": {"label": loop.label, "n": loop.iteration, "of": loop.of}}


def iteration_words(scope: tuple) -> str | None:
    """"iteration 3 of 5 (i = 3)" for the innermost loop of a scope stack, else None."""
    loop = innermost(scope, "loop")
    if loop is None or loop.iteration is None:
        return None
    count = f"iteration {loop.iteration}" + (f" of {loop.of}" if loop.of else "")
    # a while loop's label is its count already ("iteration 2"): say it once
    said = not loop.label or loop.label.startswith("iteration")
    return count if said else f"{count} ({loop.label})"


def _clip(text: str, chars: int = EXPR_CHARS) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"


def dtype_name(arr: np.ndarray) -> str:
    return "float" if arr.dtype.kind == "f" else "int"
