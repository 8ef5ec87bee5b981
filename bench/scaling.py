"""`python -m bench.scaling`: how a trace's time and size grow with the graph (issue 12).

Three program shapes at about 250/500/1k/2k/4k graph nodes, each traced in-process end to end
(run, trace, JSON bytes as the server sends them) with the limits raised so that none refuses:
a deep chain (`y1 = sin(y0) * x`, `y2 = y1 + x`, …: the shape of an unrolled RNN, `x` used on
every line), a wide scalar MLP (bench/programs.scalar_mlp) and a random DAG of reused values
(bench/programs.reused_values_program). The fitted exponent is the least-squares slope of
log(cost) over log(nodes + edges): 1 is linear. Writes the `scaling` section of bench/README.md.
"""

from __future__ import annotations

import gzip
import json
import math
import time
from dataclasses import replace

from chainrule.app.runner import trace_response
from chainrule.engine.limits import Limits

import bench  # noqa: F401 - one BLAS/OpenMP thread, before NumPy loads
from bench.programs import program_of_size, reused_values_program
from bench.readme import write_section

SIZES = (250, 500, 1000, 2000, 4000)
# Raised so the shapes are measured, not refused; the time limit stays far above any run here.
LIMITS = replace(Limits(), max_ops=100_000, max_ast_nodes=1_000_000, max_ast_depth=60,
                 max_source_chars=2_000_000, max_seconds=600.0, max_shown_numbers=10**8)
CHAIN_GOAL_NODES = 2400   # issue 12: a 2,400-node chain in ≤ 1 s and ≤ 2 KB per node


def chain(lines: int) -> str:
    """A deep chain of 3 nodes per line (sin, *, + alternate with the shared input x)."""
    out = ["import torch", "x = torch.tensor(0.5, requires_grad=True)", "y0 = x * 1.0"]
    for i in range(1, lines + 1):
        out.append(f"y{i} = torch.sin(y{i - 1}) * x" if i % 2 else f"y{i} = y{i - 1} + x")
    out.append(f"y{lines}.backward()")
    return "\n".join(out) + "\n"


def chain_of_size(target: int) -> tuple[str, dict]:
    # Lines alternate 4 nodes (sin, sin's result, *, its result) and 2 (+, its result).
    return chain(max(1, round(target / 3))), {}


def dag_of_size(target: int) -> tuple[str, dict]:
    # ~10 graph nodes per line of 5 terms (250 nodes for 25 lines, bench/programs.py).
    return reused_values_program(lines=max(2, round(target / 10)), terms=5), \
        {"x1": 0.3, "x2": -0.7, "x3": 0.5, "x4": 1.1}


NOTE = ("Linear now in time and bytes. Before (issue 12's table): 1,201 -> 2,401 chain nodes "
        "took 3.1 -> 11.9 s and 7.3 -> 23.4 MB, the layered layout's graph and routes growing "
        "with the square of the depth (every use of the shared `x` had its own dummy chain; "
        "now one trunk per source, engine/layout.py). Not met yet: the time and per-node "
        "bytes. Under cProfile at 800 lines, 4.8 of 8 s go to the steps (engine/timeline.py's "
        "edge formulas, ~1 ms of latex2mathml per new formula) and 1.7 s to the layout; the "
        "steps are ~2 KB of the ~2.75 KB per node.")


SHAPES = {"chain": chain_of_size, "wide MLP": program_of_size, "random DAG": dag_of_size}


def measure(source: str, inputs: dict) -> dict:
    t0 = time.perf_counter()
    status, body = trace_response(source, inputs or None, 0, LIMITS)
    elapsed = time.perf_counter() - t0
    trace = json.loads(body)
    if status != 200 or trace.get("error"):
        raise RuntimeError(f"trace failed ({status}): {str(trace.get('error'))[:300]}")
    nodes, edges = len(trace["nodes"]), len(trace["edges"])
    return {"nodes": nodes, "edges": edges, "seconds": elapsed, "bytes": len(body),
            "gzip": len(gzip.compress(body, 6))}


def exponent(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y over log x."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / \
        sum((a - mx) ** 2 for a in lx)


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {}
    for shape, make in SHAPES.items():
        results[shape] = []
        for size in sizes:
            row = measure(*make(size))
            row["target"] = size
            results[shape].append(row)
            print(f"{shape:10} {row['nodes']:6,} nodes {row['edges']:6,} edges "
                  f"{row['seconds']:7.2f} s {row['bytes'] / 1e6:6.2f} MB "
                  f"({row['bytes'] / row['nodes']:,.0f} B/node, gzip {row['gzip'] / 1e6:.2f} MB)",
                  flush=True)
    return results


def section(results: dict[str, list[dict]]) -> str:
    lines = ["## Scaling (issue 12)", "",
             "`python -m bench.scaling` (also run by `make bench`): " + __doc__.split("\n\n")[1]
             .replace("\n", " "), "",
             "| shape | nodes | edges | time | JSON | per node | gzip |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    fits = []
    for shape, rows in results.items():
        for r in rows:
            lines.append(f"| {shape} | {r['nodes']:,} | {r['edges']:,} | {r['seconds']:.2f} s | "
                         f"{r['bytes'] / 1e6:.2f} MB | {r['bytes'] / r['nodes']:,.0f} B | "
                         f"{r['gzip'] / 1e6:.2f} MB |")
        size = [r["nodes"] + r["edges"] for r in rows]
        fits.append(f"| {shape} | {exponent(size, [r['seconds'] for r in rows]):.2f} | "
                    f"{exponent(size, [r['bytes'] for r in rows]):.2f} |")
    lines += ["", "Fitted exponent over nodes + edges (1 = linear):", "",
              "| shape | time | bytes |", "|---|---:|---:|", *fits]
    near = min(results["chain"], key=lambda r: abs(r["nodes"] - CHAIN_GOAL_NODES))
    lines += ["", f"Goal (issue 12), a {CHAIN_GOAL_NODES:,}-node chain in ≤ 1 s, ≤ 2 KB per node, "
              f"≤ 0.5 MB gzipped; nearest row, {near['nodes']:,} nodes: {near['seconds']:.2f} s, "
              f"{near['bytes'] / near['nodes']:,.0f} B per node, {near['gzip'] / 1e6:.2f} MB "
              "gzipped. " + NOTE]
    return "\n".join(lines)


def main() -> None:
    results = run()
    print(section(results))
    write_section("scaling", section(results))


if __name__ == "__main__":
    main()
