"""show() in a notebook sizes its iframe to the player's content: no inner scroll, on any step
(issue 14). The cell's HTML is what show() returns, rendered in Chromium as a notebook would."""

from __future__ import annotations

import pytest

from chainrule.notebook import DEFAULT_HEIGHT, show
from tests.browser.helpers import source_of

pytestmark = pytest.mark.browser

# the frame's own document: is anything below its bottom edge (an inner scroll)?
INNER_SCROLL = """() => ({ content: document.documentElement.scrollHeight,
  view: window.innerHeight, step: document.body.dataset.step })"""


def cell_page(new_page, cells: list[str], width: int = 900):
    page = new_page(viewport={"width": width, "height": 700}, reduced_motion="reduce")
    page.set_content("<!doctype html><meta charset=utf-8><title>notebook</title>"
                     "<body style='margin: 0; padding: 16px'>"
                     + "".join(f"<div class=cell>{c}</div>" for c in cells) + "</body>")
    return page


def no_inner_scroll(page, frame) -> None:
    """Wait for the cell's script to size the iframe, then check its document fits it. The
    cell is scrolled into view first: Chromium pauses rendering (and so the player's resize
    reports) in an opaque-origin iframe that is off screen, as a reader's scrolling would."""
    frame.frame_element().scroll_into_view_if_needed()
    # sandboxed, opaque origin (as in a notebook): the page cannot read the frame's document
    assert frame.frame_element().evaluate("f => f.contentDocument") is None
    frame.wait_for_function("""() => document.documentElement.scrollHeight <=
        window.innerHeight""", timeout=10_000)
    got = frame.evaluate(INNER_SCROLL)
    assert got["content"] <= got["view"], got


@pytest.mark.parametrize("example", ["03_seed_square", "13_relu_mlp"])
def test_show_sizes_its_iframe_to_the_content_on_every_step(new_page, artifacts, example):
    player = show(source_of(example))
    page = cell_page(new_page, [player._repr_html_()])
    frame = page.frames[1]
    frame.wait_for_selector("body[data-state=ready]")
    no_inner_scroll(page, frame)
    height = page.eval_on_selector("iframe", "f => f.getBoundingClientRect().height")
    # the content decides the height, not show()'s default
    assert abs(height - DEFAULT_HEIGHT) > 8, height
    last = int(frame.get_attribute("[data-testid=scrubber]", "max"))
    for i in range(-1, last + 1):
        frame.fill("[data-testid=scrubber]", str(i))
        frame.wait_for_function(f"() => document.body.dataset.step === '{i}'")
        no_inner_scroll(page, frame)
    page.screenshot(path=str(artifacts / f"notebook-{example}.png"), full_page=True)


def test_two_cells_size_independently_and_a_narrow_cell_still_fits(new_page):
    short, tall = show(source_of("03_seed_square")), show(source_of("13_relu_mlp"))
    page = cell_page(new_page, [short._repr_html_(), tall._repr_html_()], width=520)
    for frame in page.frames[1:]:
        frame.wait_for_selector("body[data-state=ready]")
        no_inner_scroll(page, frame)
    heights = page.eval_on_selector_all(
        "iframe", "fs => fs.map(f => f.getBoundingClientRect().height)")
    assert heights[0] != heights[1]
