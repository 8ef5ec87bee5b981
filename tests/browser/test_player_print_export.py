"""The standalone export printed (issue 14): Ctrl+P prints the graph as the screen framed it,
scaled to the page, not cut at the paper's edge. The export has no script but its own bundle,
so this checks that the bundle keeps the print size (static/js/print.js through viewer.js).

Chromium prints to PDF; poppler's pdftotext reads the page back; pdftoppm renders it for a look
(tests/artifacts/print-export-*.png)."""

from __future__ import annotations

import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils (make test installs it)")]

# every tensor's name that the screen shows whole inside the graph's box (pending ones too)
ON_SCREEN = """() => {
  const g = document.querySelector('[data-testid=graph]').getBoundingClientRect();
  return [...document.querySelectorAll('.node.tensor')].filter((n) => {
    const b = n.querySelector('.box').getBoundingClientRect();
    return b.left >= g.left && b.right <= g.right && b.top >= g.top && b.bottom <= g.bottom;
  }).map((n) => n.querySelector('.t-label').textContent);
}"""


def test_a_wide_graph_prints_whole_on_the_page(browser, server_url, tmp_path, artifacts):
    # the broadcast example at 1600 px: its whole graph fits the screen's graph box (1000 px
    # wide), wider than an A4 page's 186 mm (703 px): printed at screen size, `logits` was cut
    query = urllib.parse.urlencode({"example": "09_broadcast_linear"})
    url = f"{server_url}/api/export.html?{query}"
    path = tmp_path / "broadcast.html"
    with urllib.request.urlopen(url, timeout=60) as r:
        path.write_bytes(r.read())
    ctx = browser.new_context(viewport={"width": 1600, "height": 900}, color_scheme="light")
    try:
        ctx.route("**/*", lambda route: route.continue_() if route.request.url == path.as_uri()
                  else route.abort())
        page = ctx.new_page()
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-state=ready]")
        shown = page.evaluate(ON_SCREEN)
        assert "logits" in shown, shown
        pdf = tmp_path / "broadcast.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    finally:
        ctx.close()
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    dense = "".join(text.split())
    assert [name for name in shown if "".join(name.split()) not in dense] == []
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf),
                    str(artifacts / "print-export-broadcast")], check=True)
