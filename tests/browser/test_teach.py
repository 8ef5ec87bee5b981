"""Teaching tools in a real browser: predict-then-reveal from the keyboard (seed snippet 3 and
the fan-out example), and the numerical gradient check beside each leaf's gradient."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import open_example, step

pytestmark = pytest.mark.browser


def answer(page, text: str) -> None:
    """Type a guess into the open question and reveal it, from the keyboard."""
    field = page.locator("[data-testid=predict-input]")
    field.wait_for()
    assert page.evaluate("document.activeElement.dataset.testid") == "predict-input"
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_predict_seed_square_from_the_keyboard(new_page, server_url, artifacts) -> None:
    for width, height in ((1280, 800), (390, 844)):
        page = new_page(viewport={"width": width, "height": height})
        open_example(page, server_url, "03_seed_square", path="/")
        page.keyboard.press("q")                       # predict mode on
        assert page.locator("[data-testid=predict-toggle]").get_attribute("aria-pressed") == "true"
        page.keyboard.press("ArrowRight")              # forward: y = x ** 2
        assert step(page) == 0
        page.keyboard.press("ArrowRight")              # the seed asks first: still at step 0
        assert step(page) == 0
        question = page.locator("[data-testid=predict-question]")
        assert "∂y/∂y" in question.inner_text()
        page.screenshot(path=str(artifacts / f"predict-03-question-{width}.png"))
        answer(page, "1")                              # ∂y/∂y = 1
        assert step(page) == 1
        assert page.locator("[data-testid=predict-verdict]").inner_text().startswith("Right")
        page.keyboard.press("ArrowRight")              # dy/dx = 2x = 4 at x = 2
        assert step(page) == 1
        answer(page, "4")
        assert step(page) == 2
        page.keyboard.press("End")
        page.locator("[data-testid=predict-final]").wait_for()
        assert "2 of 2" in page.locator("[data-testid=predict-final]").inner_text()
        page.screenshot(path=str(artifacts / f"predict-03-done-{width}.png"))


def test_predict_fan_out_counts_a_wrong_guess(page, server_url, artifacts) -> None:
    page.goto(f"{server_url}/?example=08_fan_out&predict=1")   # the URL option turns it on
    page.wait_for_selector("body[data-state=ready]")
    page.wait_for_function("() => document.body.dataset.nodes !== undefined")
    page.keyboard.press("End")          # a jump stops before the first question (the seed)
    assert step(page) == 1
    # b = a*a + a at a = 3: seed 1; to a*a: 1; to a (path 1 of 3): 1; path 2: 1 + 3 = 4;
    # path 3: 4 + 3 = 7
    guesses = ["1", "1", "1", "6", "7"]     # the fourth is wrong (4)
    for k, guess in enumerate(guesses):
        if k:
            page.keyboard.press("ArrowRight")
        answer(page, guess)
        assert step(page) == 2 + k
        verdict = page.locator("[data-testid=predict-verdict]").inner_text()
        assert verdict.startswith("Not quite" if guess == "6" else "Right"), verdict
        if guess == "6":
            assert "4" in verdict
            page.screenshot(path=str(artifacts / "predict-08-wrong-1280.png"))
    final = page.locator("[data-testid=predict-final]")
    final.wait_for()
    assert "4 of 5" in final.inner_text()


def test_predict_offers_choices_for_a_tensor(page, server_url) -> None:
    open_example(page, server_url, "10_softmax_mse")
    page.keyboard.press("q")
    page.keyboard.press("End")
    # the seed is one number; answer it, then the first tensor step offers choices
    answer(page, "1")
    page.keyboard.press("ArrowRight")
    radios = page.locator("[data-testid=predict-question] input[type=radio]")
    radios.first.wait_for()
    n = radios.count()
    assert 2 <= n <= 4
    texts = page.locator("[data-testid=predict-question] label").all_inner_texts()
    assert len(set(texts)) == n
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    assert page.locator("[data-testid=predict-verdict]").count() == 1


def test_numerical_check_beside_each_leaf(page, server_url, artifacts) -> None:
    open_example(page, server_url, "05_neuron")
    page.keyboard.press("End")
    page.locator("[data-testid=fd-run]").click()
    rows = page.locator("[data-testid=fd-row]")
    rows.first.wait_for()
    assert rows.count() == 5
    by_label = {}
    for i in range(5):
        cells = rows.nth(i).locator("td").all_inner_texts()
        by_label[cells[0]] = cells
    assert set(by_label) == {"x1", "x2", "w1", "w2", "b"}
    # tanh neuron at n = 0.8814: do/dn = 0.5; do/dx1 = w1·0.5 = -1.5; do/dw1 = x1·0.5 = 1
    assert float(by_label["x1"][2]) == pytest.approx(-1.5, abs=1e-3)
    assert float(by_label["w1"][2]) == pytest.approx(1.0, abs=1e-3)
    for cells in by_label.values():
        assert cells[4] == "✓ agree"
        assert re.fullmatch(r"max (0|\d(\.\d)?e-\d+)", cells[3]), cells[3]
    page.locator("[data-testid=fd-check]").screenshot(path=str(artifacts / "fd-check-05.png"))


@pytest.mark.parametrize("example, want", [
    # micrograd: e = relu((a+b)(ab+b³)) at a=2, b=-3: ∂e/∂a = (ab+b³) + (a+b)b = -30,
    # ∂e/∂b = (ab+b³) + (a+b)(a+3b²) = -62
    ("17_micrograd_value", {"a": -30.0, "b": -62.0}),
    # jax.grad of x² + sin(xy) at (2, 3), each argument from its own call:
    # 2x + y cos(xy) = 4 + 3 cos 6, and x cos(xy) = 2 cos 6
    ("16_jax_grad", {"x": 4 + 3 * 0.960170286650366, "y": 2 * 0.960170286650366}),
])
def test_numerical_check_of_a_dialect_from_the_keyboard(page, server_url, example, want) -> None:
    open_example(page, server_url, example)
    page.keyboard.press("End")
    run = page.locator("[data-testid=fd-run]")
    run.focus()
    page.keyboard.press("Enter")
    rows = page.locator("[data-testid=fd-row]")
    rows.first.wait_for()
    got = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        got[cells[0]] = cells
    assert set(got) == set(want)
    for label, value in want.items():
        assert float(got[label][2]) == pytest.approx(value, abs=1e-3), got[label]
        assert got[label][4] == "✓ agree", got[label]
