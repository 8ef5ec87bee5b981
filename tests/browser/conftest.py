"""Browser fixtures: a real server in a subprocess, Debian's Chromium, and a strict `page`.

- `server_url`: `python -m uvicorn app.main:app` on a free port, ready once /healthz answers
  (app/devserver.py, which the HTTP tests and the benchmarks use too).
- `browser`: headless Chromium from CHROMIUM_PATH (default /usr/bin/chromium); tests skip when
  neither it nor Playwright is available.
- `page`: a fresh context per test (1280×900, light scheme). The test FAILS when the page logs a
  console error, throws, or sends any request that leaves the server's origin (those requests are
  aborted). Mark a test `@pytest.mark.allow_console(r"regex")` to accept console errors matching
  the pattern (e.g. the "Failed to load resource … 400" Chromium logs for a refused program).
- `new_page(**context_options)`: the same guarded page with other options (viewport, scheme).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from chainrule.app.devserver import local_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-gpu", "--no-first-run"]


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_console(pattern): console errors matching the "
                                       "regex do not fail the test")


@pytest.fixture(scope="session")
def server_url():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "server.log"
    log.write_bytes(b"")    # this session's log only
    with local_server(log=log, ready_within=40,
                      module=("uvicorn", "chainrule.app.main:app",
                              "--log-level", "warning")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, server_url, request):
    """A factory of guarded pages; every page it made is checked when the test ends."""
    origin = urlsplit(server_url)
    allowed = [re.compile(m.args[0]) for m in request.node.iter_markers("allow_console")]
    problems: list[str] = []
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("color_scheme", "light")
        ctx = browser.new_context(**options)
        contexts.append(ctx)

        def guard(route):
            u = urlsplit(route.request.url)
            if u.scheme in ("data", "blob") or (u.scheme, u.netloc) == (origin.scheme,
                                                                        origin.netloc):
                route.continue_()
            else:
                problems.append(f"request left the origin: {route.request.url}")
                route.abort()

        ctx.route("**/*", guard)
        page = ctx.new_page()
        page.set_default_timeout(15000)

        def on_console(msg):
            if msg.type == "error" and not any(p.search(msg.text) for p in allowed):
                problems.append(f"console error: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
