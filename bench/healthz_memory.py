"""`python -m bench.healthz_memory`: does a trace worker's memory stay flat?

One process does what a worker does (app.runner.trace_response, default limits) for
`--requests` programs (10,000 by default) whose identifiers are long and never seen before —
what grew the per-process caches keyed by labels by ~0.8–1.4 MB per request until a worker
hit its 2 GiB cap (issue 11). Resident memory is sampled every 500 requests; the figure is its
growth after the first 1,000 (imports, first layouts and warm caches are not growth).
`--write` puts the figures in bench/README.md (section healthz-memory).
"""

from __future__ import annotations

import argparse
import gc
import random
import string
import time

from chainrule.app.runner import trace_response
from chainrule.app.workers import resident_mb
from chainrule.engine.limits import Limits

from bench.readme import write_section

WARM = 1_000
SAMPLE_EVERY = 500


def fresh_program(rng: random.Random, names: int = 4, length: int = 400) -> str:
    """A chain whose every variable has a long name never used before."""
    ids = ["v_" + "".join(rng.choices(string.ascii_lowercase, k=length)) for _ in range(names)]
    lines = ["import torch", f"{ids[0]} = torch.randn(3, requires_grad=True)"]
    for prev, cur in zip(ids, ids[1:], strict=False):
        lines.append(f"{cur} = ({prev} * {prev}).tanh() + {prev}")
    lines.append(f"{ids[-1]}.sum().backward()")
    return "\n".join(lines) + "\n"


def run(requests: int = 10_000, seed: int = 0) -> dict:
    rng = random.Random(seed)
    limits = Limits()
    samples: list[tuple[int, float]] = []
    started = time.monotonic()
    for i in range(1, requests + 1):
        status, body = trace_response(fresh_program(rng), None, 0, limits)
        assert status == 200 and b'"error":null' in body, body[-300:]
        if i % SAMPLE_EVERY == 0:
            gc.collect()
            samples.append((i, resident_mb()))
            print(f"{i:,} requests, {time.monotonic() - started:.0f} s: "
                  f"RSS {samples[-1][1]:.0f} MB", flush=True)
    elapsed = time.monotonic() - started
    after_warm = [mb for i, mb in samples if i >= WARM]
    return {"requests": requests, "seconds": elapsed, "samples": samples,
            "rss_at_warm_mb": after_warm[0], "rss_end_mb": after_warm[-1],
            "growth_mb": after_warm[-1] - after_warm[0],
            "per_1000_mb": (after_warm[-1] - after_warm[0]) / max(1, (requests - WARM) / 1000)}


def section(r: dict, before: str = "") -> str:
    points = ", ".join(f"{i:,}: {mb:.0f}" for i, mb in r["samples"][1::2])
    return "\n".join([
        "## Worker memory", "",
        "`python -m bench.healthz_memory --write` (bench/healthz_memory.py): one process does "
        f"what a trace worker does for {r['requests']:,} programs whose 4 variables have "
        "400-character names never seen before (tanh, products, a backward pass). Per-process "
        "caches keyed by labels are bounded in bytes (engine/bounded_cache.py); workers are "
        "also recycled after 500 jobs or 512 MB (app/workers.py), which this run does not "
        "use.", "",
        "| requests | s | RSS after 1,000 | RSS at the end | growth | per 1,000 |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {r['requests']:,} | {r['seconds']:.0f} | {r['rss_at_warm_mb']:.0f} MB "
        f"| {r['rss_end_mb']:.0f} MB | {r['growth_mb']:+.1f} MB | {r['per_1000_mb']:+.2f} MB |",
        "", f"RSS (MB) by request: {points}.", *([before] if before else []),
    ])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench.healthz_memory")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    r = run(args.requests)
    print(section(r))
    if args.write:
        write_section("healthz-memory", section(r))
    return r


if __name__ == "__main__":
    main()
