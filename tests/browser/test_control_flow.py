"""Issue 10, "How control flow is shown": a loop calling a user function, in Chromium.

The calls are frames titled with the call's source text, the narration says which iteration a
step belongs to, the editor's highlight moves into the function's body, the page links the
language reference, and a program that never calls backward is offered it (B).
Screenshots (1280×800 and 390 px, light and dark) go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser.helpers import SETTLED, api_trace, seek

pytestmark = pytest.mark.browser

PROGRAM = """import torch

def f(x):
    return x * x + 1

w = torch.tensor(0.5, requires_grad=True)
x = w
for i in range(5):
    x = f(x) * 0.5
y = x * 2
"""
BODY_LINE = 4     # `return x * x + 1`
ROOT = Path(__file__).resolve().parents[2]


def open_program(page, server_url: str) -> None:
    page.goto(f"{server_url}/?src={quote(PROGRAM)}")
    page.wait_for_selector(SETTLED)
    page.wait_for_function("() => document.body.dataset.nodes !== undefined")


def third_iteration_step(trace: dict) -> int:
    """The first step of the loop's third iteration made inside f (x * x)."""
    return next(s["index"] for s in trace["steps"]
                if "iteration 3 of 5" in s["narration"] and s["span"][0] == BODY_LINE)


def test_a_loop_of_calls_is_grouped_narrated_and_highlighted(page, server_url):
    status, trace = api_trace(server_url, PROGRAM)
    assert status == 200 and trace["error"] is None, trace
    open_program(page, server_url)
    frames = page.locator(".group-frame[data-group-kind=call]")
    assert frames.count() == 5                        # one frame per call of f
    titles = [frames.nth(k).locator(".g-label").text_content() for k in range(5)]
    assert titles == [f"▾ f(x) · i = {k}" for k in range(5)]
    # a frame collapses into one box and opens again (keyboard)
    head = frames.nth(0).locator(".group-toggle")
    head.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".group-box[data-group-id] .g-label")
    assert page.locator(".group-frame[data-group-kind=call]").count() == 4
    page.locator(".group-box").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll("
                           "'.group-frame[data-group-kind=call]').length === 5")
    # the third iteration's step inside f: narration and highlight in the function's body
    k = third_iteration_step(trace)
    seek(page, k)
    narration = page.locator("[data-testid=narration]").text_content()
    assert narration.startswith("In f(x), iteration 3 of 5 (i = 2): Forward:")
    marks = page.locator(".backdrop mark.hl")
    assert marks.count() == 1 and marks.first.text_content() == "x * x"
    line = page.evaluate("""() => {
        const m = document.querySelector('.backdrop mark.hl');
        const r = document.createRange();
        r.setStart(m.closest('.backdrop'), 0);
        r.setEndBefore(m);
        return r.toString().split('\\n').length;
    }""")
    assert line == BODY_LINE
    # the next iteration's same line: the highlight stays in the body, the narration moves on
    k4 = next(s["index"] for s in trace["steps"]
              if "iteration 4 of 5" in s["narration"] and s["span"][0] == BODY_LINE)
    seek(page, k4)
    assert "iteration 4 of 5" in page.locator("[data-testid=narration]").text_content()
    assert page.locator(".backdrop mark.hl").first.text_content() == "x * x"


def focus_in_view(page) -> bool:
    """Whether the current step's node lies inside the graph's visible area."""
    return page.evaluate("""() => {
        const n = document.querySelector('[data-testid=graph] [data-focus=true]');
        const g = document.querySelector('[data-testid=graph] svg').getBoundingClientRect();
        if (!n) return false;
        const b = n.getBoundingClientRect();
        return b.left >= g.left && b.right <= g.right && b.top >= g.top && b.bottom <= g.bottom;
    }""")


def test_a_resize_keeps_the_current_step_in_view(new_page, server_url):
    # The window (or a phone's address bar) changing height refits the view; the node the
    # step is about must come back into it, not the program's first statement.
    page = new_page(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    _, trace = api_trace(server_url, PROGRAM)
    open_program(page, server_url)
    seek(page, third_iteration_step(trace))
    assert focus_in_view(page)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.wait_for_timeout(200)          # the ResizeObserver runs after layout
    assert focus_in_view(page)
    page.set_viewport_size({"width": 1100, "height": 760})
    page.wait_for_timeout(200)
    assert focus_in_view(page)


@pytest.mark.allow_console(r"status of 404")   # only while docs/language.md is not written
def test_the_language_reference_is_linked(page, server_url):
    open_program(page, server_url)
    link = page.locator("[data-testid=language-link]")
    assert link.get_attribute("href") == "/language"
    link.click()
    doc = page.wait_for_selector("[data-testid=language-doc]")
    assert page.title().startswith("The language")
    written = (ROOT / "docs" / "language.md").exists()
    if written:   # the reference's own first heading, rendered from the markdown
        heading = next(line[2:].strip() for line in (ROOT / "docs" / "language.md").read_text(
            encoding="utf-8").splitlines() if line.startswith("# "))
        assert page.locator("[data-testid=language-doc] h1").first.text_content() == heading
    else:
        assert "not there yet" in doc.text_content()


def test_backward_is_offered_and_b_runs_it(page, server_url):
    status, trace = api_trace(server_url, PROGRAM)
    assert trace["backward_start"] is None
    assert trace["offer_backward"]["code"] == "y.backward()"
    open_program(page, server_url)
    offer = page.locator("[data-testid=offer-backward]")
    assert offer.is_visible() and offer.locator("code").text_content() == "y.backward()"
    page.locator("[data-testid=graph]").focus()
    page.keyboard.press("b")
    page.wait_for_function("() => document.body.dataset.phase === 'backward'")
    source = page.input_value("[data-testid=source]")
    assert source == PROGRAM + "y.backward()\n"
    assert not offer.is_visible()
    # what the page now shows is that program's trace, opened at its backward's first step
    status, after = api_trace(server_url, source)
    assert after["error"] is None and after["backward_start"] is not None
    assert int(page.evaluate("document.body.dataset.step")) == after["backward_start"]
    # dy/dw through five calls: the page's w gradient equals the API's
    w = next(n for n in after["nodes"] if n.get("name") == "w")
    assert w["grad"] is not None


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(new_page, server_url, artifacts, width, height, scheme):
    # reduced motion: the pan to the step's nodes is immediate, not caught half-way
    page = new_page(viewport={"width": width, "height": height}, color_scheme=scheme,
                    reduced_motion="reduce")
    _, trace = api_trace(server_url, PROGRAM)
    open_program(page, server_url)
    seek(page, third_iteration_step(trace))
    page.screenshot(path=str(artifacts / f"control_flow-{width}-{scheme}.png"), full_page=True)


HOOKED = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x * 2
y.mul_(3)
x.register_hook(lambda g: g * 10)
with torch.no_grad():
    c = x * 5
y.sum().backward()
"""


def test_in_place_versions_no_grad_and_hooks_are_shown(page, server_url):
    status, trace = api_trace(server_url, HOOKED)
    assert status == 200 and trace["error"] is None, trace
    labels = [n["label"] for n in trace["nodes"] if n["kind"] == "tensor"]
    assert "y" in labels and "y (v1)" in labels          # PyTorch: y._version == 1 after mul_
    page.goto(f"{server_url}/?src={quote(HOOKED)}")
    page.wait_for_selector(SETTLED)
    const = next(n["id"] for n in trace["nodes"] if n.get("note"))
    assert page.locator(f"[data-node-id={const}][data-no-grad] .const-badge").count() == 1
    hook = next(s["index"] for s in trace["steps"] if s["kind"] == "hook")
    seek(page, hook)
    # x.grad before the hook: d(sum(3 * 2x))/dx = 6 per element; the hook multiplies by 10
    assert page.locator("[data-testid=narration]").text_content() == (
        "Hook on x fired: gradient [6, 6] → [60, 60]: the new gradient flows on.")
    assert "It returned" in page.locator("[data-testid=formula]").text_content()


def test_notes_are_shown_and_the_offer_button_runs_backward(page, server_url):
    source = "x = torch.tensor(2.0, requires_grad=True)\ny = x * x\nprint(y)\n"
    status, trace = api_trace(server_url, source)
    assert status == 200 and trace["notes"], trace
    page.goto(f"{server_url}/?src={quote(source)}")
    page.wait_for_selector(SETTLED)
    notes = page.locator("[data-testid=notes]")
    assert notes.is_visible() and notes.locator("li").all_text_contents() == trace["notes"]
    page.locator("[data-testid=offer-backward] button").click()
    page.wait_for_function("() => document.body.dataset.phase === 'backward'")
    assert page.input_value("[data-testid=source]") == source + "y.backward()\n"
    # d(x*x)/dx at x = 2 is 4: the page's x node shows it at the end of the pass
    page.keyboard.press("End")
    x = next(n["id"] for n in trace["nodes"] if n.get("name") == "x")
    assert "4" in page.locator(f"[data-node-id={x}]").get_attribute("aria-label")


def test_screenshot_of_versions_no_grad_and_hook(new_page, server_url, artifacts):
    page = new_page(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    _, trace = api_trace(server_url, HOOKED)
    page.goto(f"{server_url}/?src={quote(HOOKED)}")
    page.wait_for_selector(SETTLED)
    seek(page, next(s["index"] for s in trace["steps"] if s["kind"] == "hook"))
    page.screenshot(path=str(artifacts / "control_flow-hook-1280-light.png"), full_page=True)
