"""Responses over ~1 KB are gzipped when the client accepts it (app/main.py), plain otherwise."""

import gzip
import json

import pytest
from chainrule.app.gallery import EXAMPLES_DIR
from chainrule.app.main import GZIP_MIN_BYTES

NEURON = (EXAMPLES_DIR / "05_neuron.py").read_text()


def raw_answer(client, method: str, url: str, encoding: str, status: int = 200,
               **kw) -> tuple[dict, bytes]:
    """Headers and the bytes as they came over the wire (not decoded by the client)."""
    with client.stream(method, url, headers={"accept-encoding": encoding}, **kw) as r:
        assert r.status_code == status
        return dict(r.headers), b"".join(r.iter_raw())


def without_timing(body: bytes) -> dict:
    trace = json.loads(body)
    trace["layout"].pop("elapsed_ms")   # wall time of the layout: differs between calls
    return trace


def test_trace_is_gzipped_when_accepted_and_decodes_to_the_same_json(client):
    headers, zipped = raw_answer(client, "POST", "/api/trace", "gzip", json={"source": NEURON})
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    plain_headers, plain = raw_answer(client, "POST", "/api/trace", "identity",
                                      json={"source": NEURON})
    assert "content-encoding" not in plain_headers
    assert plain.startswith(b"{")
    decoded = gzip.decompress(zipped)
    assert len(zipped) < len(decoded) / 3      # JSON of repeated keys shrinks several times
    assert without_timing(decoded) == without_timing(plain)
    # the security headers survive compression
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("url, ctype", [("/", "text/html"),
                                        ("/static/js/graph.js", "javascript"),
                                        ("/api/export.svg?example=05_neuron&step=3", "svg")])
def test_pages_scripts_and_svg_are_gzipped(client, url, ctype):
    headers, zipped = raw_answer(client, "GET", url, "gzip")
    assert ctype in headers["content-type"]
    assert headers["content-encoding"] == "gzip"
    assert len(gzip.decompress(zipped)) > GZIP_MIN_BYTES


def test_small_answers_stay_plain(client):
    headers, body = raw_answer(client, "POST", "/api/trace", "gzip", status=400,
                               json={"source": "x = ("})   # a syntax error: a short JSON 400
    assert len(body) < GZIP_MIN_BYTES
    assert "content-encoding" not in headers
    json.loads(body)
