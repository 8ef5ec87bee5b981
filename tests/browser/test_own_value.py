"""The learner's own `class Value` in Chromium (issue 15): the gallery's lecture program shows
THEIR graph (drawn from _prev/_op/label) and plays their _backward closures as backward steps;
the a + a bug example shows PyTorch's 2.0 beside their 1.0 at a. Screenshots at 1280×800 and
390 px, light and dark, go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import api_trace, open_example, seek, source_of

pytestmark = pytest.mark.browser


def test_the_lecture_value_class_shows_its_graph_and_backward_steps(page, server_url):
    status, trace = api_trace(server_url, source_of("18_own_value"))
    assert status == 200 and trace["error"] is None, trace
    open_example(page, server_url, "18_own_value")
    labels = {n["label"] for n in trace["nodes"] if n["kind"] == "tensor"}
    assert labels == {"x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "x1w1 + x2w2", "n", "o"}
    drawn = page.locator(".node.tensor")
    assert drawn.count() == len(labels)
    assert page.locator(".node.op").count() == 5          # * * + + tanh
    # the last backward step: a closure's write, narrated in their code's words
    edges = [s for s in trace["steps"] if s["kind"] == "edge"]
    seed = next(s for s in trace["steps"] if s["kind"] == "seed")
    seek(page, seed["index"])
    narration = page.locator("[data-testid=narration]").text_content()
    assert "backward always seeds 1.0" in narration
    last = edges[-1]
    seek(page, last["index"])
    narration = page.locator("[data-testid=narration]").text_content()
    assert "._backward() runs" in narration and ".grad +=" in narration
    focus = page.locator(f".node[data-node-id={last['to']}]")
    assert focus.get_attribute("data-grad") == last["shown"]["cells"][0]
    formulas = page.locator("[data-testid=formula]").text_content()
    assert "Their _backward ran" in formulas and ".grad +=" in formulas
    # their Values are not our records: no forward-mode toggle with "0 inputs" to puzzle over
    assert trace["forward_mode"] is None
    assert not page.locator("[data-testid=mode-toggle]").is_visible()
    for scheme in ("light", "dark"):
        for width, height in ((1280, 800), (390, 844)):
            p = page if (scheme, width) == ("light", 1280) else None
            if p is None:
                p = page.context.browser.new_context(
                    viewport={"width": width, "height": height}, color_scheme=scheme).new_page()
                open_example(p, server_url, "18_own_value")
                seek(p, last["index"])
            else:
                p.set_viewport_size({"width": width, "height": height})
            p.screenshot(path=f"tests/artifacts/own_value_{scheme}_{width}.png")
            if p is not page:
                p.context.close()


def test_the_a_plus_a_bug_shows_pytorchs_gradient_beside_theirs(page, server_url):
    status, trace = api_trace(server_url, source_of("19_own_value_bug"))
    assert status == 200 and trace["error"] is None, trace
    open_example(page, server_url, "19_own_value_bug")
    step = next(s for s in trace["steps"] if s.get("pytorch"))
    seek(page, step["index"])
    narration = page.locator("[data-testid=narration]").text_content()
    assert "PyTorch gives 2.0 here" in narration
    formulas = page.locator("[data-testid=formula]").text_content()
    assert "PyTorch gives 2.0 here" in formulas
    a = page.locator(f".node[data-node-id={step['to']}]")
    assert a.get_attribute("data-grad") == "1.0"
    page.screenshot(path="tests/artifacts/own_value_bug_light_1280.png")
    # the numerical check agrees with PyTorch, not with their engine: d(a + a)/da = 2
    page.locator("[data-testid=fd-run]").click()
    row = page.locator("[data-testid=fd-row]")
    row.first.wait_for()
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[0] == "a" and float(cells[2]) == pytest.approx(2.0, abs=1e-3), cells
    assert cells[1] == "1" and cells[4] == "✗ differ", cells     # their a.grad: 1.0
    page.screenshot(path="tests/artifacts/own_value_bug_fd_light_1280.png")
