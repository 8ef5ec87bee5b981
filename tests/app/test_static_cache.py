"""/static answers carry Cache-Control from settings.static_max_age, and a repeat with the
ETag StaticFiles sends is a 304 (the browser revalidates after max-age instead of refetching)."""

from __future__ import annotations

from chainrule.app.main import create_app
from chainrule.app.settings import Settings
from fastapi.testclient import TestClient


def test_static_assets_say_how_long_to_keep_them() -> None:
    client = TestClient(create_app(Settings(workers=0, static_max_age=1234)))
    for path in ("/static/css/app.css", "/static/js/main.js", "/static/favicon.svg"):
        first = client.get(path)
        assert first.status_code == 200
        assert first.headers["cache-control"] == "public, max-age=1234"
        again = client.get(path, headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.headers["cache-control"] == "public, max-age=1234"
    # the default setting is the one deployments get
    default = TestClient(create_app(Settings(workers=0))).get("/static/css/app.css")
    assert default.headers["cache-control"] == f"public, max-age={Settings().static_max_age}"
    assert client.get("/static/nope.js").status_code == 404
