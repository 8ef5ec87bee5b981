"""The Compare view in a real browser (issue 15): the seed's non-scalar example in four
frameworks, each card saying how it treats the output, the graphs drawn on the same positions;
screenshots at 1280×800 and 390 px, light and dark."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

READY = "body[data-state=ready]"


def open_compare(page, server_url: str, example: str) -> None:
    page.goto(f"{server_url}/compare?example={example}")
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('.compare-card .node, "
                           ".compare-card .reason').length >= 4")


def node_positions(page, dialect: str) -> list[str]:
    return page.eval_on_selector_all(
        f"[data-testid=compare-{dialect}] g.node",
        "els => els.map(e => e.getAttribute('data-node-id') + '@' + e.getAttribute('transform'))")


def test_non_scalar_example_in_four_frameworks(new_page, server_url, artifacts):
    for width, height, scheme in ((1280, 800, "light"), (390, 844, "dark"), (1280, 800, "dark"),
                                  (390, 844, "light")):
        page = new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
        open_compare(page, server_url, "06_non_scalar_backward")
        assert page.locator("[data-testid=compare-example]").input_value() == \
            "06_non_scalar_backward"          # the first entry of the Compare gallery
        assert "shape (3,): not a scalar" in page.locator(
            "[data-testid=compare-output]").inner_text()
        torch_card = page.locator("[data-testid=compare-pytorch]")
        assert "grad can be implicitly created only for scalar outputs" in \
            torch_card.locator("[data-role=outcome]").inner_text()
        tf_card = page.locator("[data-testid=compare-tensorflow]")
        assert "sums a non-scalar target" in tf_card.locator("[data-role=treatment]").inner_text()
        # d/dw Σ (2w)² = 8w at w = [1, -2, 3]
        assert "[  8. -16.  24.]" in tf_card.locator("[data-role=outcome]").inner_text()
        jax_card = page.locator("[data-testid=compare-jax]")
        assert ("Fails: Gradient only defined for scalar-output functions. Output had "
                "shape: (3,).") in jax_card.locator("[data-role=outcome]").inner_text()
        micro = page.locator("[data-testid=compare-micrograd]")
        assert "holds one number" in micro.locator("[data-role=reason]").inner_text()
        # aligned: the same op nodes at the same positions in the three graphs
        ops = {d: [p for p in node_positions(page, d) if p.startswith("op")]
               for d in ("pytorch", "tensorflow", "jax")}
        assert ops["pytorch"] and ops["pytorch"] == ops["tensorflow"] == ops["jax"]
        # the output, where the frameworks differ, is in view and legible: on a phone the graph
        # keeps its reading size and pans to the output rather than shrinking under 11 px
        seen = page.evaluate("""() => {
          const card = document.querySelector('[data-testid=compare-pytorch]');
          const box = card.querySelector('.compare-graph').getBoundingClientRect();
          const node = [...card.querySelectorAll('.node.tensor')].find(
            (n) => n.textContent.includes('losses'));
          const r = node.querySelector('rect').getBoundingClientRect();
          const texts = [...node.querySelectorAll('text')].map((t) => t.getBoundingClientRect())
            .filter((t) => t.height > 0);
          return {inside: r.left >= box.left - 1 && r.right <= box.right + 1 &&
                          r.top >= box.top - 1 && r.bottom <= box.bottom + 1,
                  smallest: Math.min(...texts.map((t) => t.height)),
                  overflowing: texts.filter((t) => t.left < r.left - 1 || t.right > r.right + 1)
                    .length};
        }""")
        assert seen["inside"], (width, scheme, seen)
        assert seen["smallest"] >= 11, (width, scheme, seen)
        assert seen["overflowing"] == 0, (width, scheme, seen)   # text drawn within its box
        page.screenshot(path=str(artifacts / f"compare-06-{width}-{scheme}.png"), full_page=True)


def test_scalar_program_every_framework_agrees(page, server_url):
    open_compare(page, server_url, "04_free_variables")
    assert "one number" in page.locator("[data-testid=compare-output]").inner_text()
    for d in ("pytorch", "tensorflow", "jax"):
        card = page.locator(f"[data-testid=compare-{d}]")
        assert card.get_attribute("data-aligned") == "true"
        assert card.locator("[data-role=outcome]").get_attribute("data-error") == "false"
    page.select_option("[data-testid=compare-example]", "05_neuron")
    page.wait_for_function("() => new URL(location.href).searchParams.get('example') === "
                           "'05_neuron'")
    page.wait_for_selector(READY)
    assert "tanh" in page.locator("[data-testid=compare-micrograd]").inner_text()


CLASSIFIER = """import torch
import torch.nn.functional as F
x = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
w = torch.tensor([[0.3, -0.2], [0.1, 0.4]], requires_grad=True)
target = torch.tensor([0, 1, 1])
logits = torch.clamp(x @ w.t(), min=-1.0, max=1.5)
loss = F.cross_entropy(logits, target)
loss.backward()
"""


def test_a_classifier_loss_in_three_frameworks(new_page, server_url, artifacts):
    """A learner's program from a link: cross_entropy of a clamped x @ w.t(), written in
    TensorFlow and JAX from what they have (log of softmax against one-hot targets, maximum
    then minimum, transpose_b in tf.matmul); each card prints the same gradient, which
    tests/engine/test_compare_translations.py checks against PyTorch and the frameworks."""
    from chainrule.app.permalink import ProgramState, encode

    from tests.browser.helpers import numbers
    for width, height, scheme in ((1280, 800, "light"), (390, 844, "dark")):
        page = new_page(viewport={"width": width, "height": height}, color_scheme=scheme)
        page.goto(f"{server_url}/compare#p={encode(ProgramState(source=CLASSIFIER))}")
        page.wait_for_selector(READY, timeout=60_000)
        page.wait_for_function("() => document.querySelectorAll('.compare-card .node, "
                               ".compare-card .reason').length >= 4")
        picker = page.locator("[data-testid=compare-example]")
        assert picker.input_value() == ""
        assert picker.locator("option:checked").inner_text() == "Your program"
        prints = {}
        for d in ("pytorch", "tensorflow", "jax"):
            card = page.locator(f"[data-testid=compare-{d}]")
            outcome = card.locator("[data-role=outcome]").inner_text()
            assert outcome.startswith("Prints:"), (d, outcome)
            text = outcome.split("shape=")[0]
            prints[d] = numbers(text)
        assert len(prints["pytorch"]) == 4
        for d in ("tensorflow", "jax"):   # float32 text vs PyTorch's 4 decimals
            assert all(abs(a - b) <= 1e-4 for a, b in zip(prints[d], prints["pytorch"],
                                                          strict=True)), prints
        code = page.locator("[data-testid=compare-tensorflow]").inner_text()
        assert "transpose_b=True" in code and "tf.nn.softmax" in code
        assert "holds one number" in page.locator(
            "[data-testid=compare-micrograd] [data-role=reason]").inner_text()
        page.screenshot(path=str(artifacts / f"compare-classifier-{width}-{scheme}.png"),
                        full_page=True)


def test_a_graph_wider_than_its_card_starts_at_its_right_end(new_page, server_url):
    """The gallery's batch cross-entropy is wider than a 1280 px card at reading size: the card
    shows its right end, the output (loss_scalar) at the card's right edge and nodes up to the
    left edge, instead of the output in the middle and half the card empty."""
    from chainrule.app.gallery import examples
    from chainrule.app.permalink import ProgramState, encode

    source = next(e["source"] for e in examples() if e["id"] == "01_seed_batch_cross_entropy")
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{server_url}/compare#p={encode(ProgramState(source=source))}")
    page.wait_for_selector(READY, timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('.compare-card .node').length >= 4")
    card = page.locator("[data-testid=compare-pytorch] svg").first.bounding_box()
    boxes = page.eval_on_selector_all(
        "[data-testid=compare-pytorch] g.node",
        "els => els.map(e => { const r = e.getBoundingClientRect(); "
        "return {label: e.textContent, left: r.left, right: r.right}; })")
    out = next(b for b in boxes if b["label"].startswith("loss_scalar"))
    card_right = card["x"] + card["width"]
    assert card_right - 80 <= out["right"] <= card_right, (out, card)
    # the graph fills the card: some node reaches (or passes) its left edge
    assert min(b["left"] for b in boxes) <= card["x"] + 40, (boxes, card)
