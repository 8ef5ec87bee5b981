"""Permalinks and the Share / Embed dialogs, in Chromium against the real server.

The permalink code is written by static/js/permalink.js and read by app/permalink.py (and the
other way round): these tests cross the two, so the mirrored field tables cannot drift apart.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from chainrule.app.permalink import ProgramState, decode, encode

from tests.browser.helpers import SETTLED, open_example, source_of, step

NEURON = "05_neuron"


def open_link(page, server_url: str, state: ProgramState, path: str = "/") -> None:
    page.goto(f"{server_url}{path}#p={encode(state)}")
    page.wait_for_selector(SETTLED)
    page.wait_for_function("() => document.body.dataset.nodes !== undefined")


def narration(page) -> str:
    return page.inner_text("[data-testid=narration]")


def counter(page) -> str:
    return page.inner_text("[data-role=counter]")


def test_permalink_opens_at_step_5_with_the_same_view_as_stepping_there(page, server_url):
    # Reference: open the example and press → five times (index 4 is the fifth step).
    open_example(page, server_url, NEURON)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.body.dataset.step === '4'")
    expected = (narration(page), counter(page))
    assert expected[1].startswith("Step 5 of")

    open_link(page, server_url, ProgramState(source=source_of(NEURON), step=4))
    assert step(page) == 4
    assert (narration(page), counter(page)) == expected
    assert page.input_value("[data-testid=source]") == source_of(NEURON)
    assert page.input_value("[data-testid=examples]") == NEURON   # known source → its example


def test_permalink_carries_inputs_and_seed(page, server_url):
    # inputs: a typed expression's free variable (a torch program has none: NameError)
    open_link(page, server_url, ProgramState(source="y = sin(x) * 3", inputs={"x": 2.5},
                                             seed=7, step=-1))
    assert page.input_value("[data-testid=inputs] input[type=number]") == "2.5"
    source = "import torch\ny = torch.randn(3).sum() * 2.5"   # the seed decides the numbers
    open_link(page, server_url, ProgramState(source=source, inputs={}, seed=7, step=-1))
    with_seed_7 = page.evaluate("document.querySelector('[data-testid=graph]').textContent")
    open_link(page, server_url, ProgramState(source=source, inputs={}, seed=8, step=-1))
    with_seed_8 = page.evaluate("document.querySelector('[data-testid=graph]').textContent")
    assert with_seed_7 != with_seed_8


def test_share_button_writes_a_code_the_server_reads(page, server_url):
    open_example(page, server_url, "04_free_variables")
    field = page.locator("[data-testid=inputs] input[type=number]").first
    name = page.locator("[data-testid=inputs] label").first.inner_text()
    field.fill("3.25")
    field.press("Enter")
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    page.focus("[data-testid=graph]")   # arrows in a number field change the number instead
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.body.dataset.step === '2'")
    page.click("[data-testid=share]")
    dialog = page.locator("[data-testid=share-dialog]")
    assert dialog.is_visible()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=share-link]').value.includes('#p=')")
    link = page.input_value("[data-testid=share-link]")
    assert link.startswith(server_url + "/#p=1.")
    state = decode(link.split("#p=", 1)[1])
    assert state.source == source_of("04_free_variables")
    assert state.inputs == {name: 3.25}
    assert state.step == 2
    # without the step, the link opens at the start
    page.uncheck("[data-testid=share-dialog] [data-role=with-step]")
    page.wait_for_function("(old) => document.querySelector('[data-testid=share-link]').value "
                           "!== old", arg=link)
    assert decode(page.input_value("[data-testid=share-link]").split("#p=")[1]).step == -1
    page.keyboard.press("Escape")
    assert not dialog.is_visible()


def test_address_bar_follows_the_step(page, server_url):
    open_example(page, server_url, NEURON)
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.hash.startsWith('#p=1.')")
    page.wait_for_function(
        "() => location.hash.length > 4 && document.body.dataset.step === '1'")
    page.wait_for_timeout(400)   # the URL is rewritten 250 ms after the last step change
    state = decode(page.evaluate("location.hash").removeprefix("#p="))
    assert (state.source, state.step) == (source_of(NEURON), 1)


def test_version_1_links_made_today_keep_opening(page, server_url):
    # Written by the page (permalink.js encodeState) on 2026-11-26 for source "y = x ** 2",
    # inputs {"x": 3}, step 1;
    # the format is versioned, so this exact string must open the same view forever.
    frozen = "1.q1YqVrJSqlSwVahQ0NJSMFLSUcpUsqpWqlCyMq7VUSpRsjKsBQA"
    if decode(frozen) != ProgramState("y = x ** 2", {"x": 3.0}, 0, 1):
        pytest.fail("the frozen code no longer decodes in Python: the v1 format changed")
    page.goto(f"{server_url}/#p={frozen}")
    page.wait_for_selector(SETTLED)
    assert step(page) == 1
    assert page.input_value("[data-testid=source]") == "y = x ** 2"


def test_damaged_link_says_so_and_the_page_still_works(page, server_url):
    page.goto(f"{server_url}/#p=1.q1YqVrJSqlSwVa")   # cut short while copying
    page.wait_for_selector(SETTLED)
    assert "damaged" in page.inner_text("[data-testid=editor-error]")
    page.select_option("[data-testid=examples]", NEURON)
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    assert int(page.evaluate("document.body.dataset.nodes")) > 0


def test_embed_dialog_snippet_frames_this_view(page, server_url):
    open_example(page, server_url, NEURON)
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.click("[data-testid=embed]")
    page.select_option("[data-testid=embed-dialog] select[name=controls]", "step")
    page.check("[data-testid=embed-dialog] input[name=step]")
    page.wait_for_function(
        "() => /controls=step/.test(document.querySelector('[data-testid=embed-snippet]').value)")
    snippet = page.input_value("[data-testid=embed-snippet]")
    m = re.search(r'<iframe src="([^"]+)"[^>]* height="(\d+)"', snippet)
    assert m, snippet
    src = m.group(1).replace("&amp;", "&")
    parts = urlsplit(src)
    assert f"{parts.scheme}://{parts.netloc}" == server_url and parts.path == "/embed"
    assert parse_qs(parts.query) == {"controls": ["step"]}
    state = decode(parts.fragment.removeprefix("p="))
    assert (state.source, state.step) == (source_of(NEURON), 3)
    assert 300 <= int(m.group(2)) <= 1200
    assert "<script>" in snippet   # "grow to fit" is on by default


def test_export_dialog_links_carry_this_view(page, server_url):
    open_example(page, server_url, NEURON)
    page.keyboard.press("ArrowRight")
    page.click("[data-testid=export]")
    href = page.get_attribute("[data-testid=export-html]", "href")
    parts = urlsplit(href)
    assert parts.path == "/api/export.html"
    state = decode(parse_qs(parts.query)["p"][0])
    assert (state.source, state.step) == (source_of(NEURON), 0)
    # the SVG is the live picture serialised in the page (test_page_svg_export_is_the_live_view)
    assert page.get_attribute("[data-testid=export-svg]", "href").startswith("blob:")


# the shown nodes' cell texts and the shown edge labels, from the page's DOM or the file
SHOWN_TEXTS = """(root) => {
  const out = [];
  for (const g of root.querySelectorAll('.node[data-shown=true]')) {
    const cells = [...g.querySelectorAll('.num')].map((t) => t.textContent).filter((t) => t);
    out.push([g.dataset.nodeId, cells.join(' ')]);
  }
  for (const g of root.querySelectorAll('.edge-label[data-shown=true] .edge-local'))
    if (g.textContent) out.push(['edge', g.textContent]);
  return out;
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_page_svg_export_is_the_live_view(page, server_url, tmp_path, theme):
    """Export from the page in Chromium: the file is the graph the learner sees, its texts the
    page's, its colours inlined (no stylesheet), the theme's background behind it."""
    page.goto(f"{server_url}/?example=09_broadcast_linear&theme={theme}")
    page.wait_for_function("() => document.body.dataset.nodes !== undefined")
    page.locator("body").focus()
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.body.dataset.step === '8'")
    shown = page.evaluate(f"() => ({SHOWN_TEXTS})(document.querySelector('[data-testid=graph] "
                          "svg'))")
    assert len(shown) > 5
    page.click("[data-testid=export]")
    with page.expect_download() as dl:
        page.click("[data-testid=export-svg]")
    path = tmp_path / "step.svg"
    dl.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    ET.fromstring(text.encode())                    # well-formed XML on its own
    assert "<link" not in text and "<style" not in text
    # the same texts, read by a fresh document that has none of the page's CSS
    page.goto("about:blank")
    page.set_content(text.split("?>", 1)[1])
    again = page.evaluate(f"() => ({SHOWN_TEXTS})(document.querySelector('svg'))")
    assert again == shown
    fill = page.evaluate("() => document.querySelector('svg > rect').getAttribute('fill')")
    ink = page.evaluate("() => getComputedStyle(document.querySelector('.t-label')).fill")
    page.screenshot(path=f"tests/artifacts/live_svg_{theme}.png")
    lum = sum(int(v) for v in re.findall(r"\d+", fill)[:3])
    assert (lum < 200) == (theme == "dark"), fill
    assert ink != "rgb(0, 0, 0)" or theme == "light", ink   # dark theme ink survives


def test_export_dialog_downloads_html_svg_and_a_2x_png(page, server_url, tmp_path):
    open_example(page, server_url, NEURON)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.click("[data-testid=export]")
    with page.expect_download() as svg_dl:
        page.click("[data-testid=export-svg]")
    svg_path = tmp_path / "step.svg"
    svg_dl.value.save_as(svg_path)
    root = ET.parse(svg_path).getroot()
    width, height = (float(root.get(k).removesuffix("px")) for k in ("width", "height"))

    with page.expect_download() as png_dl:
        page.click("[data-testid=export-png]")
    png = tmp_path / "step.png"
    png_dl.value.save_as(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    png_w, png_h = struct.unpack(">II", data[16:24])   # the IHDR chunk: width, height
    assert (png_w, png_h) == (round(width * 2), round(height * 2))

    with page.expect_download() as html_dl:
        page.click("[data-testid=export-html]")
    html_path = tmp_path / "player.html"
    html_dl.value.save_as(html_path)
    text = html_path.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "chainrule-trace" in text


def test_a_program_outside_the_gallery_shows_as_your_program(page, server_url):
    open_link(page, server_url, ProgramState(source="y = x * 3"))
    select = page.locator("[data-testid=examples]")
    assert select.input_value() == ""
    assert select.locator("option:checked").inner_text() == "Your program"
    page.select_option("[data-testid=examples]", NEURON)
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    assert page.input_value("[data-testid=source]") == source_of(NEURON)
    # editing an example and running it makes it the reader's own program
    page.fill("[data-testid=source]", source_of(NEURON) + "\nz = o * 2\n")
    page.click("[data-testid=run]")
    page.wait_for_function("() => document.querySelector('[data-testid=examples]').value === ''")


def test_dialogs_work_from_the_keyboard(page, server_url):
    open_example(page, server_url, NEURON)
    page.focus("[data-testid=embed]")
    page.keyboard.press("Enter")
    dialog = page.locator("[data-testid=embed-dialog]")
    assert dialog.is_visible()
    # the page behind a modal dialog is inert: Tab visits the dialog's controls (and the
    # browser's own UI, where focus shows as the body), never the page underneath
    visited = set()
    for _ in range(14):
        page.keyboard.press("Tab")
        where = page.evaluate(
            "() => { const a = document.activeElement;"
            " if (!a || a === document.body) return 'body';"
            " return document.querySelector('[data-testid=embed-dialog]').contains(a)"
            " ? (a.name || a.dataset.role || a.dataset.testid || a.tagName) : 'outside'; }")
        assert where != "outside"
        visited.add(where)
    assert {"editor", "controls", "theme", "copy"} <= visited
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.dataset.testid") == "embed"
