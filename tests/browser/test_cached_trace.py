"""The page loads a permalink and a gallery example through their cacheable GETs (static/js/api.js),
and POSTs what the URL does not name (a slider move). Chromium against the real server.

The browser's own HTTP cache is the oracle for "cacheable": a second visit must not fetch the
trace over the network at all (Resource Timing's transferSize is 0 for a cache hit).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from chainrule.app.permalink import ProgramState, encode

from tests.browser.helpers import SETTLED

FREE = "f = x * y + sin(x)"


def trace_requests(page) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    page.on("request", lambda r: seen.append((r.method, r.url))
            if "/trace" in urlsplit(r.url).path else None)
    return seen


def settle(page) -> None:
    page.wait_for_selector(SETTLED)
    page.wait_for_function("() => document.body.dataset.nodes !== undefined")


def test_a_permalink_is_fetched_by_get_naming_the_build_and_a_slider_posts(page, server_url):
    seen = trace_requests(page)
    code = encode(ProgramState(source=FREE, inputs={"x": 0.5, "y": 2.0}, step=2))
    page.goto(f"{server_url}/#p={code}")
    settle(page)
    assert page.get_attribute("body", "data-state") == "ready"
    assert len(seen) == 1, seen
    method, url = seen[0]
    parts = urlsplit(url)
    assert method == "GET" and parts.path == f"/api/trace/{code}"
    build = page.evaluate("fetch('/api/examples').then(r => r.headers.get('x-chainrule-build'))")
    assert parse_qs(parts.query) == {"build": [build]}
    assert page.get_attribute("body", "data-step") == "2"
    assert page.input_value("[data-testid=inputs] input[type=number]") == "0.5"

    page.locator("[data-testid=input-x]").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    page.wait_for_timeout(300)            # the throttled re-trace lands
    assert seen[-1] == ("POST", f"{server_url}/api/trace")


def test_a_second_visit_takes_the_trace_from_the_browser_cache(browser, server_url):
    # A context of its own: the guarded `page` routes every request, and Playwright turns the
    # HTTP cache off in a context that routes.
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        code = encode(ProgramState(source=FREE + " * 2", inputs={"x": 1.5}))
        sizes = []
        for path in ("/", "/?again"):
            page.goto(f"{server_url}{path}#p={code}")
            settle(page)
            sizes += page.evaluate("""() => performance.getEntriesByType('resource')
                .filter(e => new URL(e.name).pathname.startsWith('/api/trace/'))
                .map(e => e.transferSize)""")
        assert sizes[0] > 0               # the first visit: over the network
        assert sizes[1:] == [0]           # the second: from the HTTP cache, the server not asked
        assert not errors
    finally:
        context.close()


def test_a_gallery_example_is_fetched_by_get(page, server_url):
    seen = trace_requests(page)
    page.goto(f"{server_url}/?example=08_fan_out")
    settle(page)
    assert [(m, urlsplit(u).path) for m, u in seen] == [
        ("GET", "/api/examples/08_fan_out/trace")]
    page.select_option("[data-testid=examples]", "05_neuron")
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    assert urlsplit(seen[-1][1]).path == "/api/examples/05_neuron/trace"


def test_the_embed_opens_a_permalink_by_get(page, server_url):
    seen = trace_requests(page)
    code = encode(ProgramState(source=FREE))
    page.goto(f"{server_url}/embed?controls=step#p={code}")
    settle(page)
    assert [(m, urlsplit(u).path) for m, u in seen] == [("GET", f"/api/trace/{code}")]


@pytest.mark.allow_console(r"status of 400")
def test_a_refused_permalink_shows_its_line_and_column_in_the_editor(page, server_url):
    source = "a = 1\ny = x +* 2"
    code = encode(ProgramState(source=source))
    page.goto(f"{server_url}/#p={code}")
    page.wait_for_selector("body[data-state=error]")
    err = httpx.post(f"{server_url}/api/trace", json={"source": source}).json()["error"]
    assert err["line"] == 2
    msg = page.locator("[data-testid=editor-error]")
    assert f"Line {err['line']}, column {err['col']}" in msg.text_content()
    assert page.locator(".gutter .err").text_content().strip() == "2"


def test_sharing_a_link_warms_its_trace(page, server_url):
    """The Share dialog fetches the link's own trace GET, so the class finds it cached."""
    page.goto(f"{server_url}/?example=04_free_variables")
    settle(page)
    seen = trace_requests(page)
    page.click("[data-testid=share]")
    page.wait_for_function("() => document.querySelector('[data-testid=share-link]').value")
    link = page.input_value("[data-testid=share-link]")
    code = urlsplit(link).fragment.removeprefix("p=")
    page.wait_for_function("(n) => performance.getEntriesByType('resource').some(e => "
                           "new URL(e.name).pathname === '/api/trace/' + n)", arg=code)
    assert ("GET", urlsplit(seen[-1][1]).path) == ("GET", f"/api/trace/{code}")
