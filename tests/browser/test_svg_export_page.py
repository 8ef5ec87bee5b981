"""Acceptance for the SVG export (issue #4): the exported SVG shows the same numbers as the page at
that step. The page is driven with the keyboard in Chromium against the real server; the SVG comes
from GET /api/export.svg of the same server. Also: the number formatting twins (format.js and
Also: the inspector's number formatter (format.js fmt, the one left in the browser) against the
server's, and the exported picture rendered by Chromium."""

from __future__ import annotations

import random
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from chainrule.engine.display import fmt

from tests.browser.helpers import api_trace, open_example, source_of, step

pytestmark = pytest.mark.browser

SVG = "{http://www.w3.org/2000/svg}"

# what the page's graph shows, read from its DOM: per visible node its value and gradient cells,
# per visible edge label its local derivative (graph.js: .node[data-node-id] .block.val/.grad
# .num, .edge-label[data-edge-id] .edge-local); the counter and narration beside it
PAGE_NUMBERS = """() => {
  const out = {};
  const svg = document.querySelector('[data-testid=graph] svg');
  for (const g of svg.querySelectorAll('.node[data-shown=true]')) {
    for (const which of ['val', 'grad']) {
      const cells = [...g.querySelectorAll(`.block.${which} .num`)].map((t) => t.textContent)
        .filter((t) => t);
      if (cells.length) out[`${g.dataset.nodeId}/${which}`] = cells;
    }
  }
  for (const g of svg.querySelectorAll('.edge-label[data-shown=true]')) {
    const t = g.querySelector('.edge-local').textContent;
    if (t) out[`${g.dataset.edgeId}/local`] = [t];
  }
  return {numbers: out,
          counter: document.querySelector('[data-role=counter]').textContent,
          narration: document.querySelector('[data-testid=narration]').textContent};
}"""


def svg_view(server_url: str, example: str, k: int) -> dict:
    """The same facts read from the exported SVG (parsed as XML)."""
    with urllib.request.urlopen(f"{server_url}/api/export.svg?example={example}&step={k}",
                                timeout=30) as r:
        assert r.headers["content-type"].startswith("image/svg+xml")
        root = ET.fromstring(r.read())
    out: dict[str, list[str]] = {}
    for g in root.iter(f"{SVG}g"):
        cls = (g.get("class") or "").split()
        if "node" in cls and g.get("data-shown") == "true":
            for which in ("val", "grad"):
                cells = [t.text for b in g.iter(f"{SVG}g") if which in (b.get("class") or "")
                         .split() for t in b.iter(f"{SVG}text") if t.text]
                if cells:
                    out[f"{g.get('data-node-id')}/{which}"] = cells
        if "edge-label" in cls:
            local = [t.text for t in g.iter(f"{SVG}text") if "edge-local" in t.get("class", "")]
            if local:
                out[f"{g.get('data-edge-id')}/local"] = local
    texts = {c: [t.text for t in root.iter(f"{SVG}text") if c in (t.get("class") or "").split()]
             for c in ("counter", "narration")}
    return {"numbers": out, "counter": texts["counter"][0],
            "narration": " ".join(texts["narration"])}


def press_to(page, key: str, k: int, times: int = 1) -> None:
    for _ in range(times):
        page.keyboard.press(key)
    page.wait_for_function(f"() => document.body.dataset.step === '{k}'")


@pytest.mark.parametrize(("example", "after"), [("05_neuron", 4), ("08_fan_out", 3)])
def test_svg_shows_the_pages_numbers_mid_backward(page, server_url, example, after):
    _, trace = api_trace(server_url, source_of(example))
    k = trace["backward_start"] + after   # the seed and some edges: some gradients known, some
    assert trace["steps"][k]["phase"] == "backward" and k < len(trace["steps"]) - 1   # to come
    open_example(page, server_url, example)
    page.locator("body").focus()
    press_to(page, "ArrowRight", k, times=k + 1)        # from the start (-1), one press a step
    assert step(page) == k
    shown = page.evaluate(PAGE_NUMBERS)
    exported = svg_view(server_url, example, k)
    assert shown["numbers"] == exported["numbers"]
    assert shown["counter"] == exported["counter"] == f"Step {k + 1} of {len(trace['steps'])}"
    assert shown["narration"] == exported["narration"]
    grads = [key for key in shown["numbers"] if key.endswith("/grad")]
    locals_ = [key for key in shown["numbers"] if key.endswith("/local")]
    assert grads and locals_, "mid-backward shows gradients and local derivatives"
    # the comparison can fail: one step earlier or later the picture shows other numbers
    for other in (k - 1, k + 1):
        assert svg_view(server_url, example, other)["numbers"] != shown["numbers"]


def test_svg_shows_the_pages_numbers_for_a_tensor_example_at_its_end(page, server_url):
    _, trace = api_trace(server_url, source_of("09_broadcast_linear"))
    last = len(trace["steps"]) - 1
    open_example(page, server_url, "09_broadcast_linear")
    page.locator("body").focus()
    press_to(page, "End", last)
    shown = page.evaluate(PAGE_NUMBERS)
    exported = svg_view(server_url, "09_broadcast_linear", last)
    assert shown["numbers"] == exported["numbers"]
    assert shown["counter"] == exported["counter"]
    cells = sum(len(v) for key, v in shown["numbers"].items() if key.endswith("/grad"))
    assert cells >= 9, "W's and b's gradients are tables of numbers"
    assert svg_view(server_url, "09_broadcast_linear", last - 1)["numbers"] != shown["numbers"]


def _numbers_to_format() -> list:
    rng = random.Random(4)
    xs: list = [0.0, -0.0, 1.0, -1.0, 0.5, 0.125, 2.5, 9999.5, 99995.0, 12345.0, 1234.5, 0.00012345,
                1e-5, -1e-5, 1.5e-7, 123456.0, 1e21, 5e-324, 1.7976931348623157e308, 0.1 + 0.2,
                -0.001234567, 9.995, 0.0009995, "nan", "inf", "-inf"]
    for _ in range(400):
        xs.append(rng.choice([-1, 1]) * 10 ** rng.uniform(-9, 9))
        xs.append(round(rng.uniform(-50, 50), rng.randint(0, 4)))
    return xs


def test_the_inspectors_number_formatting_matches_the_servers(page, server_url):
    """The graph and caption paint the trace's texts; the inspector alone formats numbers in the
    browser (every number of a big tensor travels as a number), so it must write the server's."""
    xs = _numbers_to_format()
    page.goto(f"{server_url}/static/favicon.svg")
    got = page.evaluate("""async (xs) => {
      const f = await import('/static/js/format.js');
      return {fmt: xs.map((x) => f.fmt(x)),
              ints: [3, -7, 2.5, 12345678].map((x) => f.fmt(x, true))};
    }""", xs)
    assert got["fmt"] == [fmt(x) for x in xs]
    assert got["ints"] == [fmt(x, True) for x in (3, -7, 2.5, 12345678)]


@pytest.mark.parametrize(("example", "where", "scheme"), [
    ("05_neuron", "mid", "light"), ("13_relu_mlp", "mid", "light"), ("13_relu_mlp", "end", "dark"),
    ("06_non_scalar_backward", "end", "light")])
def test_the_exported_picture_renders_cleanly(browser, server_url, artifacts, example, where,
                                              scheme):
    """Chromium opens the exported file from disk, with every request refused: numbers sit inside
    their boxes, caption lines fit the picture, and no request is made. The PNG is kept in
    tests/artifacts/ to look at."""
    _, trace = api_trace(server_url, source_of(example))
    n = len(trace["steps"])
    k = n - 1 if where == "end" else (trace["backward_start"] or 0) + 2
    with urllib.request.urlopen(f"{server_url}/api/export.svg?example={example}&step={k}"
                                f"&theme=auto", timeout=30) as r:
        svg = r.read()
    path = artifacts / f"export-{example}-{k}-{scheme}.svg"
    path.write_bytes(svg)
    ctx = browser.new_context(color_scheme=scheme, viewport={"width": 1400, "height": 900})
    requests: list[str] = []

    def refuse(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    ctx.route("**/*", refuse)
    pg = ctx.new_page()
    try:
        pg.goto(path.resolve().as_uri())
        facts = pg.evaluate("""() => {
          const svg = document.documentElement;
          const W = svg.viewBox.baseVal.width;
          const out = {overflow: [], wide: [], bg: getComputedStyle(svg.querySelector('rect'))
                       .fill, scripts: svg.querySelectorAll('script').length};
          for (const g of svg.querySelectorAll('.node')) {
            const box = g.querySelector('rect:not([stroke-opacity])');
            const bw = box.width.baseVal.value;
            for (const t of g.querySelectorAll('.num, .t-label, .op-label')) {
              const b = t.getBBox();
              const x0 = t.closest('.block') ? t.closest('.block').transform.baseVal[0]
                .matrix.e : 0;
              if (x0 + b.x < -0.5 || x0 + b.x + b.width > bw + 0.5) {
                out.overflow.push(`${g.dataset.nodeId}: ${t.textContent}`);
              }
            }
          }
          for (const t of svg.querySelectorAll('.caption text')) {
            const b = t.getBBox();
            if (b.x < 0 || b.x + b.width > W) out.wide.push(t.textContent);
          }
          return out;
        }""")
        pg.locator("svg").first.screenshot(path=str(path.with_suffix(".png")))
    finally:
        ctx.close()
    assert facts["scripts"] == 0
    assert facts["overflow"] == [], facts["overflow"]
    assert facts["wide"] == [], facts["wide"]
    assert requests == []
    want = {"light": "rgb(251, 252, 253)", "dark": "rgb(17, 21, 27)"}[scheme]   # --graph-bg
    assert facts["bg"] == want
