"""The Python package: chainrule.trace / export_html / show, and Trace._repr_html_.

What the iframe shows is checked in Chromium (tests/browser/test_standalone.py); here: the
srcdoc attribute holds exactly the standalone document, refusals render instead of raising.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from chainrule.app.runner import trace_response
from chainrule.engine.limits import Limits
from chainrule.engine.trace import trace_program

from chainrule import RefusedProgram, show, trace


class Frames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.frames.append(dict(attrs))


def iframes(markup: str) -> list[dict[str, str | None]]:
    p = Frames()
    p.feed(markup)
    p.close()
    return p.frames


def test_trace_is_the_api_body():
    src = "y = x ** 2\ny.backward()"
    _, body = trace_response(src, {"x": 3.0}, None, Limits())
    ours, api = trace(src, {"x": 3}), json.loads(body)
    for t in (ours, api):
        t["layout"].pop("elapsed_ms")      # timing of this run, not part of the answer
    assert ours == api


def test_trace_raises_for_a_refused_program_with_where():
    with pytest.raises(RefusedProgram) as e:
        trace("y = 1\nz = (\n")
    assert e.value.line == 2 and e.value.where("a.py").startswith("a.py:2:")


def test_show_is_an_iframe_whose_srcdoc_is_the_standalone_document():
    player = show("y = x ** 2\ny.backward()", inputs={"x": 3}, step=2, height=600)
    frames = iframes(player._repr_html_())
    assert len(frames) == 1
    frame = frames[0]
    # the parser unescapes the attribute: it must give back the document byte for byte
    assert frame["srcdoc"] == player.html
    assert frame["sandbox"] == "allow-scripts"
    assert "height: 600px" in frame["style"]
    holder = '<script type="application/json" id="chainrule-trace" data-step="2">'
    assert holder in player.html and '"inputs":{"x":3.0}' in player.html


def test_a_refused_program_shows_its_message_instead_of_raising():
    player = show("y = (\n# <script>alert(1)</script>")
    out = player._repr_html_()
    assert iframes(out) == [] and player.html is None
    assert "snippet:1:5" in out and "never closed" in out
    assert "<script>" not in out


def test_trace_repr_html_is_the_player_for_that_trace():
    t = trace_program("x = torch.tensor(2.0, requires_grad=True)\ny = x * x\ny.backward()")
    frames = iframes(t._repr_html_())
    assert len(frames) == 1
    holder = '<script type="application/json" id="chainrule-trace" data-step="-1">'
    doc = frames[0]["srcdoc"]
    raw = doc[doc.index(holder) + len(holder):doc.index("</script>", doc.index(holder))]
    assert json.loads(raw)["nodes"] == json.loads(json.dumps(t.to_dict()))["nodes"]


def test_several_players_are_independent_documents():
    a, b = show("y = x ** 2", inputs={"x": 1}), show("y = x ** 3", inputs={"x": 2})
    combined = a._repr_html_() + b._repr_html_()
    docs = [f["srcdoc"] for f in iframes(combined)]
    assert docs == [a.html, b.html] and a.html != b.html
