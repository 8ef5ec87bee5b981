"""The Printed panel fills as the steps reach each print, and a program with nothing to play
does not invite the learner to press play (issue 14: no spoilers, no small errors)."""

from __future__ import annotations

import contextlib
import io
import urllib.parse

import pytest

from tests.browser.helpers import SETTLED, api_trace, seek

pytestmark = pytest.mark.browser

# three prints: before any op, after the forward ops, after backward
PRINTS = """import torch
x = torch.tensor(3.0, requires_grad=True)
print("start")
y = x * x
print(y)
z = y + 1
z.backward()
print(x.grad)
"""


def python_prints() -> list[str]:
    """What each print writes, from PyTorch itself (the oracle for the texts)."""
    import torch

    out = []
    x = torch.tensor(3.0, requires_grad=True)
    for make in (lambda: "start", lambda: x * x):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            print(make())
        out.append(buf.getvalue())
    (x * x + 1).backward()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print(x.grad)
    out.append(buf.getvalue())
    return out


def printed(page) -> str:
    return page.text_content("[data-role=stdout] pre") or ""


def test_the_printed_panel_fills_as_the_steps_reach_each_print(page, server_url):
    start, product, grad = python_prints()
    status, trace = api_trace(server_url, PRINTS)
    assert status == 200 and trace["error"] is None
    kinds = [s["kind"] for s in trace["steps"]]
    # y = x*x is step 0, z = y + 1 step 1, then the seed and the backward edges
    assert kinds[:3] == ["op", "op", "seed"]
    page.goto(f"{server_url}/?src={urllib.parse.quote(PRINTS)}")
    page.wait_for_selector(SETTLED)
    assert page.locator("[data-role=stdout]").is_visible()
    # before any step only what was printed before any op: no spoiler of y or x.grad
    assert printed(page) == start
    seek(page, 0)
    assert printed(page) == start + product
    for i in range(1, len(kinds) - 1):     # backward runs, x.grad is not printed until it ends
        seek(page, i)
        assert printed(page) == start + product, i
    seek(page, len(kinds) - 1)
    assert printed(page) == start + product + grad == trace["stdout"]
    # and back: stepping back un-prints
    seek(page, -1)
    assert printed(page) == start


@pytest.mark.allow_console(r"status of 400")
def test_a_refused_program_does_not_say_press_play(page, server_url):
    page.goto(f"{server_url}/?example=03_seed_square")
    page.wait_for_selector(SETTLED)
    assert "Press" in page.text_content("[data-testid=narration]")   # a playable program does
    page.fill("[data-testid=source]", "x = (\n")
    page.click("[data-testid=run]")
    page.locator("[data-testid=editor-error]").wait_for(state="visible")
    page.wait_for_function("() => document.body.dataset.state === 'error'")
    narration = page.text_content("[data-testid=narration]")
    assert "press play" not in narration.lower() and "Nothing ran" in narration, narration
    assert page.text_content("[data-role=counter]") == "No steps"
