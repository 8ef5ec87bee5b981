"""Load: many clients at once against the real server, with a share of runaway programs.

    python -m bench.load [--seconds 60] [--clients 64] [--runaways 0.05] [--baseline]
                         [--workers 2[,4...]] [--readme]

Starts `python -m app.cli serve` on a free loopback port (or uses --url), then runs `clients`
closed-loop clients (asyncio + httpx) for `seconds`: each sends a trace request, waits for the
answer, sends the next. A request is one of the gallery's examples (app/examples), or, with
probability `runaways`, a runaway program (matmuls that run until the time limit stops them).
It stops by itself: at the deadline no client starts a new request, and at most
`--max-requests` are sent. It reports

- errors: transport errors, 5xx, and well-formed requests answered wrongly (an example that
  did not give its usual answer; a runaway not stopped by a limit error);
- latency of the normal requests (p50, p99, max) and of the runaways;
- whether runaways delayed the others beyond their own limit: normal requests slower than
  the runaway's limit (max_seconds + the pool's grace), and the normal p99 compared with a
  baseline run without runaways (--baseline).

--readme writes the table into bench/README.md between `<!-- load:start -->` and
`<!-- load:end -->` (appended if absent), touching nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from chainrule.app.devserver import local_server

ROOT = Path(__file__).resolve().parents[1]
README = Path(__file__).with_name("README.md")
EXAMPLES = {p.stem: p.read_text(encoding="utf-8") for p in sorted((ROOT / "app" / "examples")
                                                                   .glob("*.py"))}
# Within every other limit (140 matmuls at the flops limit, small results, then backward):
# ~8 s of work on one core, so the time limit is what stops it.
RUNAWAY = ("import torch\na = torch.randn(200, 5000, requires_grad=True)\n"
           "b = torch.randn(5000, 200, requires_grad=True)\ns = (a @ b).sum()\n"
           + "s = s + (a @ b).sum()\n" * 139 + "s.backward()\n")
GRACE_SECONDS = 1.5     # app.workers.GRACE_SECONDS (not imported: no engine import needed)


@dataclass
class Result:
    kind: str            # an example's stem, or "runaway"
    started: float
    ended: float
    status: int | None   # None: transport error
    error_kind: str | None = None
    problem: str | None = None   # why this counts as an error, if it does

    @property
    def latency(self) -> float:
        return self.ended - self.started


@dataclass
class Run:
    workers: int | None
    clients: int
    seconds: float
    runaway_share: float
    limit: float                       # the runaway's own limit: max_seconds + grace
    results: list[Result] = field(default_factory=list)
    wall: float = 0.0

    def normal(self) -> list[Result]:
        return [r for r in self.results if r.kind != "runaway"]

    def runaways(self) -> list[Result]:
        return [r for r in self.results if r.kind == "runaway"]

    def errors(self) -> list[Result]:
        return [r for r in self.results if r.problem is not None]


# ---------------------------------------------------------------- the server


# ---------------------------------------------------------------- the clients


async def expected_answers(client: httpx.AsyncClient) -> dict[str, str | None]:
    """Each example's usual error kind (None for most; "backward" for 06), asked once."""
    answers = {}
    for stem, source in EXAMPLES.items():
        r = await client.post("/api/trace", json={"source": source})
        r.raise_for_status()
        error = r.json()["error"]
        answers[stem] = None if error is None else error["kind"]
    return answers


def judge(kind: str, status: int | None, body: bytes, usual: dict[str, str | None]) \
        -> tuple[str | None, str | None]:
    """(error kind in the answer, problem if this answer counts as an error)."""
    if status is None:
        return None, "transport error"
    if status >= 500:
        return None, f"HTTP {status}"
    if status != 200:
        return None, f"HTTP {status} for a well-formed request"
    try:
        error = json.loads(body)["error"]
    except (ValueError, KeyError):
        return None, "unreadable JSON"
    error_kind = None if error is None else error["kind"]
    if kind == "runaway":
        return error_kind, None if error_kind == "limit" else f"runaway answered {error_kind}"
    if error_kind != usual[kind]:
        return error_kind, f"{kind} answered {error_kind} (usually {usual[kind]})"
    return error_kind, None


async def client_loop(client: httpx.AsyncClient, run: Run, deadline: float, budget: list[int],
                      usual: dict[str, str | None], rng: random.Random) -> None:
    stems = sorted(EXAMPLES)
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        if rng.random() < run.runaway_share:
            kind, source = "runaway", RUNAWAY
        else:
            kind = rng.choice(stems)
            source = EXAMPLES[kind]
        started = time.monotonic()
        status, body, failure = None, b"", None
        try:
            r = await client.post("/api/trace", json={"source": source})
            status, body = r.status_code, r.content
        except httpx.HTTPError as e:
            failure = f"transport error: {type(e).__name__}: {e}"
        ended = time.monotonic()
        error_kind, problem = judge(kind, status, body, usual)
        problem = failure or problem
        run.results.append(Result(kind, started, ended, status, error_kind, problem))


async def load(url: str, workers: int | None, clients: int, seconds: float,
               runaway_share: float, limit: float, max_requests: int, seed: int) -> Run:
    run = Run(workers, clients, seconds, runaway_share, limit)
    # Idle connections are dropped after 2 s, before uvicorn's 5 s keep-alive timeout: with
    # both at 5 s, a request now and then went out on a connection the server was closing
    # (ReadError; a browser retries those, httpx does not).
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients,
                          keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        usual = await expected_answers(client)
        budget = [max_requests]
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(client_loop(client, run, deadline, budget, usual,
                                           random.Random(seed * 1000 + i))
                               for i in range(clients)))
        run.wall = time.monotonic() - started
    return run


# ---------------------------------------------------------------- the report


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * len(values)) - 1))]


def summary(run: Run) -> dict:
    normal = [r.latency for r in run.normal()]
    runaway = [r.latency for r in run.runaways()]
    return {
        "requests": len(run.results), "per_s": len(run.results) / run.wall if run.wall else 0,
        "errors": len(run.errors()), "normal": len(normal), "runaways": len(runaway),
        "p50": pct(normal, 50), "p99": pct(normal, 99),
        "max": max(normal, default=float("nan")),
        "runaway_p50": pct(runaway, 50), "runaway_max": max(runaway, default=float("nan")),
        "over_limit": sum(x > run.limit for x in normal),
        "mean": statistics.fmean(normal) if normal else float("nan"),
    }


def table(runs: list[Run]) -> str:
    head = ("| workers | runaways | clients | s | requests | req/s | errors | normal p50 | "
            "normal p99 | normal max | runaway p50 | runaway max | normal > runaway limit |\n"
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for run in runs:
        s = summary(run)
        rows.append(
            f"| {run.workers or '?'} | {run.runaway_share:.0%} ({s['runaways']}) | "
            f"{run.clients} | {run.seconds:g} | "
            f"{s['requests']} | {s['per_s']:.1f} | {s['errors']} | {s['p50']:.2f} s | "
            f"{s['p99']:.2f} s | {s['max']:.2f} s | {s['runaway_p50']:.2f} s | "
            f"{s['runaway_max']:.2f} s | {s['over_limit']} of {s['normal']} |")
    return head + "\n" + "\n".join(rows)


def write_readme(body: str, path: Path = README) -> None:
    """Replace the load section of bench/README.md (or append it); nothing else changes."""
    start, end = "<!-- load:start -->", "<!-- load:end -->"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--runaways", type=float, default=0.05, help="share of runaway requests")
    ap.add_argument("--max-requests", type=int, default=100_000)
    ap.add_argument("--baseline", action="store_true", help="first a run without runaways")
    ap.add_argument("--url", help="an already running server (default: start one)")
    ap.add_argument("--workers", default="2",
                    help="trace workers of the started server; a list (2,4) runs each")
    ap.add_argument("--max-seconds", type=float, default=2.0,
                    help="the server's CHAINRULE_MAX_SECONDS (when it is started here)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--server-log", type=Path, help="append the started server's output here")
    ap.add_argument("--readme", action="store_true", help="write the table to bench/README.md")
    args = ap.parse_args(argv)
    limit = args.max_seconds + GRACE_SECONDS
    shares = ([0.0] if args.baseline else []) + [args.runaways]

    def go(url: str, workers: int | None) -> list[Run]:
        runs = []
        for share in shares:
            print(f"load: {args.clients} clients, {args.seconds:g} s, {share:.0%} runaways "
                  f"against {url} ({workers or '?'} workers)", file=sys.stderr, flush=True)
            runs.append(asyncio.run(load(url, workers, args.clients, args.seconds, share,
                                         limit, args.max_requests, args.seed)))
        return runs

    runs: list[Run] = []
    if args.url:
        runs = go(args.url, None)
    else:
        for workers in (int(w) for w in args.workers.split(",")):
            env = {"CHAINRULE_MAX_SECONDS": f"{args.max_seconds:g}",
                   "CHAINRULE_WORKERS": str(workers)}
            with local_server(env, log=args.server_log) as url:
                runs += go(url, workers)
    text = table(runs)
    print(text)
    for run in runs:
        for r in run.errors()[:10]:
            print(f"error: {r.kind}: {r.problem}", file=sys.stderr)
    if args.readme:
        write_readme("## Load\n\n" + text)
    return 1 if any(run.errors() for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
