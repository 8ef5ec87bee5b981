"""The player page (issue #3) in Chromium against a real server."""

from __future__ import annotations

import re
import urllib.request

import pytest

from tests.browser.helpers import (
    SETTLED,
    api_trace,
    close,
    flat,
    numbers,
    open_example,
    play_to_end,
    seek,
    source_of,
    step,
)

pytestmark = pytest.mark.browser

SEEDS = ["03_seed_square", "02_seed_single_cross_entropy", "01_seed_batch_cross_entropy"]


def node_id(trace: dict, name: str) -> str:
    return next(n["id"] for n in trace["nodes"] if n.get("name") == name)


@pytest.mark.parametrize("example", SEEDS)
def test_seed_example_plays_to_the_end_and_matches_the_api(page, server_url, example):
    status, trace = api_trace(server_url, source_of(example))
    assert status == 200 and trace["error"] is None
    open_example(page, server_url, example)
    assert page.evaluate("document.body.dataset.state") == "ready"
    assert step(page) == -1
    # before backward, no node shows a gradient
    assert page.locator("[data-node-id][data-grad]").count() == 0
    play_to_end(page, len(trace["steps"]))
    drawn = {el.get_attribute("data-node-id") for el in page.locator("[data-node-id]").all()}
    assert drawn == {n["id"] for n in trace["nodes"]}
    for n in trace["nodes"]:
        if n["kind"] != "tensor":
            continue
        shown = page.get_attribute(f"[data-node-id={n['id']}]", "data-grad")
        if n["grad"] is None:
            assert shown is None, (n["id"], shown)
            continue
        assert shown is not None, f"{n['label']} shows no gradient at the last step"
        want = flat(n["grad"]["data"]) if n["grad"]["data"] is not None else \
            [n["grad"]["summary"][k] for k in ("mean", "min", "max")]
        assert close(numbers(shown), want), (n["label"], shown, want)


def test_seed_square_shows_x_grad_4_and_why_the_seed_is_implicit(page, server_url):
    _, trace = api_trace(server_url, source_of("03_seed_square"))
    x = node_id(trace, "x")
    open_example(page, server_url, "03_seed_square")
    page.click("[data-testid=to-backward]")
    assert step(page) == trace["backward_start"]
    seed = page.text_content("[data-testid=narration]")
    assert "y has one element" in seed
    assert page.get_attribute(f"[data-node-id={x}]", "data-grad") is None
    page.click("[data-testid=to-end]")
    assert page.get_attribute(f"[data-node-id={x}]", "data-grad") == "4"
    assert "∇" in page.text_content(f"[data-node-id={x}]")
    assert "x.grad = 4" in page.text_content("[data-testid=narration]")
    # the local derivative is on the formula panel as MathML, and on the edge as a number
    assert page.locator("[data-testid=formula] math").count() >= 2
    assert "×4" in page.text_content("[data-testid=graph]")


def test_fan_out_shows_three_contributions_summing_to_7(page, server_url):
    _, trace = api_trace(server_url, source_of("08_fan_out"))
    a = node_id(trace, "a")
    done = next(s for s in trace["steps"]
                if s["kind"] == "edge" and s["to"] == a and s["complete"])
    assert done["expected"] == 3
    open_example(page, server_url, "08_fan_out")
    seek(page, done["index"] - 1)
    assert page.get_attribute(f"[data-node-id={a}]", "data-partial") == "true"
    seek(page, done["index"])
    chips = page.locator("[data-testid=contributions] .chip:not(.total)").all_text_contents()
    assert sorted(float(c) for c in chips) == [1.0, 3.0, 3.0]
    assert page.text_content("[data-testid=contributions] .chip.total").strip() == "7"
    assert page.get_attribute(f"[data-node-id={a}]", "data-grad") == "7"
    assert page.get_attribute(f"[data-node-id={a}]", "data-partial") is None
    assert "a.grad = 7" in page.text_content("[data-testid=narration]")


def test_keyboard_only_run_through(page, server_url):
    _, trace = api_trace(server_url, source_of("05_neuron"))
    last = len(trace["steps"]) - 1
    open_example(page, server_url, "05_neuron")
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.testid") == "step-forward":
            break
    else:
        pytest.fail("Tab never reached the step-forward button")
    page.keyboard.press("Enter")
    assert step(page) == 0
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert step(page) == 2
    page.keyboard.press("ArrowLeft")
    assert step(page) == 1
    page.keyboard.press("End")
    assert step(page) == last
    page.keyboard.press("Home")
    assert step(page) == -1
    page.keyboard.press("b")
    assert step(page) == trace["backward_start"]
    # the focus ring is visible on the focused control
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # space plays and pauses (from the scrubber, which is not a button)
    while page.evaluate("document.activeElement.dataset.testid") != "scrubber":
        page.keyboard.press("Tab")
    page.keyboard.press("Home")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.body.dataset.step !== '-1'")
    page.keyboard.press("Space")
    assert page.get_attribute("[data-testid=play]", "data-playing") == "false"
    # re-run the program from the editor with the keyboard
    page.focus("[data-testid=source]")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(SETTLED)
    assert step(page) == -1


def test_slider_retraces_in_place(page, server_url):
    open_example(page, server_url, "04_free_variables")
    slider = page.locator("[data-testid=input-x]")
    assert slider.count() == 1 and page.locator("[data-testid=input-y]").count() == 1
    page.click("[data-testid=to-end]")
    at = step(page)
    boxes = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '[data-node-id]')].map(n => [n.dataset.nodeId, n.getAttribute('transform')]))""")
    graph_before = page.text_content("[data-testid=graph]")
    grads_before = page.evaluate("""() => [...document.querySelectorAll('[data-grad]')]
        .map(n => n.dataset.grad).join('|')""")
    svg = page.evaluate_handle("document.querySelector('[data-testid=graph] svg .viewport')")
    slider.focus()
    # sliders start at distinct values (issue 14): x = 2, y = 3 (engine DEFAULT_INPUTS)
    assert page.input_value("[data-testid=input-x-number]") == "2"
    assert page.input_value("[data-testid=input-y-number]") == "3"
    for _ in range(30):
        page.keyboard.press("ArrowRight")     # x: 2 → 2.3 in steps of 0.01
    page.wait_for_function("""(before) => document.body.dataset.state === 'ready' &&
        [...document.querySelectorAll('[data-grad]')].map(n => n.dataset.grad).join('|')
        !== before""", arg=grads_before)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=input-x-number]').value === '2.3'")
    page.wait_for_function("() => document.body.dataset.state === 'ready'")
    page.wait_for_timeout(300)                 # the last throttled request lands
    assert page.text_content("[data-testid=graph]") != graph_before
    assert step(page) == at
    after = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '[data-node-id]')].map(n => [n.dataset.nodeId, n.getAttribute('transform')]))""")
    assert after == boxes
    assert page.evaluate("(v) => v.isConnected", svg), "the SVG was rebuilt"
    _, want = api_trace(server_url, source_of("04_free_variables"), {"x": 2.3, "y": 3.0})
    f = next(n for n in want["nodes"] if n.get("name") == "x")
    shown = page.get_attribute(f"[data-node-id={f['id']}]", "data-grad")
    assert close(numbers(shown), flat(f["grad"]["data"]))


def test_non_scalar_backward_shows_pytorchs_message_and_both_fixes_at_the_failing_step(
        page, server_url):
    _, trace = api_trace(server_url, source_of("06_non_scalar_backward"))
    open_example(page, server_url, "06_non_scalar_backward")
    assert page.evaluate("document.body.dataset.state") == "error"
    assert step(page) == -1
    box = page.locator("[data-testid=error]")
    # issue 14: the error appears at the step that fails, not at the start
    failing_step = next(i for i, st in enumerate(trace["steps"]) if st["kind"] == "error")
    assert not box.is_visible()
    seek(page, failing_step - 1)
    assert not box.is_visible()
    seek(page, failing_step)
    assert box.is_visible()
    text = box.text_content()
    assert "grad can be implicitly created only for scalar outputs" in text
    assert ".sum().backward()" in text and ".mean().backward()" in text
    assert "backward(gradient=" in text
    assert "(1,)" in text
    failing = trace["error"]["node"]
    assert page.get_attribute(f"[data-node-id={failing}]", "data-error") == "true"
    assert page.locator(".gutter .err").text_content().strip() == str(trace["error"]["line"])
    assert failing_step == len(trace["steps"]) - 1      # the failing step is the last one
    assert "not one" in page.text_content("[data-testid=narration]")


@pytest.mark.allow_console(r"status of 400")
def test_syntax_error_marks_line_and_column_in_the_editor(page, server_url):
    open_example(page, server_url, "03_seed_square")
    page.fill("[data-testid=source]", "x = torch.tensor(2.0)\ny = (x +\n")
    page.click("[data-testid=run]")
    page.wait_for_selector("body[data-state=error]")
    msg = page.locator("[data-testid=editor-error]")
    assert msg.is_visible()
    status, body = api_trace(server_url, "x = torch.tensor(2.0)\ny = (x +\n")
    assert status == 400
    err = body["error"]
    assert f"Line {err['line']}, column {err['col']}" in msg.text_content()
    assert err["message"] in msg.text_content()
    assert page.locator(".gutter .err").text_content().strip() == str(err["line"])
    assert page.locator(".backdrop mark.err").count() == 1
    assert page.locator("[data-node-id]").count() == 0


def test_runtime_error_keeps_the_graph_recorded_so_far(page, server_url):
    src = "import torch\na = torch.ones(2, 3)\nb = torch.ones(4, 5)\nc = a @ b\n"
    status, trace = api_trace(server_url, src)
    assert status == 200 and trace["error"] is not None
    open_example(page, server_url, "03_seed_square")
    page.fill("[data-testid=source]", src)
    page.click("[data-testid=run]")
    page.wait_for_selector("body[data-state=error]")
    assert page.locator("[data-node-id]").count() == len(trace["nodes"])
    # the error appears at the step that fails (issue 14), here the last one
    assert not page.locator("[data-testid=error]").is_visible()
    page.click("[data-testid=to-end]")
    assert page.locator("[data-testid=error]").is_visible()
    assert trace["error"]["message"] in page.text_content("[data-testid=error]")


def test_stale_playback_stops_when_the_program_changes(page, server_url):
    open_example(page, server_url, "05_neuron")
    page.click("[data-testid=play]")
    page.wait_for_function("() => document.body.dataset.step !== '-1'")
    page.select_option("[data-testid=examples]", "03_seed_square")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=source]').value.includes('x ** 2')")
    page.wait_for_selector(SETTLED)
    page.wait_for_timeout(1500)
    assert step(page) == -1
    assert page.get_attribute("[data-testid=play]", "data-playing") == "false"


def test_controls_carry_the_test_contract(page, server_url):
    open_example(page, server_url, "09_broadcast_linear")
    for tid in ["source", "run", "play", "step-forward", "step-back", "to-start", "to-end",
                "scrubber", "narration", "graph", "examples", "to-backward", "speed", "fit",
                "inputs"]:
        assert page.locator(f"[data-testid={tid}]").count() == 1, tid
    for b in page.locator("button").all():
        name = b.get_attribute("aria-label") or b.text_content().strip()
        assert name, "a button without an accessible name"
    # pan and zoom change the viewport transform; fit restores a whole view
    before = page.get_attribute("[data-testid=graph] .viewport", "transform")
    page.click("[data-testid=graph]")
    page.keyboard.press("+")
    page.keyboard.press("Shift+ArrowLeft")
    assert page.get_attribute("[data-testid=graph] .viewport", "transform") != before
    page.click("[data-testid=fit]")
    page.mouse.move(800, 300)
    page.mouse.wheel(0, -300)
    assert float(page.get_attribute("[data-testid=graph] svg", "data-zoom")) > 0


def test_heat_map_opens_every_number(page, server_url):
    _, trace = api_trace(server_url, source_of("01_seed_batch_cross_entropy"))
    p = node_id(trace, "predictions")
    open_example(page, server_url, "01_seed_batch_cross_entropy")
    page.click("[data-testid=fit]")
    thumb = page.locator(f"[data-node-id={p}] .block.val")
    box = thumb.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    tip = page.locator("[data-role=tooltip]")
    tip.wait_for(state="visible")
    first = next(n for n in trace["nodes"] if n["id"] == p)["value"]["data"][0][0]
    assert tip.text_content() == f"predictions[0, 0] = {first:.4g}"
    thumb.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog[data-role=inspector]")
    assert dialog.is_visible()
    assert dialog.locator("td").count() == 50
    page.keyboard.press("Escape")
    assert not dialog.is_visible()


def test_reduced_motion_plays_without_animations(new_page, server_url):
    page = new_page(reduced_motion="reduce")
    open_example(page, server_url, "05_neuron")
    page.click("[data-testid=step-forward]")
    assert page.locator(".edge[data-lit]").count() > 0
    assert page.evaluate("document.getAnimations().length") == 0
    page.click("[data-testid=play]")
    page.wait_for_function("() => document.body.dataset.step === '1'")
    assert page.evaluate("document.getAnimations().length") == 0
    duration = page.evaluate("""getComputedStyle(document.querySelector(
        '[data-node-id] .box')).transitionDuration""")
    assert set(duration.replace("s", "").split(", ")) <= {"0"}


def test_touch_pinch_zooms_and_drag_pans(page, server_url):
    open_example(page, server_url, "05_neuron")
    zoom = lambda: float(page.get_attribute("[data-testid=graph] svg", "data-zoom"))  # noqa: E731
    before = zoom()
    page.evaluate("""() => {
      const svg = document.querySelector('[data-testid=graph] svg');
      const r = svg.getBoundingClientRect();
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      const ev = (type, id, x) => svg.dispatchEvent(new PointerEvent(type, {pointerId: id,
        pointerType: 'touch', clientX: x, clientY: cy, bubbles: true, isPrimary: id === 1}));
      ev('pointerdown', 1, cx - 20); ev('pointerdown', 2, cx + 20);
      for (let d = 20; d <= 120; d += 20) {
        ev('pointermove', 1, cx - d); ev('pointermove', 2, cx + d);
      }
      ev('pointerup', 1, cx - 120); ev('pointerup', 2, cx + 120);
    }""")
    assert zoom() > before * 2.5
    t0 = page.get_attribute("[data-testid=graph] .viewport", "transform")
    box = page.locator("[data-testid=graph]").bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 260, box["y"] + 240, steps=4)
    page.mouse.up()
    assert page.get_attribute("[data-testid=graph] .viewport", "transform") != t0


def test_embed_plays_without_the_editor(page, server_url):
    open_example(page, server_url, "08_fan_out", path="/embed")
    assert page.locator("[data-testid=source]").count() == 0
    assert page.locator("[data-node-id]").count() == 5
    page.click("[data-testid=to-end]")
    assert page.locator("[data-node-id][data-grad='7']").count() == 1


def test_templates_have_no_inline_script_style_or_handlers(server_url):
    for path in ["/", "/embed"]:
        with urllib.request.urlopen(f"{server_url}{path}") as r:
            html = r.read().decode()
            csp = r.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle\s*=", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path


def test_phone_width_stacks_and_keeps_targets_large(new_page, server_url):
    page = new_page(viewport={"width": 390, "height": 844}, color_scheme="dark",
                    has_touch=True, is_mobile=True)
    open_example(page, server_url, "14_sigmoid_free")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # one column: the graph and the step's explanation first (both on the first screen,
    # issue 14), the program after them
    graph = page.locator("[data-testid=graph]").bounding_box()
    narration = page.locator("[data-role=narration-panel]").bounding_box()
    editor = page.locator("[data-role=editor]").bounding_box()
    assert graph["y"] + graph["height"] <= narration["y"]
    assert narration["y"] + narration["height"] <= min(editor["y"], 844)
    for tid in ["play", "step-forward", "step-back", "to-start", "to-end", "to-backward", "fit",
                "run", "examples", "speed", "scrubber", "input-x"]:
        box = page.locator(f"[data-testid={tid}]").bounding_box()
        assert box["width"] >= 40 and box["height"] >= 40, tid
