"""GET /handout without a browser: the choice of steps, unique ids across the pages' pictures,
the page and time bounds, and refusals. (Printing is tests/browser/test_handout.py.)"""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser

import pytest
from chainrule.app.handout import MAX_PAGES, BadSteps, build_handout, parse_steps
from chainrule.app.runner import trace_response
from chainrule.engine.limits import Limits


class Ids(HTMLParser):
    """Every id and every reference to one (aria-labelledby, url(#…)) in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.refs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids[value] += 1
            elif name == "aria-labelledby":
                self.refs.update(value.split())
            elif value and value.startswith("url(#"):
                self.refs.add(value[5:-1])


def test_steps_are_chosen_one_based_in_order_each_once() -> None:
    assert parse_steps(None, 4) == [0, 1, 2, 3]
    assert parse_steps(" ", 4) == [0, 1, 2, 3]
    assert parse_steps("3, 1-2,2", 4) == [0, 1, 2]
    assert parse_steps("2–4", 4) == [1, 2, 3]          # an en dash, as people type ranges
    for bad, says in (("0", "count from 1"), ("3-2", "not a range"), ("5", "past the last"),
                      ("1,,2", "not a step number"), ("x", "not a step number"),
                      ("1" * 201, "at most 200")):
        with pytest.raises(BadSteps, match=says):
            parse_steps(bad, 4)


def test_every_id_is_unique_and_every_reference_resolves(client) -> None:
    r = client.get("/handout?example=05_neuron")
    assert r.status_code == 200
    page = Ids()
    page.feed(r.text)
    assert [i for i, n in page.ids.items() if n > 1] == []
    assert page.refs and page.refs <= set(page.ids)


def test_the_program_text_is_escaped(client) -> None:
    r = client.get("/handout", params={"source": "x = 1 # </code><script>alert(1)</script>\n"
                                                 "y = x * 2"})
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "&lt;script&gt;alert(1)" in r.text


def test_refusals_are_400_with_the_reason(client) -> None:
    r = client.get("/handout?example=05_neuron&steps=16")
    assert r.status_code == 400 and "goes past the last step (15)" in r.text
    r = client.get("/handout?source=import%20os")
    assert r.status_code == 400 and "line 1, column 1" in r.text
    assert client.get("/handout").status_code == 400
    assert client.get("/handout?example=05_neuron&paper=a3").status_code == 422


def _trace(source: str) -> dict:
    status, body = trace_response(source, None, None, Limits())
    assert status == 200
    return json.loads(body)


def test_pages_and_drawing_time_are_bounded_and_what_is_left_out_is_said() -> None:
    # a loop of 70 multiplications: 140 forward steps, 141 backward
    trace = _trace("import torch\nx = torch.tensor(1.0, requires_grad=True)\ny = x\n"
                   "for i in range(70):\n    y = y * 1.01\ny.backward()\n")
    n = len(trace["steps"])
    assert n > MAX_PAGES
    built = build_handout(trace, list(range(n)))
    assert [p.number for p in built.pages] == list(range(1, MAX_PAGES + 1))
    assert built.left_out.startswith(f"Steps {MAX_PAGES + 1}–{n} are not in this handout")
    # past the time limit the pages drawn so far are kept (at least one), the rest named
    quick = build_handout(trace, [0, 5, 6, 7], max_seconds=0.0)
    assert [p.number for p in quick.pages] == [1]
    assert quick.left_out.startswith("Steps 6–8 are not in this handout (drawing them took "
                                     "longer than 0 s)")
