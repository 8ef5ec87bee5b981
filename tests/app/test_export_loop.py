"""Issue 11, class 2: exports run and draw in the worker pool, never in the event loop.

The review: one SVG export of a large error caption stalled /healthz 6.3 s; three concurrent
exports of an honest 500-op 8x8 graph stalled it 4 s. Measured here before the change (the
same test against the previous commit): /healthz p99 1.8 s, max 2.2 s with four exports and
four runaways (bench/healthz.py); after: p99 41 ms.
"""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from chainrule.app.devserver import local_server
from chainrule.app.export_job import export_outcome
from chainrule.engine.limits import Limits

EXPORT = ("import torch\ny = torch.randn(8, 8, requires_grad=True)\n"
          + "".join("y = y" + ".sin()" * 25 + "\n" for _ in range(19))
          + "y = y" + ".sin()" * 24 + ".sum()\n")
REPEATED_BACKWARD = ("import torch\nx = torch.tensor(1.5, requires_grad=True)\ny = x\n"
                     + "y = y * x\n" * 225 + "y.backward(retain_graph=True)\n" * 70)
# A long error caption: the message quotes (part of) a list, the narration repeats it.
LONG_CAPTION = ("import torch\nl = torch.randn(300000).tolist()\ny = torch.randn(3) + 1\n"
                "z = l[600000]\n")


@pytest.fixture(scope="module")
def server():
    with local_server({"CHAINRULE_WORKERS": "2"}) as url:
        yield url


def test_healthz_answers_at_once_during_concurrent_large_exports(server):
    stop = threading.Event()
    done: list[int] = []

    def export(i: int) -> None:
        route = ("/api/export.svg", "/api/export.html")[i % 2]
        with httpx.Client(base_url=server, timeout=60) as c:
            while not stop.is_set():
                source = (LONG_CAPTION if i == 3 else EXPORT)
                r = c.get(route, params={"source": f"# {i} {time.monotonic_ns()}\n" + source,
                                         "step": 600})
                assert r.status_code == 200
                done.append(len(r.content))

    threads = [threading.Thread(target=export, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    latencies = []
    try:
        time.sleep(0.5)
        with httpx.Client(base_url=server, timeout=30) as c:
            end = time.monotonic() + 8
            while time.monotonic() < end:
                t0 = time.perf_counter()
                assert c.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - t0)
                time.sleep(0.02)
    finally:
        stop.set()
        for t in threads:
            t.join()
    latencies.sort()
    assert len(done) >= 4, done                          # the exports did run meanwhile
    assert max(done) > 1_000_000                         # and were large
    # before: p99 1.8 s, max 2.2 s. The bench holds the 50 ms goal; here, on 2 cores shared
    # with the rest of the suite and other jobs (load average 5 seen), a wide margin.
    assert latencies[int(0.99 * (len(latencies) - 1))] < 0.5, latencies[-10:]


def test_an_export_is_bounded_like_a_trace():
    """88 MB of trace (the review's 70 repeated backwards) as a player: within the maximum,
    the steps cut with a limit error; the graph is there."""
    limits = Limits()
    for kind in ("html", "svg"):
        (status, body, what), _ = export_outcome(REPEATED_BACKWARD, None, 0, limits, kind,
                                                 10**6, "auto")
        assert status == 200 and what == kind
        assert len(body) <= limits.max_answer_bytes
    assert b"steps stop here" in body or kind == "svg"


def test_an_export_of_a_refused_program_is_json(server):
    r = httpx.get(f"{server}/api/export.svg", params={"source": "y = ("}, timeout=30)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/json")
    assert json.loads(r.content)["error"]["line"] == 1
