"""Issue 11, class 4: memory that does not only grow.

Per-process caches keyed by labels a program chooses (the timeline's MathML rows, formulas,
names, node sizes, statement spans) are bounded in bytes (engine/bounded_cache.py), and
workers are recycled after `max_jobs` jobs or `max_rss_mb` of resident memory. The 10,000-
request measurement is bench/healthz_memory.py (figures in bench/README.md, docs/hardening.md).
"""

from __future__ import annotations

import json
import random
import threading

import pytest
from chainrule.app.runner import trace_response
from chainrule.app.workers import WorkerPool
from chainrule.engine import formula, graph, timeline, trace
from chainrule.engine.bounded_cache import bounded_cache, size_of
from chainrule.engine.limits import Limits

from bench.healthz_memory import fresh_program

LABEL_CACHES = [formula.latex_name, formula.mathml, timeline.partial, timeline._row,
                timeline._name_row, graph.statement_spans, trace._tensor_size]


def test_a_cache_keeps_at_most_its_bytes_and_drops_the_least_recent():
    calls: list[str] = []

    @bounded_cache(20_000)
    def double(s: str) -> str:
        calls.append(s)
        return s * 2

    for i in range(500):
        double(f"{i:04d}" * 50)
    info = double.cache_info()
    assert info.bytes <= 20_000 and 0 < info.entries < 500
    double("0499" * 50)                       # the most recent: a hit
    assert calls.count("0499" * 50) == 1
    double("0000" * 50)                       # the oldest: long gone, computed again
    assert calls.count("0000" * 50) == 2
    assert double.__wrapped__("ab") == "abab"


def test_a_value_bigger_than_the_cache_is_returned_but_not_kept():
    @bounded_cache(1_000)
    def big(n: int) -> str:
        return "x" * n

    assert big(5_000) == "x" * 5_000
    assert big.cache_info().entries == 0
    assert size_of(("a" * 100, ["b" * 100])) > 200


def test_a_cache_stays_consistent_under_threads():
    @bounded_cache(50_000)
    def ident(s: str) -> str:
        return s.upper()

    def hammer(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(3_000):
            s = f"k{rng.randrange(400)}" * 20
            assert ident(s) == s.upper()

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ident.cache_info().bytes <= 50_000


def test_traces_of_fresh_long_names_stay_within_every_cache_bound():
    """40 programs of 4 names of 1,000 characters never seen before (the label caches kept
    16,384 entries each before: with names this long, hundreds of MB per worker)."""
    rng = random.Random(11)
    for _ in range(40):
        status, body = trace_response(fresh_program(rng, names=4, length=1_000), None, 0,
                                      Limits())
        assert status == 200 and json.loads(body)["error"] is None
    for cache in LABEL_CACHES:
        info = cache.cache_info()
        assert info.bytes <= info.max_bytes, (cache.__name__, info)
    assert sum(c.max_bytes for c in LABEL_CACHES) <= 40_000_000


@pytest.mark.parametrize("max_jobs, max_rss_mb, recycled", [(3, 4096, 2), (10**6, 1, 7)],
                         ids=["after 3 jobs", "over 1 MB"])
def test_workers_are_recycled_after_n_jobs_or_m_mb(max_jobs, max_rss_mb, recycled):
    pool = WorkerPool(1, 0, max_jobs=max_jobs, max_rss_mb=max_rss_mb)
    try:
        for i in range(7):
            status, body = pool.run((f"y = x ** {i + 2}", None, 0, Limits()), 30)
            assert status == 200 and json.loads(body)["error"] is None
        assert pool.recycled == recycled
        assert pool.restarts == 0          # recycled, not killed
    finally:
        pool.close()
