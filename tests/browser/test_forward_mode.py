"""Forward versus reverse mode in a real browser (issue 15): the toggle is reached and switched
from the keyboard, the same graph then plays tangents forward, and switching back restores the
backward pass (with its error, for the seed's non-scalar example)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import open_example, step

pytestmark = pytest.mark.browser


def narration(page) -> str:
    return page.locator("[data-testid=narration]").inner_text()


def test_toggle_plays_tangents_on_the_non_scalar_example(new_page, server_url, artifacts):
    for width, height, scheme in ((1280, 800, "light"), (390, 844, "dark")):
        page = new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
        open_example(page, server_url, "06_non_scalar_backward")
        toggle = page.locator("[data-testid=mode-toggle]")
        assert toggle.is_visible()
        assert page.locator("[data-testid=mode-summary]").inner_text() == (
            "Forward mode: one pass per input number (3 here: w). Reverse mode: one pass per "
            "output number (3 here: losses).")
        assert page.locator("body").get_attribute("data-state") == "error"   # PyTorch refuses
        page.focus("[data-testid=mode-reverse]")
        page.keyboard.press("ArrowRight")          # a radio group: the arrow picks Forward
        page.wait_for_selector("[data-testid=mode-toggle][data-mode=forward]")
        assert page.locator("[data-testid=mode-forward]").is_checked()
        assert page.locator("body").get_attribute("data-state") == "ready"
        assert step(page) == -1
        page.focus("[data-testid=graph]")
        page.keyboard.press("ArrowRight")          # the first step seeds ẇ = [1, 0, 0]
        assert narration(page).startswith("Forward mode, pass 1 of 3: seed ẇ = [1, 0, 0]")
        page.keyboard.press("End")
        # d/dw (2w)² = 8w: the last pass moves w[2] = 3, so the tangent of losses is [0, 0, 24]
        text = narration(page)
        assert "End of pass 3 of 3: ṫ(losses) = [0, 0, 24]" in text, text
        # a tensor's second row holds a tangent now: marked ṫ, and the legend says so
        assert marks(page) == ({"ṫ"}, "ṫtangent")
        page.screenshot(path=str(artifacts / f"forward-mode-06-{width}-{scheme}.png"))
        page.focus("[data-testid=mode-forward]")
        page.keyboard.press("ArrowLeft")           # back to reverse mode
        page.wait_for_selector("[data-testid=mode-toggle][data-mode=reverse]")
        assert page.locator("body").get_attribute("data-state") == "error"
        assert marks(page) == ({"∇"}, "∇gradient")


def marks(page) -> tuple[set[str], str]:
    """The marks on the graph's nodes' second rows, and the legend's entry for them."""
    return (set(page.locator("[data-testid=graph] .nabla").all_text_contents()),
            page.locator("[data-testid=legend-grad]").text_content())


def test_a_jacfwd_program_opens_in_forward_mode(page, server_url, artifacts):
    """jax.jacfwd at top level is forward mode: the gallery's example opens on its one pass,
    which gives the whole Jacobian column: cos(0.5)·[1, 2, 3] + 2·0.5 (hand math; JAX prints
    [1.8775826 2.755165 3.6327477])."""
    open_example(page, server_url, "21_jax_forward_mode")
    page.wait_for_selector("[data-testid=mode-toggle][data-mode=forward]")
    assert page.locator("[data-testid=mode-forward]").is_checked()
    assert marks(page)[1] == "ṫtangent"
    page.focus("[data-testid=graph]")
    page.keyboard.press("End")
    text = narration(page)
    assert "End of pass 1 of 1: ṫ(jnp.sin(t) * v + t ** 2) = [1.878, 2.755, 3.633]" in text, \
        text
    # the output the camera keeps and the marker names is where the tangents end, not the
    # seeded input t (forward mode's seed step names t)
    label = page.evaluate("""() => {
      const id = document.querySelector('[data-testid=output-marker]').dataset.node;
      return document.querySelector(`[data-node-id="${id}"] .t-label`).textContent; }""")
    assert label == "jnp.sin(t) * v + t ** 2"
    page.screenshot(path=str(artifacts / "forward-mode-21-1280-light.png"))


def test_free_variables_forward_pass_per_input(page, server_url, artifacts):
    open_example(page, server_url, "04_free_variables")
    page.click("label[for=mode-forward]")
    page.wait_for_selector("[data-testid=mode-toggle][data-mode=forward]")
    page.focus("[data-testid=graph]")
    page.keyboard.press("End")
    # f = (x*y + sin x)² at x = 2, y = 3 (the defaults): ∂f/∂y = 2(xy + sin x)·x
    text = narration(page)
    assert "End of pass 2 of 2" in text and "with respect to y" in text
    page.screenshot(path=str(artifacts / "forward-mode-04-1280-light.png"))


def test_compare_link_carries_the_program(page, server_url):
    open_example(page, server_url, "04_free_variables")
    link = page.locator("[data-testid=compare-link]")
    page.wait_for_function("() => document.querySelector('[data-testid=compare-link]')"
                           ".getAttribute('href').startsWith('/compare#p=')")
    link.click()
    page.wait_for_selector("body[data-state=ready]", timeout=60_000)
    code = page.locator("[data-testid=compare-pytorch] [data-role=code]").inner_text()
    assert "x = torch.tensor(2.0, requires_grad=True)" in code
    assert "out = (x * y + torch.sin(x)) ** 2" in code


def test_on_a_phone_the_toggle_is_one_row_above_the_explanation(new_page, server_url):
    """At 390×844 the toggle and its Compare link sit above the explanation panel, not under
    it (they ran beneath it: the link was covered), and the graph keeps more than its minimum
    height."""
    page = new_page(viewport={"width": 390, "height": 844})
    open_example(page, server_url, "21_jax_forward_mode")
    page.wait_for_selector("[data-testid=mode-toggle][data-mode=forward]")
    box = page.evaluate("""() => { const r = (s) => document.querySelector(s)
        .getBoundingClientRect();
      return {radio: r('label[for=mode-forward]'), link: r('[data-testid=compare-link]'),
              side: r('.col-side'), graph: r('[data-testid=graph]')}; }""")
    assert abs(box["link"]["top"] - box["radio"]["top"]) < 20          # one row
    assert box["link"]["bottom"] <= box["side"]["top"]                  # not under the panel
    assert box["graph"]["height"] > 210
    assert page.locator("[data-testid=compare-link]").is_visible()
