"""The player in Debian's Chromium (Playwright), timed with the page's own performance.now().

- load to first paint: navigation start → the first animation frame after the page announces
  `body[data-state=ready]` with the graph's nodes in the DOM (the trace request included);
  the /api/trace fetch is reported beside it (Resource Timing) to split server from page;
- frame time while playing: intervals between animation frames while the player plays at 4×
  (one step per 275 ms), for a few seconds: p50/p95/max;
- slider to new numbers: a free variable's slider moved (an `input` event) → the first animation
  frame after the page is ready again with the new trace drawn; p50/p95 over many moves;
- big graphs (> 500 nodes open collapsed, one box per statement): boxes drawn at first paint,
  frame times while dragging the view at the whole-graph fit (level of detail on), the time
  "Expand all" takes to draw every node, and dragging again with everything open.

A 10,000-node program is not measured: bench/programs.py's 10,000-node MLP is ~27,000
characters (over `max_source_chars`, 20,000) and records ~3,900 ops (over the public
`max_ops`, 500); BIG_LIMITS raises only max_ops, max_shown_numbers and max_seconds.

The programs are bench/programs.py's scalar MLPs (x1..x3 are sliders), served to the page as
its examples list (`?example=` loads one), by a real `python -m app.cli serve` whose limits let
the 3,000-node program run (see api_bench.BIG_LIMITS).
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from bench.api_bench import BIG_LIMITS, serve
from bench.programs import program_of_size

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-gpu"]
SIZES = (200, 1000, 3000)
PLAY_MS = 3000
SLIDER_MOVES = 20

# Installed before the page's scripts: stamps the first frame after each `ready`.
PROBE = """
(() => {
  const b = window.__bench = {ready: [], painted: []};
  const mark = () => {
    const t = performance.now();
    b.ready.push(t);
    requestAnimationFrame(() => b.painted.push(performance.now()));
  };
  new MutationObserver(() => {
    const body = document.body;
    if (body && body.dataset.state === 'ready' && body.dataset.nodes !== undefined) {
      if (b.lastState !== 'ready') mark();
    }
    b.lastState = body ? body.dataset.state : undefined;
  }).observe(document, {subtree: true, attributes: true,
                        attributeFilter: ['data-state', 'data-nodes']});
})();
"""

FRAMES_JS = """
async (ms) => {
  const out = [];
  await new Promise((done) => {
    let last = performance.now();
    const end = last + ms;
    const tick = (t) => {
      out.push(t - last);
      last = t;
      if (t < end) requestAnimationFrame(tick); else done();
    };
    requestAnimationFrame(tick);
  });
  return out;
}
"""

SLIDER_JS = """
async ({name, value}) => {
  const range = document.querySelector(`[data-testid="input-${name}"]`);
  const b = window.__bench;
  const before = b.painted.length;
  const t0 = performance.now();
  range.value = String(value);
  range.dispatchEvent(new Event('input', {bubbles: true}));
  const deadline = t0 + 30000;
  while (b.painted.length === before && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1));
  }
  return b.painted.length > before ? b.painted[b.painted.length - 1] - t0 : null;
}
"""


# Drags the view with synthetic pointer events, one move per animation frame, for `ms`.
PAN_JS = """
async (ms) => {
  const svg = document.querySelector('[data-testid=graph] svg');
  const r = svg.getBoundingClientRect();
  let x = r.left + r.width / 2, y = r.top + r.height / 2;
  const ev = (type) => svg.dispatchEvent(new PointerEvent(type, {pointerId: 7, bubbles: true,
    clientX: x, clientY: y, button: 0, pointerType: 'mouse', isPrimary: true}));
  ev('pointerdown');
  const out = [];
  await new Promise((done) => {
    let last = performance.now(), k = 0;
    const end = last + ms;
    const tick = (t) => {
      out.push(t - last);
      last = t;
      k += 1;
      x += (k % 120 < 60 ? 4 : -4);
      y += (k % 80 < 40 ? 2 : -2);
      ev('pointermove');
      if (t < end) requestAnimationFrame(tick); else done();
    };
    requestAnimationFrame(tick);
  });
  ev('pointerup');
  return out.slice(1);
}
"""

EXPAND_ALL_JS = """
async () => {
  const t0 = performance.now();
  document.querySelector('[data-testid=expand-all]').click();
  await new Promise((r) => requestAnimationFrame(() => r()));
  return performance.now() - t0;
}
"""


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]


def player_landed() -> bool:
    root = Path(__file__).resolve().parent.parent
    return (root / "static" / "js" / "player.js").exists() and \
        (root / "templates" / "_player.html").exists()


def run(sizes: tuple[int, ...] = SIZES) -> dict:
    from playwright.sync_api import sync_playwright

    programs = {n: program_of_size(n) for n in sizes}
    gallery = [{"id": f"mlp{n}", "title": f"{n} nodes", "summary": "benchmark", "tags": [],
                "source": src} for n, (src, _) in programs.items()]
    env = {f"CHAINRULE_{k.upper()}": str(v) for k, v in BIG_LIMITS.items()}
    results: dict = {"sizes": {}, "slider": None}
    with serve(env) as port, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for n in sizes:
                results["sizes"][n] = _one_size(browser, port, gallery, n)
                print(f"browser {n} nodes: {results['sizes'][n]}", flush=True)
            results["slider"] = _slider(browser, port, gallery, min(sizes))
            print(f"browser slider: {results['slider']}", flush=True)
        finally:
            browser.close()
    return results


def _page(browser, port: int, gallery: list[dict]):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    ctx.route("**/api/examples", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(gallery)))
    ctx.add_init_script(PROBE)
    page = ctx.new_page()
    page.set_default_timeout(120_000)
    return ctx, page


def _open(page, port: int, example: str) -> None:
    page.goto(f"http://127.0.0.1:{port}/?example={example}")
    page.wait_for_function("() => window.__bench && window.__bench.painted.length > 0",
                           timeout=120_000)


def _one_size(browser, port: int, gallery: list[dict], n: int) -> dict:
    ctx, page = _page(browser, port, gallery)
    try:
        _open(page, port, f"mlp{n}")
        first = page.evaluate("() => window.__bench.painted[0]")
        fetch = page.evaluate("""() => {
            const e = performance.getEntriesByType('resource')
              .filter((r) => r.name.endsWith('/api/trace'));
            return e.length ? {start: e[0].startTime, duration: e[0].duration,
                               bytes: e[0].encodedBodySize} : null; }""")
        nodes = int(page.evaluate("() => document.body.dataset.nodes"))
        drawn = page.evaluate("() => document.querySelectorAll('[data-node-id]').length")
        boxes = page.evaluate("() => document.querySelectorAll('.group-box').length")
        page.select_option("[data-testid=speed]", "4")
        page.click("[data-testid=play]")
        frames = page.evaluate(FRAMES_JS, PLAY_MS)
        step = int(page.evaluate("() => document.body.dataset.step"))
        frames = frames[1:] or [0.0]
        page.click("[data-testid=play]")      # pause
        big = _big(page) if boxes else {}
        return {**big, "nodes": nodes, "drawn": drawn, "boxes": boxes,
                "first_paint_ms": round(first, 1),
                "fetch_ms": None if fetch is None else round(fetch["duration"], 1),
                "fetch_start_ms": None if fetch is None else round(fetch["start"], 1),
                "trace_bytes": None if fetch is None else fetch["bytes"],
                "frame_p50_ms": round(statistics.median(frames), 1),
                "frame_p95_ms": round(_pct(frames, 0.95), 1),
                "frame_max_ms": round(max(frames), 1), "frames": len(frames),
                "steps_played": step + 1}
    finally:
        ctx.close()


def _frames(xs: list[float]) -> dict:
    xs = xs or [0.0]
    return {"p50": round(statistics.median(xs), 1), "p95": round(_pct(xs, 0.95), 1),
            "max": round(max(xs), 1)}


def _big(page) -> dict:
    """Collapsed view: drag at the whole fit; then Expand all and drag again."""
    page.click("[data-testid=fit]")
    lod = "lod-far" in (page.get_attribute("[data-testid=graph] svg", "class") or "")
    pan = _frames(page.evaluate(PAN_JS, 2000))
    expand_ms = page.evaluate(EXPAND_ALL_JS)
    drawn_all = page.evaluate("() => document.querySelectorAll('[data-node-id]').length")
    page.click("[data-testid=fit]")
    pan_all = _frames(page.evaluate(PAN_JS, 2000))
    return {"pan_collapsed": pan, "lod_at_fit": lod, "expand_all_ms": round(expand_ms, 1),
            "drawn_expanded": drawn_all, "pan_expanded": pan_all}


def _slider(browser, port: int, gallery: list[dict], n: int) -> dict:
    ctx, page = _page(browser, port, gallery)
    try:
        _open(page, port, f"mlp{n}")
        page.wait_for_selector('[data-testid="input-x1"]', state="attached")
        times = []
        for k in range(SLIDER_MOVES + 2):
            value = round(-0.9 + 1.8 * ((k * 7) % 19) / 18, 2)
            t = page.evaluate(SLIDER_JS, {"name": "x1", "value": value})
            if k >= 2 and t is not None:   # two warm-up moves
                times.append(t)
        return {"nodes": n, "moves": len(times), "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(_pct(times, 0.95), 1), "max_ms": round(max(times), 1)}
    finally:
        ctx.close()


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
