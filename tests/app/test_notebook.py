"""The Python package: chainrule.trace / export_html / show, and a Trace in IPython.

What the iframe shows is checked in Chromium (tests/browser/test_standalone.py); here: the
srcdoc attribute holds exactly the standalone document, refusals render instead of raising, and
an engine Trace displays in IPython as its player.
"""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from chainrule.app.runner import trace_response
from chainrule.engine.limits import Limits

from chainrule import RefusedProgram, show, trace

ROOT = Path(__file__).resolve().parents[2]


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


# In a fresh interpreter: the shell starts first (as in Jupyter), then the user imports only the
# engine; chainrule's own import registers the display, and the notebook view loads on display.
IPYTHON_DISPLAY = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
from chainrule.engine.trace import trace_program
t = trace_program("x = torch.tensor(2.0, requires_grad=True)\\ny = x * x\\ny.backward()")
before = sorted(m for m in sys.modules if m.startswith(("chainrule.notebook", "chainrule.app")))
data, _ = shell.display_formatter.format(t)
print(json.dumps({"before": before, "html": data.get("text/html"),
                  "nodes": json.loads(json.dumps(t.to_dict()))["nodes"]}))
"""


def test_a_trace_displays_in_ipython_as_the_player_for_that_trace():
    out = subprocess.run([sys.executable, "-c", IPYTHON_DISPLAY], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["before"] == []          # tracing loaded neither the web app nor the notebook view
    frames = iframes(got["html"])
    assert len(frames) == 1
    holder = '<script type="application/json" id="chainrule-trace" data-step="-1">'
    doc = frames[0]["srcdoc"]
    raw = doc[doc.index(holder) + len(holder):doc.index("</script>", doc.index(holder))]
    assert json.loads(raw)["nodes"] == got["nodes"]


def test_several_players_are_independent_documents():
    a, b = show("y = x ** 2", inputs={"x": 1}), show("y = x ** 3", inputs={"x": 2})
    combined = a._repr_html_() + b._repr_html_()
    docs = [f["srcdoc"] for f in iframes(combined)]
    assert docs == [a.html, b.html] and a.html != b.html
