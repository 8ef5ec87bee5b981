"""The embed in a course page on another origin: options, postMessage commands and events.

The parent page comes from a second little server at http://localhost:<port> (another origin
than the chainrule server at 127.0.0.1), so these tests also prove /embed may be framed across
origins. (A parent on a public origin framing a loopback server is blocked by Chromium's local
network access checks, which is why the parent is served from loopback too.)
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from chainrule.app.permalink import ProgramState, decode, encode

from tests.browser.helpers import SETTLED, api_trace, source_of

NEURON = "05_neuron"

# The course page: one iframe, a log of the embed's events, and a send() helper for the test.
PARENT_HTML = """<!doctype html><meta charset="utf-8"><title>lesson</title>
<iframe id="lesson" src="{src}" style="width:900px;height:500px;border:0"></iframe>
<script>
window.events = [];
const frame = document.getElementById("lesson");
addEventListener("message", (e) => {{
  if (e.source !== frame.contentWindow || !e.data || e.data.type !== "chainrule") return;
  window.events.push(e.data);
  if (e.data.event === "resize") frame.style.height = e.data.height + "px";
}});
window.send = (m) => frame.contentWindow.postMessage({{type: "chainrule", ...m}}, "*");
</script>"""


@pytest.fixture
def course(browser, server_url):
    """Open a course page on another origin framing `/embed?{query}`; yields (page, frame)."""
    pages: dict[str, bytes] = {}

    class Parent(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = pages.get(self.path)
            self.send_response(200 if body else 204)   # 204: the favicon, quietly
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Parent)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    contexts = []
    problems: list[str] = []

    def open_(query: str, fragment: str = "", html: str | None = None):
        ctx = browser.new_context(viewport={"width": 1000, "height": 900}, color_scheme="light")
        contexts.append(ctx)
        src = f"{server_url}/embed?{query}" + (f"#{fragment}" if fragment else "")
        path = f"/lesson{len(pages)}.html"
        pages[path] = (html if html is not None else PARENT_HTML.format(src=src)).encode()
        page = ctx.new_page()
        page.set_default_timeout(15000)
        # a refused program's 400 is the API working as designed; anything else is a problem
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and "status of 400" not in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"http://localhost:{httpd.server_port}{path}")
        frame = page.frame_locator("iframe")
        frame.locator(SETTLED).wait_for()
        return page, frame

    yield open_
    for ctx in contexts:
        ctx.close()
    httpd.shutdown()
    assert not problems, problems


def events(page, event: str) -> list[dict]:
    return [e for e in page.evaluate("window.events") if e["event"] == event]


def wait_event(page, event: str, **match) -> dict:
    page.wait_for_function(
        "([event, match]) => window.events.some((e) => e.event === event && "
        "Object.entries(match).every(([k, v]) => e[k] === v))", arg=[event, match])
    return [e for e in events(page, event) if all(e.get(k) == v for k, v in match.items())][-1]


def embed_step(frame) -> int:
    return int(frame.locator("body").get_attribute("data-step"))


def test_parent_drives_the_embed_and_hears_its_steps(course, server_url):
    total = len(api_trace(server_url, source_of(NEURON))[1]["steps"])
    page, frame = course(f"controls=none&example={NEURON}")
    ready = wait_event(page, "ready")
    # messages count steps as the page shows them: 0 is the start, 5 is "Step 5 of n"
    assert ready == {"type": "chainrule", "event": "ready", "step": 0, "phase": "start",
                     "total": total}

    page.evaluate("send({command: 'goto', step: 5})")
    assert wait_event(page, "step", step=5)["total"] == total
    assert embed_step(frame) == 4      # the trace's index
    assert frame.locator("[data-role=counter]").inner_text() == f"Step 5 of {total}"

    page.evaluate("send({command: 'step'})")
    wait_event(page, "step", step=6)
    page.evaluate("send({command: 'step', by: -1})")
    assert embed_step(frame) in (4, 5)
    wait_event(page, "step", step=5)

    # the last forward step is followed by the backward phase: phase travels with each step
    backward = next(s["index"] for s in api_trace(server_url, source_of(NEURON))[1]["steps"]
                    if s["phase"] == "backward")
    page.evaluate(f"send({{command: 'goto', step: {backward + 1}}})")
    assert wait_event(page, "step", step=backward + 1)["phase"] == "backward"

    page.evaluate("send({command: 'goto', step: 0}); send({command: 'play'})")
    wait_event(page, "step", step=1)
    page.evaluate("send({command: 'pause'})")
    frame.locator("[data-testid=play][data-playing=false]").wait_for(state="attached")
    settled = embed_step(frame)
    page.wait_for_timeout(1500)   # one step at 1× is 1.1 s: paused means it stays put
    assert embed_step(frame) == settled


def test_load_runs_a_new_program_and_errors_are_announced(course):
    page, frame = course("controls=none")
    wait_event(page, "ready")
    page.evaluate("send({command: 'load', source: 'f = x * y', inputs: {x: 3, y: 4}, step: 1})")
    frame.locator("body[data-state=ready][data-step='0']").wait_for()
    assert wait_event(page, "step", step=1)["total"] >= 2
    assert frame.locator("[data-testid=graph]").inner_text().count("12") >= 1   # 3 × 4

    page.evaluate("send({command: 'load', source: 'y = (x'})")
    err = wait_event(page, "error")
    assert err["line"] == 1 and err["message"]

    page.evaluate("send({command: 'load', source: 42})")   # not a program: refused, no crash
    assert wait_event(page, "error", kind="request")["message"]


def test_messages_from_other_windows_are_ignored(course, server_url):
    page, frame = course(f"controls=none&example={NEURON}")
    wait_event(page, "ready")
    # a window that is not the embed's parent (here: the embed itself) cannot drive it
    frame.locator("body").evaluate(
        "() => window.postMessage({type: 'chainrule', command: 'goto', step: 4}, '*')")
    page.wait_for_timeout(500)
    assert embed_step(frame) == -1


def test_options_lock_the_lesson_to_stepping(course):
    page, frame = course(f"controls=step&editor=show&theme=dark&step=3&example={NEURON}")
    assert embed_step(frame) == 3
    assert not frame.locator("[data-testid=play]").is_visible()
    assert not frame.locator("[data-testid=scrubber]").is_visible()
    assert frame.locator("[data-testid=step-forward]").is_visible()
    assert frame.locator("html").get_attribute("data-theme") == "dark"
    bg = frame.locator("body").evaluate("(b) => getComputedStyle(b).backgroundColor")
    assert sum(int(c) for c in bg[bg.index("(") + 1:-1].split(",")[:3]) < 150   # dark
    area = frame.locator("[data-testid=source]")
    assert area.is_visible() and area.get_attribute("readonly") is not None
    assert frame.locator("[data-testid=run]").count() == 0

    frame.locator("[data-testid=graph]").focus()
    frame.locator("body").press(" ")      # play is locked: space does nothing
    frame.locator("body").press("End")    # so is jumping to the end
    page.wait_for_timeout(1300)
    assert embed_step(frame) == 3
    frame.locator("body").press("ArrowRight")
    frame.locator("body[data-step='4']").wait_for()


def test_open_full_link_carries_the_view(course, server_url):
    page, frame = course(f"controls=none&example={NEURON}")
    page.evaluate("send({command: 'goto', step: 3})")
    frame.locator("body[data-step='2']").wait_for()
    link = frame.locator("[data-testid=open-full]")
    deadline = time.monotonic() + 10
    while True:   # the link follows the step 250 ms after it changes
        href = link.get_attribute("href")
        state = decode(href.split("#p=")[1]) if "#p=" in href else None
        if (state and state.step == 2) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(100)
    assert href.startswith(f"{server_url}/#p=")
    assert (state.source, state.step) == (source_of(NEURON), 2)


def test_default_embed_hides_the_editor_and_unknown_options_fall_back(course):
    page, frame = course(f"controls=bogus&theme=neon&editor=%3Cscript%3E&example={NEURON}")
    assert frame.locator("[data-testid=source]").count() == 0
    assert frame.locator("[data-testid=play]").is_visible()
    assert frame.locator("html").get_attribute("data-theme") is None


def test_autoplay_and_permalink_start(course):
    code = encode(ProgramState(source="f = x * x * x", inputs={"x": 2.0}))
    page, frame = course("autoplay=1&controls=none", fragment=f"p={code}")
    wait_event(page, "step", step=2)   # it plays by itself ("Step 2": x * x * x)
    assert frame.locator("[data-testid=graph]").inner_text().count("8") >= 1   # 2³


def test_embed_auto_sizes_through_the_snippets_script(course, page, server_url):
    # The Embed dialog's snippet, pasted into a course page as is (origin check included).
    page.goto(f"{server_url}/?example={NEURON}")
    page.wait_for_selector(SETTLED)
    page.click("[data-testid=embed]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=embed-snippet]').value.includes('<script>')")
    snippet = page.input_value("[data-testid=embed-snippet]")
    declared = int(snippet.split('height="')[1].split('"')[0])
    course_page, frame = course("", html=snippet)
    course_page.wait_for_function(
        "() => document.querySelector('iframe').style.height !== ''")
    height = course_page.evaluate(
        "document.querySelector('iframe').getBoundingClientRect().height")
    assert 300 <= height <= 1200 and height != declared
    # at the reported height the embed's own page needs no scrollbar
    course_page.wait_for_timeout(500)
    overflow = frame.locator("html").evaluate("(h) => h.scrollHeight - h.clientHeight")
    assert overflow <= 2


def test_narrow_embed_keeps_the_graph_readable(new_page, server_url):
    page = new_page(viewport={"width": 390, "height": 700})
    page.goto(f"{server_url}/embed?editor=edit&example=04_free_variables")
    page.wait_for_selector(SETTLED)
    box = page.locator("[data-testid=graph]").bounding_box()
    assert box["height"] >= 250 and box["width"] >= 300
    assert page.locator("[data-testid=source]").is_visible()
    assert page.locator("[data-testid=inputs]").is_visible()
