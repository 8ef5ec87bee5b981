"""A training run in a real browser (issue #13): a two-layer MLP trained 100 steps with Adam.
The page shows the loss strip above the graph; picking iteration 50 (keyboard, then a click)
shows that iteration's numbers, and the update step — written out per parameter with its
numbers — equals POST /api/training's for iteration 50, which tests/engine/
test_training_update.py checks against torch.optim itself. The polynomial tutorial's
hand-written update gets the same step, and its loss (1e5 → 10s) a log axis."""

from __future__ import annotations

import json
import urllib.request

import pytest
from chainrule.app.permalink import ProgramState, encode

from tests.browser.helpers import SETTLED, close, flat, numbers
from tests.training_programs import mlp_source

pytestmark = pytest.mark.browser

MLP = mlp_source()


def api_iteration(server_url: str, k: int) -> dict:
    req = urllib.request.Request(f"{server_url}/api/training",
                                 data=json.dumps({"source": MLP, "iteration": k}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def open_mlp(page, server_url: str) -> None:
    page.goto(f"{server_url}/#p={encode(ProgramState(source=MLP))}")
    page.wait_for_selector(SETTLED)
    page.wait_for_selector("[data-testid=loss-chart]")


def picked(page) -> int:
    return int(page.get_attribute("[data-testid=loss-chart]", "aria-valuenow"))


def shown_update(page) -> int:
    return int(page.evaluate("() => Number(/iteration (\\d+)/.exec(document.querySelector("
                             "'[data-testid=update-step] h2').textContent)[1])"))


def test_mlp_chart_pick_fifty_and_the_update_step(new_page, server_url, artifacts) -> None:
    api = api_iteration(server_url, 50)
    for width, height in ((1280, 900), (390, 844)):
        page = new_page(viewport={"width": width, "height": height})
        open_mlp(page, server_url)
        chart = page.locator("[data-testid=loss-chart]")
        assert chart.get_attribute("role") == "slider"
        assert chart.get_attribute("aria-valuemax") == "100"
        assert picked(page) == 1 and shown_update(page) == 1
        texts = chart.locator("text").all_text_contents()
        assert "iteration" in texts and "loss" in " ".join(texts)
        # keyboard: End → 100, then Shift+← five times → 50
        chart.focus()
        page.keyboard.press("End")
        for _ in range(5):
            page.keyboard.press("Shift+ArrowLeft")
        assert picked(page) == 50
        page.wait_for_function("() => /iteration 50 /.test(document.querySelector("
                               "'[data-testid=update-step] h2').textContent)")
        readout = page.inner_text("[data-testid=training-readout]")
        assert readout.startswith("iteration 50, loss")
        assert close(numbers(readout.split("loss")[1])[:1],
                     [api["training"]["losses"][49]], rel=1e-5)
        # the update step: Adam's rule, and each parameter's written-out lines carry the
        # API's numbers, token for token, ending with w ← w − lr·m̂ / (√v̂ + ε) = w after
        assert "w ← w − lr·m̂ / (√v̂ + ε)" in page.inner_text("[data-testid=update-rule]")
        # one statement per line (m, v, w, m̂, v̂), not one run-on formula
        assert page.locator("[data-testid=update-rule] .rule-line").all_inner_texts()[0] == \
            "m ← β₁·m + (1−β₁)·∇w"
        assert page.locator("[data-testid=update-rule] .rule-line").count() == 5
        blocks = page.locator("[data-testid=update-param]")
        assert blocks.count() == 4
        for i, want in enumerate(api["training"]["update"]["params"]):
            block = blocks.nth(i)
            assert block.get_attribute("data-label") == want["label"]
            rows = block.locator("[data-testid=worked]")
            assert rows.count() == len(want["worked"]) >= 1
            for j, entry in enumerate(want["worked"]):
                row = rows.nth(j)
                wanted = [t for line in entry["lines"] for t in line if isinstance(t, float | int)]
                values = [float(v) for v in row.locator(".n").evaluate_all(
                    "ns => ns.map(n => n.dataset.value)")]
                shown = numbers(" ".join(row.locator(".n").all_inner_texts()))
                assert values == wanted
                assert close(shown, wanted, rel=1e-4), (shown, wanted)   # 5-6 digits shown
                last = row.locator(".worked-line").last.inner_text()
                assert last.startswith("w ← w − lr·m̂ / (√v̂ + ε) = ")
                assert close(numbers(last.split("=")[-1]), [flat(want["after"]["data"])[
                    _flat_index(entry["at"], want["after"]["shape"])]], rel=1e-4)
        # every number is in the folded table too
        table = blocks.first.locator("[data-testid=update-table]")
        for row in ("before", "grad", "after", "change"):
            cell = table.locator(f"tr[data-row={row}] td").text_content()
            want = api["training"]["update"]["params"][0][row]["data"]
            assert close(numbers(cell)[:6], flat(want)[:6], rel=1e-5), (row, cell)
        # the graph is iteration 50's: its parameters as they were before its update (after
        # 49 steps), numbers as the API's (which tests/engine/test_training_picked.py checks
        # against PyTorch); no node of another state (the bug: `(step 100)`, final weights)
        page.wait_for_function("() => [...document.querySelectorAll('.node.tensor .t-label')]"
                               ".some(t => t.textContent === '2.bias (step 49)')")
        assert graph_steps(page) == {"49"}
        bias = next(n for n in api["nodes"] if n["label"] == "2.bias (step 49)")
        cells = page.locator(f"[data-node-id={bias['id']}] .block.val text.num")
        assert close(numbers(" ".join(cells.all_text_contents())), flat(bias["value"]["data"]),
                     rel=1e-3)
        assert [p["node"] for p in api["training"]["update"]["params"]] == [
            next(n["id"] for n in api["nodes"] if n["label"] == f"{name} (step 49)")
            for name in ("0.weight", "0.bias", "2.weight", "2.bias")]
        page.screenshot(path=str(artifacts / f"training-mlp-50-{width}.png"), full_page=True)
        # a click picks too: the chart's middle is iteration ~50
        box = chart.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
        hover = page.inner_text("[data-testid=training-readout]")
        assert hover.startswith("iteration ") and "loss" in hover
        page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
        k = picked(page)
        assert 1 <= k < 50
        page.wait_for_function(f"() => /iteration {k} /.test(document.querySelector("
                               "'[data-testid=update-step] h2').textContent)")


def graph_steps(page) -> set[str]:
    """The `(step k)` of every tensor label the graph draws."""
    labels = page.locator(".node.tensor .t-label").all_text_contents()
    return {lab.rsplit("(step ", 1)[1].rstrip(")") for lab in labels if "(step " in lab}


def test_first_and_last_iterations_label_their_own_states(new_page, server_url) -> None:
    """Home: iteration 1 reads the initial parameters (no step yet); End: iteration 100 reads
    them after 99 steps."""
    page = new_page(viewport={"width": 1280, "height": 900})
    open_mlp(page, server_url)
    assert graph_steps(page) == set()
    assert "0.weight" in page.locator(".node.tensor .t-label").all_text_contents()
    chart = page.locator("[data-testid=loss-chart]")
    chart.focus()
    page.keyboard.press("End")
    page.wait_for_function("() => /iteration 100 /.test(document.querySelector("
                           "'[data-testid=update-step] h2').textContent)")
    page.wait_for_function("() => [...document.querySelectorAll('.node.tensor .t-label')]"
                           ".some(t => t.textContent === '0.weight (step 99)')")
    assert graph_steps(page) == {"99"}
    page.keyboard.press("Home")
    page.wait_for_function("() => /iteration 1 /.test(document.querySelector("
                           "'[data-testid=update-step] h2').textContent)")
    page.wait_for_function("() => [...document.querySelectorAll('.node.tensor .t-label')]"
                           ".some(t => t.textContent === '0.weight')")
    assert graph_steps(page) == set()


def _flat_index(at: str, shape: list[int]) -> int:
    index = [int(i) for i in at.strip("[]").split(",") if i.strip()]
    k = 0
    for i, n in zip(index, shape, strict=True):
        k = k * n + i
    return k


def test_dark_theme_chart(new_page, server_url, artifacts) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    open_mlp(page, server_url)
    page.locator("[data-testid=training]").screenshot(path=str(artifacts /
                                                               "training-mlp-dark.png"))
    stroke = page.evaluate("() => getComputedStyle(document.querySelector('.loss-line')).stroke")
    assert stroke not in ("none", "")


POLYNOMIAL = """import torch
import math
x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
torch.manual_seed(0)
a = torch.randn((), requires_grad=True)
b = torch.randn((), requires_grad=True)
c = torch.randn((), requires_grad=True)
d = torch.randn((), requires_grad=True)
learning_rate = 1e-6
for t in range(40):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
"""


def test_hand_written_update_and_a_log_strip_on_a_phone(new_page, server_url,
                                                         artifacts) -> None:
    """`p -= learning_rate * p.grad` shows w ← w − lr·∇w with the API's numbers; the loss,
    from ~2e5 down by decades, is drawn on a log axis whose labels stay 12px at 390 px."""
    req = urllib.request.Request(f"{server_url}/api/training",
                                 data=json.dumps({"source": POLYNOMIAL, "iteration": 7}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        api = json.load(r)
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{server_url}/#p={encode(ProgramState(source=POLYNOMIAL))}")
    page.wait_for_selector(SETTLED)
    chart = page.locator("[data-testid=loss-chart]")
    assert chart.get_attribute("data-scale") == "log"
    ticks = chart.locator("text[data-tick=y]").all_text_contents()
    assert any(t.startswith("1e") for t in ticks), ticks
    for box in chart.locator("text.tick").evaluate_all(
            "ts => ts.map(t => t.getBoundingClientRect().height)"):
        assert box >= 11   # drawn at its pixel size: no viewBox shrinking on a phone
    assert chart.bounding_box()["width"] <= 390
    chart.focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("() => /iteration 7 /.test(document.querySelector("
                           "'[data-testid=update-step] h2').textContent)")
    assert page.inner_text("[data-testid=update-rule]") == "w ← w − lr·∇w"
    blocks = page.locator("[data-testid=update-param]")
    want = api["training"]["update"]["params"]
    assert [blocks.nth(i).get_attribute("data-label") for i in range(blocks.count())] == \
        [p["label"] for p in want] == ["a", "b", "c", "d"]
    for i, p in enumerate(want):
        line = blocks.nth(i).locator(".worked-line").first.inner_text()
        assert line.startswith("w ← w − lr·∇w = ")
        v = p["worked"][0]["values"]
        assert close(numbers(line.split("=", 1)[1]), [v["w"], v["lr"], v["grad"], v["after"]],
                     rel=1e-4), line
        assert f"lr = learning_rate = {'1e-6'}" in blocks.nth(i).locator("h3").inner_text()
    page.screenshot(path=str(artifacts / "training-poly-390.png"))
