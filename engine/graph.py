"""The recorded tape as a drawable graph: tensor nodes, op nodes, and the edges between them.

Ids are stable within one trace: `t{n}` for the n-th tensor created, `op{n}` for the n-th op,
`e{n}` for edges in the order ops consumed and produced tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.tensor import Record, Tape, Tensor
from engine.values import fmt

EXPR_CHARS = 24


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
    if t.origin == "constant" and t.data.size == 1:
        return fmt(t.data.reshape(()).item())
    if expr:
        return _clip(expr)
    if t.data.size == 1:
        return fmt(t.data.reshape(()).item())
    return "tensor"


def composite_outputs(tape: Tape) -> set[int]:
    """Tensors made by an op whose source span a later op shares (inside cross_entropy...):
    their source text names the whole call, so they are labelled by their op instead."""
    last_with_span: dict[tuple, int] = {}
    for rec in tape.records:
        if rec.span is not None:
            last_with_span[rec.span] = rec.index
    return {rec.output.id for rec in tape.records
            if rec.span is not None and last_with_span[rec.span] != rec.index}


def build_graph(tape: Tape, source: str) -> Graph:
    lines = source.splitlines()
    g = Graph()
    inner = composite_outputs(tape)
    for t in tape.tensors:
        if t.origin == "grad":
            continue
        node_id = f"t{len(g.tensors)}"
        g.tensor_ids[t.id] = node_id
        g.tensors.append(t)
        if t.id in inner and not t.name:
            args = ", ".join(g.labels.get(g.tensor_ids.get(i.id, ""), "…") for i in t.record.inputs)
            g.labels[node_id] = _clip(f"{t.record.op.name}({args})")
        else:
            g.labels[node_id] = tensor_label(t, source_text(lines, t.span))
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
    return g


def _clip(text: str) -> str:
    return text if len(text) <= EXPR_CHARS else text[:EXPR_CHARS - 1] + "…"


def dtype_name(arr: np.ndarray) -> str:
    return "float" if arr.dtype.kind == "f" else "int"
