"""`python -m bench.trace_bytes`: where a trace's bytes go, field by field (issue 12).

The 2,400-node chain of bench/scaling.py (`y1 = sin(y0) * x`, `y2 = y1 + x`, …) traced in
process as the server answers it (`app.runner.trace_response`, limits raised), then each part
of the JSON measured as its own compact JSON: the top-level fields; within `steps` each step
field summed over every step; within `nodes` and `edges` each field; the gzipped total. Sizes
only, no timing: the same program always gives the same bytes. `--write` puts the table in
bench/README.md (section `trace-bytes`).
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import Counter

import bench  # noqa: F401 - one BLAS/OpenMP thread, before NumPy loads
from bench.readme import write_section
from bench.scaling import CHAIN_GOAL_NODES, chain_of_size, limits

# Keys of a step's Values and formulas, measured apart because they are most of the steps.
SPLIT = ("formula", "chain", "accumulate")


BEFORE = ("Before issue 12's size work (main at 9d912d2): 6,464,439 B = 2,689 B per node, "
          "gzip 590,577 B. The biggest parts then: `steps.chain` 1,518,802 (its MathML "
          "1,045,387, LaTeX 304,539, text 148,866), `steps.formula` 842,279 (MathML 573,167, "
          "LaTeX 151,174), `edges.route` 334,547 (seven points per straight edge), `collapsed` "
          "355,638, every Value's `\"nonfinite\":false` ~0.25 MB. Since: formulas as indices "
          "into `math`, the trace's distinct MathML pieces (engine/formula_table.py; LaTeX not "
          "sent); straight routes as two points (engine/layout.plain_route); finite Values "
          "without `nonfinite`; `product` only with reduced axes; `leaf_grad` only on a leaf's "
          "edges; decimals inline in the formulas. Goals (issue 12): <= 2 KB per node and <= "
          "0.5 MB gzipped, both met (tests/engine/test_trace_size.py holds them).")


def size(obj: object) -> int:
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def measure(target: int = CHAIN_GOAL_NODES) -> dict:
    from chainrule.app.runner import trace_response
    source, inputs = chain_of_size(target)
    status, body = trace_response(source, inputs or None, 0, limits(True))
    trace = json.loads(body)
    assert status == 200 and not trace.get("error"), trace.get("error")
    parts: Counter = Counter()
    for key, val in trace.items():
        parts[key] += size(val)
    for step in trace["steps"]:
        for key, val in step.items():
            parts[f"steps.{key}"] += size(val) + len(key) + 4
            if key in SPLIT and isinstance(val, dict):
                for form, text in val.items():
                    parts[f"steps.{key}.{form}"] += size(text) + len(form) + 4
    for where in ("nodes", "edges"):
        for item in trace[where]:
            for key, val in item.items():
                parts[f"{where}.{key}"] += size(val) + len(key) + 4
    nodes = len(trace["nodes"])
    return {"nodes": nodes, "edges": len(trace["edges"]), "steps": len(trace["steps"]),
            "bytes": len(body), "gzip": len(gzip.compress(body, 6)), "parts": dict(parts)}


def table(result: dict, top: int = 30) -> str:
    n = result["nodes"]
    rows = ["| part | bytes | per node |", "|---|---:|---:|",
            f"| **whole trace** | {result['bytes']:,} | {result['bytes'] / n:,.0f} |",
            f"| whole trace, gzip 6 | {result['gzip']:,} | {result['gzip'] / n:,.0f} |"]
    for key, val in sorted(result["parts"].items(), key=lambda kv: -kv[1])[:top]:
        rows.append(f"| `{key}` | {val:,} | {val / n:,.0f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=CHAIN_GOAL_NODES)
    ap.add_argument("--write", action="store_true", help="write the section in bench/README.md")
    args = ap.parse_args()
    result = measure(args.nodes)
    print(f"{result['nodes']:,} nodes, {result['edges']:,} edges, {result['steps']:,} steps: "
          f"{result['bytes']:,} B = {result['bytes'] / result['nodes']:,.0f} B/node, "
          f"gzip {result['gzip']:,} B")
    print(table(result))
    if args.write:
        write_section("trace-bytes", "\n".join([
            "## Trace bytes by field (issue 12)", "",
            " ".join(__doc__.split("\n\n")[1].split()), "",
            f"{result['nodes']:,} nodes, {result['edges']:,} edges, {result['steps']:,} steps.",
            "", table(result), "", BEFORE]), after="scaling")


if __name__ == "__main__":
    main()
