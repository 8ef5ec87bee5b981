"""`python -m bench.healthz`: is the server's event loop free while it works hard?

Against `python -m app.cli serve` (app/devserver.py, 2 trace workers, default limits), 4
clients export a large program again and again (the SVG and the standalone HTML of an honest
500-op graph of 8x8 tensors, the review's case), 4 more send runaways (each from its own
address-less client: no cookie), and one client asks for /healthz every 20 ms. Goal (issue
11): /healthz p99 ≤ 50 ms. `--write` puts the figures in bench/README.md (section healthz).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import httpx
from chainrule.app.devserver import local_server

from bench.readme import write_section

GOAL_P99_MS = 50.0
EXPORT = ("import torch\ny = torch.randn(8, 8, requires_grad=True)\n"
          + "".join("y = y" + ".sin()" * 25 + "\n" for _ in range(19))
          + "y = y" + ".sin()" * 24 + ".sum()\n")
# 140 matmuls at the flops limit, then backward: ~8 s of work the time limit stops.
RUNAWAY = ("import torch\na = torch.randn(200, 5000, requires_grad=True)\n"
           "b = torch.randn(5000, 200, requires_grad=True)\ns = (a @ b).sum()\n"
           + "s = s + (a @ b).sum()\n" * 139 + "s.backward()\n")


def run(seconds: float = 20.0, exporters: int = 4, runaways: int = 4) -> dict:
    stop = threading.Event()
    counts = {"exports": 0, "export_bytes": 0, "runaways": 0, "errors": 0}
    lock = threading.Lock()

    with local_server({"CHAINRULE_WORKERS": "2"}) as url:
        def export_loop(i: int) -> None:
            route = "/api/export.svg" if i % 2 == 0 else "/api/export.html"
            with httpx.Client(base_url=url, timeout=60) as c:
                while not stop.is_set():
                    r = c.get(route, params={"source": f"# {i} {time.monotonic_ns()}\n"
                                             + EXPORT, "step": 600})
                    with lock:
                        counts["exports"] += 1
                        counts["export_bytes"] = max(counts["export_bytes"], len(r.content))
                        counts["errors"] += r.status_code != 200

        def runaway_loop(i: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as c:
                while not stop.is_set():
                    r = c.post("/api/trace",
                               json={"source": f"# {i} {time.monotonic_ns()}\n" + RUNAWAY})
                    c.cookies.clear()        # a fresh client every time: the hardest case
                    with lock:
                        counts["runaways"] += 1
                        counts["errors"] += r.status_code != 200

        threads = [threading.Thread(target=export_loop, args=(i,)) for i in range(exporters)]
        threads += [threading.Thread(target=runaway_loop, args=(i,)) for i in range(runaways)]
        for t in threads:
            t.start()
        time.sleep(1.0)       # all of them under way
        latencies: list[float] = []
        with httpx.Client(base_url=url, timeout=30) as c:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                t0 = time.perf_counter()
                c.get("/healthz")
                latencies.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.02)
        stop.set()
        for t in threads:
            t.join()
    latencies.sort()
    return {"seconds": seconds, "probes": len(latencies),
            "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
            "max_ms": latencies[-1], **counts}


def section(r: dict) -> str:
    met = "yes" if r["p99_ms"] <= GOAL_P99_MS else "**no**"
    return "\n".join([
        "## /healthz under load", "",
        "`python -m bench.healthz --write` (bench/healthz.py): against `python -m app.cli "
        "serve` with 2 trace workers, 4 clients export an honest 500-op graph of 8×8 tensors "
        "again and again (SVG and standalone HTML, the review's case), 4 clients send runaways "
        "(a fresh client each time), and /healthz is asked every 20 ms. Exports run and draw "
        "in the worker pool, never in the event loop.", "",
        "| s | probes | p50 | p99 | max | goal | met? | exports | largest export | runaways "
        "| errors |",
        "|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|",
        f"| {r['seconds']:g} | {r['probes']} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms "
        f"| {r['max_ms']:.1f} ms | p99 ≤ {GOAL_P99_MS:g} ms | {met} | {r['exports']} "
        f"| {r['export_bytes'] / 1e6:.2f} MB | {r['runaways']} | {r['errors']} |",
    ])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench.healthz")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--write", action="store_true", help="update bench/README.md")
    args = parser.parse_args(argv)
    r = run(args.seconds)
    print(section(r))
    if args.write:
        write_section("healthz", section(r))
    return r


if __name__ == "__main__":
    main()
