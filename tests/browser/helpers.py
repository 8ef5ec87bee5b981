"""Shared steps for the player's browser tests: open an example, play it, read numbers back."""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.request

from chainrule.app.gallery import EXAMPLES_DIR

SETTLED = "body[data-state=ready], body[data-state=error]"
NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[+-]?\d+)?|inf|nan)")


def source_of(example_id: str) -> str:
    return (EXAMPLES_DIR / f"{example_id}.py").read_text(encoding="utf-8")


def api_trace(server_url: str, source: str, inputs: dict | None = None) -> tuple[int, dict]:
    body = {"source": source, **({"inputs": inputs} if inputs else {})}
    req = urllib.request.Request(f"{server_url}/api/trace", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def open_example(page, server_url: str, example_id: str, path: str = "/") -> None:
    page.goto(f"{server_url}{path}?example={example_id}")
    page.wait_for_selector(SETTLED)
    page.wait_for_function("() => document.body.dataset.nodes !== undefined")


def step(page) -> int:
    return int(page.evaluate("document.body.dataset.step"))


def play_to_end(page, steps: int) -> None:
    """Press play at the fastest speed and wait until the player stops on the last step."""
    page.select_option("[data-testid=speed]", "4")
    page.click("[data-testid=play]")
    page.wait_for_function(
        f"() => document.body.dataset.step === '{steps - 1}' && "
        "document.querySelector('[data-testid=play]').dataset.playing === 'false'",
        timeout=steps * 1000 + 10000)


def seek(page, index: int) -> None:
    page.fill("[data-testid=scrubber]", str(index))
    page.wait_for_function(f"() => document.body.dataset.step === '{index}'")


def numbers(text: str) -> list[float]:
    return [float(m) for m in NUMBER.findall(text)]


def flat(data) -> list[float]:
    if isinstance(data, list):
        return [x for d in data for x in flat(d)]
    return [float(data)]


def close(a: list[float], b: list[float], rel: float = 1.5e-3) -> bool:
    """Equal to the 4 significant digits the page shows."""
    return len(a) == len(b) and all(
        (math.isnan(x) and math.isnan(y)) or x == y or math.isclose(x, y, rel_tol=rel,
                                                                       abs_tol=1e-12)
        for x, y in zip(a, b, strict=True))

# Note: the page runs under CSP `script-src 'self'`, which forbids eval: give wait_for_function
# an arrow function ("() => …"), never a bare expression (Playwright evals those).
