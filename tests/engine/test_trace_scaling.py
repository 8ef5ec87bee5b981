"""A trace's size grows with its graph, not with the square of its depth (issue 12).

A deep chain whose every line uses the same input `x` (`y1 = sin(y0) * x`, `y2 = y1 + x`, …)
made the trace grow ~n² (the routes of x's edges each walked every rank before them). Sizes,
not times: the bytes per graph node of an n-line chain and of a 4n-line one stay within 10%.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace

from chainrule.engine.lang import run_program
from chainrule.engine.limits import Limits
from chainrule.engine.trace import build_trace

from bench.programs import chain

LIMITS = replace(Limits(), max_ops=10_000, max_ast_nodes=100_000, max_seconds=120.0)


def bytes_per_node(lines: int) -> float:
    source = chain(lines)
    result = run_program(source, limits=LIMITS)
    assert result.error is None
    trace = build_trace(source, result, LIMITS)
    body = json.dumps(dataclasses.asdict(trace), separators=(",", ":"), default=str)
    return len(body) / len(trace.nodes)


def test_a_chains_trace_size_per_node_stays_flat_with_depth():
    # 100 lines: ~300 nodes (whole-graph layout); 400 lines: ~1,200 nodes (grouped, collapsed
    # view, the layered fallback for the boxes). Old tree: 4.9 -> 6.1 KB per node (1.22x);
    # now 3.7 -> 2.7 KB (the small trace carries more fixed parts per node).
    short, long = bytes_per_node(100), bytes_per_node(400)
    assert long / short < 1.1, (short, long)
