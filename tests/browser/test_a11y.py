"""Accessibility (issue #14): axe-core, shipped inside the axe-playwright-python package and run
in Chromium against the real server (never fetched from a CDN), finds no serious or critical
violation on the player, the embed, the handout and the language reference, in light and dark,
after an example is loaded and stepped (the backward pass lights the graph, fills the
narration's formulas and shows the gradients)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import open_example, step

pytestmark = pytest.mark.browser
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    results = axe_module.Axe().run(page)
    found = []
    for v in results.response["violations"]:
        if v.get("impact") in SERIOUS:
            targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])][:4]
            found.append(f"{v['impact']} {v['id']}: {v['help']} at {targets}")
    return found


def step_to(page, index: int) -> None:
    page.locator("[data-testid=graph]").focus()
    while step(page) < index:
        before = step(page)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => Number(document.body.dataset.step) > {before}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("where", [
    ("/", "05_neuron", 9),                    # the player, in the backward pass
    ("/", "09_broadcast_linear", 6),          # tensors: heat maps, shapes, colour keys
    ("/embed", "08_fan_out", 4),
])
def test_the_player_has_no_serious_violation(new_page, server_url, artifacts, where,
                                             scheme) -> None:
    path, example, index = where
    page = new_page(color_scheme=scheme, viewport={"width": 1280, "height": 800})
    open_example(page, server_url, example, path=path)
    step_to(page, index)
    page.wait_for_timeout(400)          # the camera's move and the formula's fade-in settle
    problems = serious_violations(page)
    if problems:
        page.screenshot(path=str(artifacts / f"a11y-{path.strip('/') or 'index'}-{example}-"
                                             f"{scheme}.png"))
    assert problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["/handout?example=05_neuron", "/language"])
def test_the_documents_have_no_serious_violation(new_page, server_url, path, scheme) -> None:
    page = new_page(color_scheme=scheme)
    theme = f"&theme={scheme}" if "?" in path else f"?theme={scheme}"
    page.goto(f"{server_url}{path}{theme if 'handout' in path else ''}")
    page.wait_for_load_state("load")
    assert serious_violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_teaching_tools_and_dialogs_have_no_serious_violation(new_page, server_url,
                                                                  scheme) -> None:
    page = new_page(color_scheme=scheme, viewport={"width": 1280, "height": 800})
    # predict mode, at its first question (the seed of the fan-out example)
    page.goto(f"{server_url}/?example=08_fan_out&predict=1")
    page.wait_for_selector("body[data-state=ready]")
    page.keyboard.press("End")
    page.locator("[data-testid=predict-input]").wait_for()
    assert serious_violations(page) == []
    # the numerical check's table filled in (hidden in predict mode: it would give answers)
    open_example(page, server_url, "08_fan_out")
    page.keyboard.press("End")
    page.locator("[data-testid=fd-run]").click()
    page.locator("[data-testid=fd-row]").first.wait_for()
    assert serious_violations(page) == []
    # the export dialog open, its handout entry ready
    page.click("[data-testid=export]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=export-handout]').href.includes('/handout')")
    assert serious_violations(page) == []


def test_the_player_on_a_phone_has_no_serious_violation(new_page, server_url) -> None:
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    open_example(page, server_url, "13_relu_mlp")
    step_to(page, 10)           # the backward pass through the two layers
    page.wait_for_timeout(400)
    assert serious_violations(page) == []
