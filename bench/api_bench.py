"""POST /api/trace latency: in-process (the engine call and the HTTP answer's bytes) and through
a real `python -m app.cli serve` on 127.0.0.1 (uvicorn, the worker pool, the middleware).

Cold and warm: engine/trace.py keeps the layouts of recent graphs, so a program traced again
(a slider move, a popular example) skips dot. "Cold" rows defeat that cache (in-process: it is
emptied before every call; server: every request adds one unique constant statement, which
changes the graph), "warm" rows send the same program again.

`python -m bench.api_bench` prints the rows; `bench/__main__.py` folds them into the summary.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from chainrule.app.devserver import local_server
from chainrule.app.gallery import examples
from chainrule.app.runner import trace_response
from chainrule.engine.limits import Limits
from chainrule.engine.trace import _layouts, trace_program

from bench.programs import program_of_size

ROOT = Path(__file__).resolve().parent.parent
BIG_NODES = 3000
# The 3,000-node program records ~1,150 ops (over the public `max_ops` until issue 12 raised it
# from 500 to 5,000); the big rows run with these limits (in-process, and as CHAINRULE_*
# variables for the server) so that a loaded machine measures them instead of refusing them.
BIG_LIMITS = {"max_ops": 5000, "max_shown_numbers": 1_000_000, "max_seconds": 30.0}


def percentiles(times_ms: list[float]) -> dict:
    """p50 and p99 (nearest rank) of a list of milliseconds."""
    s = sorted(times_ms)
    rank = lambda q: s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]  # noqa: E731
    return {"n": len(s), "p50": statistics.median(s), "p99": rank(0.99), "min": s[0]}


def _timed(fn: Callable[[], object], runs: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def big_limits() -> Limits:
    fields = Limits.__dataclass_fields__
    return Limits(**{k: v for k, v in BIG_LIMITS.items() if k in fields})


def cases() -> list[tuple[str, str, dict | None, bool]]:
    """(name, source, inputs, big): every gallery example, then the 3,000-node program."""
    out = [(ex["id"], ex["source"], None, False) for ex in examples()]
    src, inputs = program_of_size(BIG_NODES)
    out.append((f"mlp_{BIG_NODES}_nodes", src, inputs, True))
    return out


# ---------------------------------------------------------------------------------- in-process


def variant(source: str, k: int) -> str:
    """`source` after one more constant statement (and `import torch`): another graph, whose
    extra node's name, hence box width, cycles through 40 lengths (more than the cache holds)."""
    return f"bench_variant_{'x' * (k % 40)} = x1 * 1.0\n{source}"


def _cold(fn: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        _layouts.clear()
        return fn()
    return run


def in_process(runs: int = 30, big_runs: int = 5) -> list[dict]:
    rows = []
    for name, src, inputs, big in cases():
        limits = big_limits() if big else Limits()
        n = big_runs if big else runs
        engine = _timed(_cold(lambda s=src, i=inputs, lim=limits: trace_program(s, i, 0, lim)), n)
        answer = _timed(_cold(lambda s=src, i=inputs, lim=limits: trace_response(s, i, 0, lim)),
                        n)
        warm = _timed(lambda s=src, i=inputs, lim=limits: trace_response(s, i, 0, lim), n)
        status, body = trace_response(src, inputs, 0, limits)
        trace = json.loads(body)
        rows.append({"case": name, "status": status, "nodes": len(trace.get("nodes", [])),
                     "bytes": len(body), "error": (trace.get("error") or {}).get("kind"),
                     "trace_program": percentiles(engine), "trace_response": percentiles(answer),
                     "warm": percentiles(warm)})
        print(_short(rows[-1]), flush=True)
    return rows


# ---------------------------------------------------------------------------------- server


@contextlib.contextmanager
def serve(env_extra: dict[str, str] | None = None) -> Iterator[int]:
    """`python -m app.cli serve` on a free port (app/devserver.py); yields the port once
    /healthz answers."""
    with local_server(env_extra) as url:
        yield int(url.rsplit(":", 1)[1])


def _post(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, int]:
    conn.request("POST", "/api/trace", body=body, headers={"content-type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, len(data)


def through_server(runs: int = 60, big_runs: int = 5) -> list[dict]:
    """Sequential requests on one keep-alive connection, as a page would send them."""
    env = {f"CHAINRULE_{k.upper()}": str(v) for k, v in BIG_LIMITS.items()}
    rows = []
    with serve(env) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for name, src, inputs, big in cases():
            body = json.dumps({"source": src, "inputs": inputs, "seed": 0}).encode()
            statuses: set[int] = set()
            count = iter(range(10**9))

            def cold(s: str = src, i: dict | None = inputs, st: set = statuses,
                     c: Iterator[int] = count) -> None:
                b = json.dumps({"source": variant(s, next(c)), "inputs": i}).encode()
                st.add(_post(conn, b)[0])

            def warm(b: bytes = body, st: set = statuses) -> None:
                st.add(_post(conn, b)[0])

            n = big_runs if big else runs
            times = _timed(cold, n, warmup=3)
            warm_times = _timed(warm, n, warmup=3)
            rows.append({"case": name, "statuses": sorted(statuses), "http": percentiles(times),
                         "http_warm": percentiles(warm_times)})
            print(_short(rows[-1]), flush=True)
        conn.close()
    return rows


def _short(row: dict) -> str:
    parts = [row["case"]]
    for key in ("trace_program", "trace_response", "warm", "http", "http_warm"):
        if key in row:
            parts.append(f"{key} p50 {row[key]['p50']:.1f} ms p99 {row[key]['p99']:.1f} ms")
    if "bytes" in row:
        parts.append(f"{row['nodes']} nodes {row['bytes'] / 1024:.0f} KiB")
    return " | ".join(parts)


if __name__ == "__main__":
    in_process()
    through_server()
