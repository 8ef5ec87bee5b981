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
        return expr if len(expr) <= EXPR_CHARS else expr[:EXPR_CHARS - 1] + "…"
    if t.data.size == 1:
        return fmt(t.data.reshape(()).item())
    return "tensor"


def build_graph(tape: Tape, source: str) -> Graph:
    lines = source.splitlines()
    g = Graph()
    for t in tape.tensors:
        if t.origin == "grad":
            continue
        node_id = f"t{len(g.tensors)}"
        g.tensor_ids[t.id] = node_id
        g.tensors.append(t)
        g.labels[node_id] = tensor_label(t, source_text(lines, t.span))
    for rec in tape.records:
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


def dtype_name(arr: np.ndarray) -> str:
    return "float" if arr.dtype.kind == "f" else "int"
