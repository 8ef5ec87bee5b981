"""Issue 11, class 5: query parameters a stranger chose never make a 500, and every response —
a 500 included — carries the security headers. Also the address length: over the documented
limit is a 414 with a message (the server's own 414, for heads it will not read, is tested
against the real server in test_slow_clients.py)."""

from __future__ import annotations

import base64
import zlib

import pytest
from chainrule.app.main import create_app
from chainrule.app.settings import Settings
from fastapi.testclient import TestClient

SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy")


def deep_code(depth: int, opener: bytes = b"[") -> str:
    """A permalink code (1.<base64url(deflate-raw(JSON))>) whose JSON nests `depth` deep:
    100,000 `[` deflate to 156 characters."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(opener * depth) + packer.flush()
    return "1." + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def assert_guarded(r) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:300])
    for name in SECURITY:
        assert name in r.headers, name


def test_the_reported_deep_permalink_is_156_characters():
    assert len(deep_code(100_000)) == 156


@pytest.mark.parametrize("step", ["²", "٣", "１", "-²", "1²", "9" * 40, "-" * 5, "1e3", ""],
                         ids=range(9))
def test_embed_with_a_step_that_is_not_ascii_digits_falls_back(client, step):
    r = client.get("/embed", params={"step": step})
    assert_guarded(r)
    assert r.status_code == 200


def test_embed_step_still_reads_a_number(client):
    r = client.get("/embed", params={"step": "3"})
    assert r.status_code == 200 and 'data-start-step="3"' in r.text


@pytest.mark.parametrize("route", ["/api/export.svg", "/api/export.html"])
@pytest.mark.parametrize("inputs", ["[" * 3_000, '{"x":' * 1_900, '{"x": [' + "[" * 2_999,
                                    '{"x": NaN}', '{"x": 1e999}', '{"x": true}'],
                         ids=["3000 [", "1900 objects", "list in object", "NaN", "1e999", "true"])
def test_export_inputs_outside_the_schema_are_400(client, route, inputs):
    r = client.get(route, params={"source": "y = x ** 2", "inputs": inputs})
    assert_guarded(r)
    assert r.status_code == 400
    assert "inputs must be a JSON object" in r.json()["error"]["message"]


@pytest.mark.parametrize("route", ["/api/export.svg", "/api/export.html"])
@pytest.mark.parametrize("code", [deep_code(100_000), deep_code(50_000, b'{"s":'),
                                  deep_code(3_000)], ids=["lists", "objects", "3000"])
def test_a_permalink_nesting_deep_is_400(client, route, code):
    r = client.get(route, params={"p": code})
    assert_guarded(r)
    assert r.status_code == 400
    assert "nests too deeply" in r.json()["error"]["message"]


@pytest.mark.parametrize("params", [{"example": "03_seed_square", "step": "²"},
                                    {"example": "03_seed_square", "seed": "٣"},
                                    {"example": "03_seed_square", "theme": "²"},
                                    {"example": "x" * 101}],
                         ids=["step", "seed", "theme", "example"])
def test_other_export_parameters_outside_the_schema_are_422(client, params):
    r = client.get("/api/export.svg", params=params)
    assert_guarded(r)
    assert r.status_code == 422


def test_a_500_carries_the_security_headers_and_json():
    """An engine bug in a route (a route added here that raises) answers a JSON 500 through
    the same headers as every other response."""
    app = create_app(Settings(workers=0))

    @app.get("/boom")
    async def boom() -> None:
        raise ZeroDivisionError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500
    for name in (*SECURITY, "x-frame-options"):
        assert name in r.headers
    assert r.json()["error"]["kind"] == "internal"
    assert "ZeroDivisionError" not in r.text and "a bug" not in r.text
