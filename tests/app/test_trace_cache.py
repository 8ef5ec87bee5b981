"""The cacheable trace GETs (app/api.py) and the in-process cache behind them (app/trace_cache.py).

Oracles: POST /api/trace for what an answer says (the GET must answer the same program the same
way); RFC 9110 for ETag / If-None-Match / Cache-Control; byte counts written out for the LRU.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
from pathlib import Path

import httpx
import pytest
from chainrule.app.api import IMMUTABLE, NO_STORE, UNVERSIONED
from chainrule.app.clients import COOKIE
from chainrule.app.gallery import examples
from chainrule.app.main import create_app
from chainrule.app.permalink import ProgramState, encode
from chainrule.app.settings import Settings
from chainrule.app.trace_cache import ENTRY_OVERHEAD, CachedAnswer, TraceCache, code_digest, matches
from chainrule.engine.limits import Limits
from fastapi.testclient import TestClient

NEURON = next(e["source"] for e in examples() if e["id"] == "05_neuron")
FREE = "f = x * y + x ** 2"


@pytest.fixture(scope="module")
def app_client():
    """A fresh app (its own cache) without a worker pool: traces run in a thread."""
    app = create_app(Settings(workers=0))
    with TestClient(app) as c:
        yield app, c


@pytest.fixture(scope="module")
def build(app_client):
    return app_client[1].get("/api/examples").headers["x-chainrule-build"]


def code(source: str, **kw) -> str:
    return encode(ProgramState(source=source, **kw))


def without_timing(trace: dict) -> dict:
    trace["layout"].pop("elapsed_ms")
    return trace


# ---------------------------------------------------------------- what a GET answers


def test_a_permalink_get_answers_what_post_answers_for_the_same_program(app_client, build):
    _, c = app_client
    r = c.get(f"/api/trace/{code(FREE, inputs={'x': 3, 'y': -2})}?build={build}")
    posted = c.post("/api/trace", json={"source": FREE, "inputs": {"x": 3, "y": -2}})
    assert r.status_code == posted.status_code == 200
    assert without_timing(r.json()) == without_timing(posted.json())
    assert r.json()["layout"]["elapsed_ms"] == 0.0     # the one field that varies, zeroed
    # df/dx = y + 2x = -2 + 6 = 4 at (3, -2): the numbers are the program's, not a default's
    assert r.json()["variables"]["x"]["grad"] == 4.0
    assert r.json()["variables"]["y"]["grad"] == 3.0    # df/dy = x


def test_an_example_get_answers_what_post_answers(app_client, build):
    _, c = app_client
    r = c.get(f"/api/examples/05_neuron/trace?build={build}")
    posted = c.post("/api/trace", json={"source": NEURON})
    assert r.status_code == 200
    assert without_timing(r.json()) == without_timing(posted.json())


def test_an_unknown_example_is_a_404_not_cached(app_client):
    r = app_client[1].get("/api/examples/no_such_example/trace")
    assert r.status_code == 404
    assert "no_such_example" in r.json()["error"]["message"]
    assert "etag" not in r.headers and "immutable" not in r.headers.get("cache-control", "")


# ---------------------------------------------------------------- ETag and Cache-Control


def test_the_etag_names_the_program_not_how_its_code_is_written(app_client, build):
    _, c = app_client

    def tag(url: str) -> str:
        r = c.get(url)
        assert r.status_code == 200
        return r.headers["etag"]

    base = tag(f"/api/trace/{code(FREE, inputs={'x': 2})}?build={build}")
    # the step a link opens at, and 2 written as 2.0, leave the program (and its tag) alone
    assert tag(f"/api/trace/{code(FREE, inputs={'x': 2.0}, step=3)}?build={build}") == base
    # any change to the source, an input or the seed is another program: another tag
    assert tag(f"/api/trace/{code(FREE + ' ', inputs={'x': 2})}?build={build}") != base
    assert tag(f"/api/trace/{code(FREE, inputs={'x': 2.5})}?build={build}") != base
    assert tag(f"/api/trace/{code(FREE, inputs={'x': 2}, seed=1)}?build={build}") != base
    assert base.startswith('"') and not base.startswith("W/")       # strong
    assert base.endswith('-gzip"')       # TestClient accepts gzip: the gzip bytes' own tag
    plain = c.get(f"/api/trace/{code(FREE, inputs={'x': 2})}?build={build}",
                  headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["etag"] == base.replace("-gzip", "")


def test_the_etag_changes_with_the_limits_that_shape_an_answer(build):
    other = create_app(Settings(workers=0, limits=Limits(max_ops=400)))
    with TestClient(other) as c:
        theirs = c.get("/api/examples").headers["x-chainrule-build"]
        assert theirs != build
        r = c.get(f"/api/examples/05_neuron/trace?build={theirs}")
    ours = create_app(Settings(workers=0))
    with TestClient(ours) as c:
        assert r.headers["etag"] != c.get(f"/api/examples/05_neuron/trace?build={build}") \
            .headers["etag"]


def test_the_build_changes_when_any_chainrule_file_changes(tmp_path):
    from chainrule import engine
    root = tmp_path / "engine"
    shutil.copytree(Path(engine.__file__).parent, root,
                    ignore=shutil.ignore_patterns("__pycache__"))
    before = code_digest((root,), Limits())
    assert code_digest((root,), Limits()) == before
    ops = root / "ops.py"
    ops.write_text(ops.read_text() + "\n# one comment more\n")
    assert code_digest((root,), Limits()) != before


@pytest.mark.parametrize("build_param, expected", [("ours", IMMUTABLE), (None, UNVERSIONED),
                                                   ("0123456789ab", NO_STORE)])
def test_cache_control_is_immutable_only_for_this_build(app_client, build, build_param,
                                                        expected):
    url = "/api/examples/08_fan_out/trace"
    if build_param is not None:
        url += f"?build={build if build_param == 'ours' else build_param}"
    r = app_client[1].get(url)
    assert r.status_code == 200
    assert r.headers["cache-control"] == expected
    assert r.headers["x-chainrule-build"] == build
    assert "accept-encoding" in r.headers["vary"].lower()


def test_if_none_match_gives_304_without_running_anything(app_client, build):
    _, c = app_client
    url = f"/api/trace/{code(FREE, inputs={'y': 7})}?build={build}"
    first = c.get(url)
    tag = first.headers["etag"]
    # a replica that never traced it (a fresh app, an empty cache) answers 304 all the same
    replica = create_app(Settings(workers=0))
    with TestClient(replica) as other:
        again = other.get(url, headers={"if-none-match": f'"nope", {tag}'})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == tag
        assert again.headers["cache-control"] == IMMUTABLE
        assert replica.state.trace_cache.misses == 0 and len(replica.state.trace_cache) == 0
        # a tag it does not hold is a full answer
        assert other.get(url, headers={"if-none-match": '"nope"'}).status_code == 200
        # the plain bytes have their own tag: the gzip one does not validate them
        plain = other.get(url, headers={"if-none-match": tag, "accept-encoding": "identity"})
        assert plain.status_code == 200 and plain.json()["nodes"]


def test_if_none_match_parsing():
    assert matches('"a", "b"', '"b"')
    assert matches('W/"b"', '"b"')          # If-None-Match compares weakly (RFC 9110 13.1.2)
    assert matches("*", '"b"')
    assert not matches('"bb"', '"b"')
    assert not matches(None, '"b"') and not matches("", '"b"')


def test_two_replicas_answer_every_example_with_the_same_bytes(app_client, build):
    """A strong ETag promises identical bytes: two apps (two caches, two traces) must agree."""
    _, c = app_client
    replica = create_app(Settings(workers=0))
    with TestClient(replica) as other:
        for ex in examples():
            url = f"/api/examples/{ex['id']}/trace?build={build}"
            mine, theirs = c.get(url), other.get(url)
            assert mine.status_code == theirs.status_code == 200, ex["id"]
            assert mine.headers["etag"] == theirs.headers["etag"]
            assert mine.content == theirs.content, f"{ex['id']} differs between two runs"


# ---------------------------------------------------------------- refusals and limits


def test_a_refused_program_is_a_400_with_line_and_col_and_is_cached(app_client, build):
    app, c = app_client
    url = f"/api/trace/{code('y = x +* 2')}?build={build}"
    hits = app.state.trace_cache.hits
    first = c.get(url)
    posted = c.post("/api/trace", json={"source": "y = x +* 2"})
    assert first.status_code == posted.status_code == 400
    assert first.json() == posted.json()
    assert first.json()["error"]["line"] == 1 and first.json()["error"]["col"] is not None
    # the same program under the same build is always refused the same way: kept like a trace
    assert first.headers["cache-control"] == IMMUTABLE and "etag" in first.headers
    second = c.get(url)
    assert second.status_code == 400 and second.content == first.content
    assert app.state.trace_cache.hits == hits + 1


def test_a_damaged_permalink_is_a_400_that_says_so(app_client, build):
    good = code(NEURON)
    r = app_client[1].get(f"/api/trace/{good[:-20]}?build={build}")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["kind"] == "link" and "damaged" in err["message"] and err["line"] is None
    r = app_client[1].get("/api/trace/9.abc")
    assert r.status_code == 400 and "version-1" in r.json()["error"]["message"]


def test_an_answer_that_hit_a_limit_is_never_kept():
    app = create_app(Settings(workers=0, limits=Limits(max_ops=3)))
    with TestClient(app) as c:
        build = c.get("/api/examples").headers["x-chainrule-build"]
        url = f"/api/examples/13_relu_mlp/trace?build={build}"
        for _ in range(2):
            r = c.get(url)
            assert r.status_code == 200 and r.json()["error"]["kind"] == "limit"
            assert r.headers["cache-control"] == NO_STORE and "etag" not in r.headers
        assert app.state.trace_cache.misses == 2 and len(app.state.trace_cache) == 0


# ---------------------------------------------------------------- cookies, single flight


def test_cacheable_gets_set_no_cookie_but_the_page_still_does(app_client, build):
    _, c = app_client
    c.cookies.clear()
    r = c.get(f"/api/examples/05_neuron/trace?build={build}")
    assert "set-cookie" not in r.headers        # a shared cache would hand it to everyone
    assert COOKIE in c.get("/").headers.get("set-cookie", "")


def test_concurrent_requests_for_one_program_trace_it_once():
    app = create_app(Settings(workers=0))

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            url = f"/api/trace/{code(NEURON + '# the class')}"
            return await asyncio.gather(*(c.get(url) for _ in range(20)))

    answers = asyncio.run(burst())
    assert {r.status_code for r in answers} == {200}
    assert len({r.content for r in answers}) == 1
    assert app.state.trace_cache.misses == 1 and app.state.trace_cache.hits == 0


# ---------------------------------------------------------------- the LRU, by bytes


def answer(n: int, seed: int = 0) -> CachedAnswer:
    return CachedAnswer(200, bytes([seed % 256]) * n, keep=True)


def test_the_lru_is_bounded_by_bytes_not_entries():
    each = 1_000 + ENTRY_OVERHEAD                 # 1,200 bytes an entry
    cache = TraceCache(max_bytes=8 * each)        # room for eight
    for i in range(8):
        assert cache.put(f"k{i}", answer(1_000, i))
    assert cache.bytes == 8 * each and len(cache) == 8
    cache.get("k0")                               # k0 used: k1 is now the oldest
    assert cache.put("k8", answer(1_000, 8))
    assert "k1" not in cache and len(cache) == 8
    # one answer of two entries' bytes (a quarter of the cache) pushes out the two oldest
    assert cache.put("big", answer(2 * each - ENTRY_OVERHEAD))
    assert cache.bytes == 8 * each
    assert set(cache._entries) == {"k4", "k5", "k6", "k7", "k0", "k8", "big"}   # k2, k3 out
    # many small answers: more entries than the big ones, in the same bytes
    small = TraceCache(max_bytes=8 * each)
    for i in range(80):
        small.put(f"s{i}", answer(10, i))
    assert len(small) == 8 * each // (10 + ENTRY_OVERHEAD) == 45    # 9,600 // 210
    assert "s79" in small and "s0" not in small


def test_the_lru_refuses_an_answer_over_a_quarter_of_it_and_limits():
    cache = TraceCache(max_bytes=10_000)
    assert not cache.put("huge", answer(2_501 - ENTRY_OVERHEAD + 1))
    assert cache.put("fits", answer(2_500 - ENTRY_OVERHEAD))
    assert not cache.put("limit", CachedAnswer(200, b"x", keep=False))
    assert set(cache._entries) == {"fits"}
    cache.put("fits", answer(100))                # replacing an entry counts it once
    assert cache.bytes == 100 + ENTRY_OVERHEAD


def test_the_kept_bytes_are_the_gzip_that_is_sent(app_client, build):
    app, c = app_client
    url = f"/api/examples/09_broadcast_linear/trace?build={build}"
    with c.stream("GET", url, headers={"accept-encoding": "gzip"}) as r:
        wire = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip"
    kept = [a for a in app.state.trace_cache._entries.values() if a.gzipped == wire]
    assert len(kept) == 1
    assert json.loads(gzip.decompress(wire))["nodes"]


def test_openapi_documents_the_cacheable_gets(app_client):
    doc = app_client[1].get("/openapi.json").json()
    for path in ("/api/trace/{code}", "/api/examples/{name}/trace"):
        get = doc["paths"][path]["get"]
        assert {"200", "304", "400"} <= set(get["responses"])
        assert "ETag" in get["responses"]["200"]["description"]
        assert "immutable" in get["responses"]["200"]["description"]
        assert any(p["name"] == "build" for p in get["parameters"])
