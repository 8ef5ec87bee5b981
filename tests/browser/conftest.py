"""Browser fixtures: a real server in a subprocess, Debian's Chromium, and a strict `page`.

- `server_url`: `python -m uvicorn app.main:app` on a free port, ready once /healthz answers.
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
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-gpu", "--no-first-run"]


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_console(pattern): console errors matching the "
                                       "regex do not fail the test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url():
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "server.log", "w")  # noqa: SIM115 - open for the whole session
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 40
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /healthz within 40 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
