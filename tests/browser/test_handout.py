"""The printed handout (GET /handout, issue #14) and the player printed with Ctrl+P, in Chromium.

Chromium prints to PDF (page.pdf(), the print path: @page sizes, page breaks, print media);
poppler's pdftotext reads the pages back and pdfinfo their paper size; pdftoppm renders them
under tests/artifacts/ to look at. The expected narration of each step is the player's own
(/api/trace), compared with what landed on the paper, page by page."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.browser.helpers import SETTLED, api_trace, open_example, seek, source_of

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils (make test installs it)")]

PT_PER_MM = 72 / 25.4


def pdf_pages(path: Path) -> list[str]:
    """The text of each page (pdftotext cuts pages with a form feed)."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return out.split("\f")[:-1]


def paper_mm(path: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return float(w) / PT_PER_MM, float(h) / PT_PER_MM


def word_heights(path: Path, page: int) -> dict[str, float]:
    """word → its glyph box height in points (the tallest occurrence) on one page."""
    xml = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path),
                          "-"], capture_output=True, text=True, check=True).stdout
    out: dict[str, float] = {}
    for y0, y1, word in re.findall(
            r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
            xml):
        out[word] = max(out.get(word, 0.0), float(y1) - float(y0))
    return out


def squash(text: str) -> str:
    """Text with its layout gone: line breaks and runs of spaces are one space."""
    return re.sub(r"\s+", " ", text).strip()


def dense(text: str) -> str:
    return re.sub(r"\s+", "", text)


def render_pages(pdf: Path, stem: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(stem)], check=True)
    return sorted(stem.parent.glob(stem.name + "-*.png"))


def print_pdf(page, path: Path) -> Path:
    page.pdf(path=str(path), prefer_css_page_size=True, print_background=True)
    return path


def test_the_neuron_handout_has_every_step_one_per_page(new_page, server_url, artifacts) -> None:
    status, trace = api_trace(server_url, source_of("05_neuron"))
    assert status == 200
    steps = trace["steps"]
    n = len(steps)
    page = new_page()
    page.goto(f"{server_url}/handout?example=05_neuron")
    page.wait_for_selector("body[data-state=ready]")
    assert page.locator("[data-testid=handout]").get_attribute("data-pages") == str(n)
    pdf = print_pdf(page, artifacts / "handout-neuron-a4.pdf")
    w, h = paper_mm(pdf)
    # A4, turned sideways: the neuron's graph is ~3 times as wide as tall
    assert abs(w - 297) < 1 and abs(h - 210) < 1
    pages = pdf_pages(pdf)
    assert len(pages) == n + 1                              # the cover, then a page per step
    cover = squash(pages[0])
    assert "Backpropagation, step by step" in cover and "torch.tanh(n)" in cover
    for k, (text, s) in enumerate(zip(pages[1:], steps, strict=True)):
        text = squash(text)
        assert f"Step {k + 1} of {n}" in text, (k, text[:200])
        # the player's own sentence for this step, whole (compared without white space: a
        # line may break inside "∂o/∂(x1 * w1)")
        assert dense(s["narration"]) in dense(text), (k, s["narration"], text)
        assert ("Backward" if k >= trace["backward_start"] else "Forward") in text
        # the graph is drawn, with its labels as text: every leaf's name is on every page
        for name in ("x1", "x2", "w1", "w2"):
            assert re.search(rf"\b{name}\b", text), (k, name)
    # readable: the narration prints at ≥ 10 pt and the graph's labels at ≥ 7 pt glyph height
    # (the 1119 px wide picture on the 273 mm of a landscape page: its 12 px labels at ~0.9×,
    # against ~0.63× on a portrait page)
    last = word_heights(pdf, n + 1)
    assert last.get("w1", 0) >= 7.0, last
    narration_word = max(steps[-1]["narration"].split(), key=len).strip(".,:;")
    assert any(word.startswith(narration_word[:6]) and size >= 10.0
               for word, size in last.items()), (narration_word, last)
    shots = render_pages(pdf, artifacts / "handout-neuron")
    assert len(shots) == n + 1


def test_letter_paper_and_chosen_steps(new_page, server_url, artifacts) -> None:
    page = new_page()
    page.goto(f"{server_url}/handout?example=05_neuron&steps=2,9-10&paper=letter")
    page.wait_for_selector("body[data-state=ready]")
    pdf = print_pdf(page, artifacts / "handout-neuron-letter.pdf")
    w, h = paper_mm(pdf)
    assert abs(w - 279.4) < 1 and abs(h - 215.9) < 1       # US Letter, 11 × 8.5 in sideways
    pages = [squash(p) for p in pdf_pages(pdf)]
    assert len(pages) == 4
    assert ["Step 2 of 15" in pages[1], "Step 9 of 15" in pages[2],
            "Step 10 of 15" in pages[3]] == [True] * 3
    assert not any("Step 1 of 15" in p or "Step 3 of 15" in p for p in pages)


def test_a_narrow_graph_prints_upright(new_page, server_url, artifacts) -> None:
    # the fan-out graph is 640 px wide (svg_export's minimum): it fits a portrait page
    page = new_page()
    page.goto(f"{server_url}/handout?example=08_fan_out")
    page.wait_for_selector("body[data-state=ready]")
    pdf = print_pdf(page, artifacts / "handout-fan-out.pdf")
    w, h = paper_mm(pdf)
    assert abs(w - 210) < 1 and abs(h - 297) < 1
    status, trace = api_trace(server_url, source_of("08_fan_out"))
    assert len(pdf_pages(pdf)) == len(trace["steps"]) + 1
    render_pages(pdf, artifacts / "handout-fan-out")


@pytest.mark.allow_console(r"status of 400")
def test_a_bad_choice_of_steps_is_a_clear_refusal(page, server_url) -> None:
    response = page.goto(f"{server_url}/handout?example=05_neuron&steps=12-40")
    assert response.status == 400
    assert page.locator("[data-testid=handout-problem]").inner_text() == \
        "steps: '12-40' goes past the last step (15)"
    response = page.goto(f"{server_url}/handout?source=import%20os")
    assert response.status == 400
    assert "line 1, column 1" in page.locator("[data-testid=handout-problem]").inner_text()


def test_the_export_dialog_opens_the_handout(new_page, server_url) -> None:
    page = new_page()
    open_example(page, server_url, "08_fan_out")
    page.click("[data-testid=export]")
    link = page.locator("[data-testid=export-handout]")
    link.wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=export-handout]').href.includes('/handout?p=')")
    with page.context.expect_page() as opened:
        link.click()
    handout = opened.value
    handout.wait_for_selector("body[data-state=ready]")
    status, trace = api_trace(server_url, source_of("08_fan_out"))
    assert handout.locator("[data-testid=handout]").get_attribute("data-pages") == \
        str(len(trace["steps"]))
    assert handout.locator("section.handout-step").count() == len(trace["steps"])


def test_ctrl_p_on_the_player_prints_the_current_step_only(new_page, server_url,
                                                           artifacts) -> None:
    status, trace = api_trace(server_url, source_of("05_neuron"))
    page = new_page(viewport={"width": 1280, "height": 800})
    open_example(page, server_url, "05_neuron")
    seek(page, 9)
    page.wait_for_selector(SETTLED)
    pdf = print_pdf(page, artifacts / "player-print-neuron.pdf")
    pages = [squash(p) for p in pdf_pages(pdf)]
    assert len(pages) == 1, [p[:80] for p in pages]
    text = pages[0]
    assert "Step 10 of 15" in text
    assert dense(trace["steps"][9]["narration"]) in dense(text)
    # no interface: no editor (the program's text), no example picker, no player buttons
    assert "requires_grad=True" not in text
    assert "Example" not in text and "Share" not in text and "Export" not in text
    render_pages(pdf, artifacts / "player-print-neuron")


def test_the_handout_page_chooses_steps_and_paper(new_page, server_url, artifacts) -> None:
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{server_url}/handout?example=05_neuron")
    page.wait_for_selector("body[data-state=ready]")
    page.screenshot(path=str(artifacts / "handout-screen-1280.png"))
    page.locator("[data-testid=handout-steps]").fill("2, 14-15")
    page.select_option("[data-testid=handout-paper]", "letter")
    page.locator("[data-testid=handout-steps]").press("Enter")
    page.wait_for_url(re.compile(r"steps=2%2C\+14-15.*paper=letter|paper=letter.*steps="))
    page.wait_for_selector("body[data-state=ready]")
    assert [int(s) for s in page.locator("section.handout-step").evaluate_all(
        "els => els.map(e => e.dataset.step)")] == [2, 14, 15]
    assert page.locator("[data-testid=handout-steps]").input_value() == "2, 14-15"
    pdf = print_pdf(page, artifacts / "handout-neuron-chosen.pdf")
    assert abs(paper_mm(pdf)[0] - 279.4) < 1


def test_the_standalone_player_prints_the_current_step_only(browser, server_url, artifacts,
                                                            tmp_path) -> None:
    # the exported file, opened from disk with every request refused: its inlined CSS alone
    with urllib.request.urlopen(f"{server_url}/api/export.html?example=05_neuron&step=9",
                                timeout=60) as r:
        path = tmp_path / "neuron.html"
        path.write_bytes(r.read())
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
              else route.abort())
    try:
        page = ctx.new_page()
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-state=ready]")
        pdf = print_pdf(page, artifacts / "standalone-print-neuron.pdf")
    finally:
        ctx.close()
    pages = [squash(p) for p in pdf_pages(pdf)]
    assert len(pages) == 1 and "Step 10 of 15" in pages[0]
    assert "requires_grad=True" not in pages[0]
    render_pages(pdf, artifacts / "standalone-print-neuron")
