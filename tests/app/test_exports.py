"""The standalone HTML export: app/standalone.build_html and GET /api/export.html.

The exported file is read back the way a browser would find its parts: the trace is the text of
the `chainrule-trace` script element up to the first `</script`, the player script is the next
script element. The browser test (tests/browser/test_standalone.py) plays the file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from html import unescape

import pytest
from chainrule.app.gallery import EXAMPLES_DIR
from chainrule.app.permalink import ProgramState, encode
from chainrule.app.standalone import build_html

from chainrule import trace

SEED_1 = "01_seed_batch_cross_entropy"
PROBE = ('# </script><script>window.__pwn=1</script> <!-- <img src=x onerror="window.__pwn=2">\n'
         "print('</SCRIPT><script>window.__pwn=3</script>')\ny = x ** 2\ny.backward()\n")
RUNAWAY = ("import torch\na = torch.ones(200, 5000, requires_grad=True)\n"
           "b = torch.ones(5000, 200, requires_grad=True)\ns = (a @ b).sum()\n"
           + "s = s + (a @ b).sum()\n" * 139 + "s.backward()\n")
DATA = re.compile(r'<script type="application/json" id="chainrule-trace" data-step="(-?\d+)">'
                  r"(.*?)</script", re.S)
SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def parts(html: str) -> tuple[dict, int, str]:
    """(trace, start step, player script) as the browser's HTML parser would cut them."""
    m = DATA.search(html)
    assert m, "no trace element"
    scripts = SCRIPT.findall(html)
    assert len(scripts) == 1, "exactly one executable script"
    return json.loads(m[2]), int(m[1]), scripts[0]


def source_of(example: str) -> str:
    return (EXAMPLES_DIR / f"{example}.py").read_text(encoding="utf-8")


# ---------------------------------------------------------------- build_html


def test_user_source_cannot_close_the_trace_element_and_round_trips():
    t = trace(PROBE, {"x": 3.0})
    html = build_html(t, step=1)
    got, start, script = parts(html)
    assert got == t                        # the escaped JSON means exactly the same trace
    assert start == 1
    lowered = html.lower()
    # the only script closers are the two elements' own, and no comment opener at all
    assert lowered.count("</script") == 2 and "<!--" not in lowered
    assert "__pwn" not in script


def test_the_csp_allows_exactly_the_inlined_script():
    html = build_html(trace("y = x ** 2", {"x": 2.0}))
    _, _, script = parts(html)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)[1])
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "connect-src" not in csp   # no network at all


@pytest.mark.parametrize(("step", "want"), [(-1, -1), (2, 2), (10**9, "last"), (-5, -1)])
def test_the_start_step_is_clamped_to_the_trace(step, want):
    t = trace(source_of("03_seed_square"))
    _, start, _ = parts(build_html(t, step=step))
    assert start == (len(t["steps"]) - 1 if want == "last" else want)


@pytest.mark.parametrize("theme", ["auto", "light", "dark"])
def test_a_forced_theme_is_set_on_the_root_element(theme):
    html = build_html(trace("y = x ** 2"), theme=theme)
    root = re.search(r"<html[^>]*>", html)[0]
    assert ('data-theme="' in root) == (theme != "auto")
    if theme != "auto":
        assert f'data-theme="{theme}"' in root
    # the CSS those attributes select is inlined with the rest of app.css
    assert ":root[data-theme=dark]" in html


def test_a_bad_theme_or_layout_is_refused():
    with pytest.raises(ValueError, match="theme"):
        build_html(trace("y = x ** 2"), theme="neon")
    with pytest.raises(ValueError, match="layout"):
        build_html(trace("y = x ** 2"), layout="poster")


def test_the_title_is_escaped_and_the_footer_is_there():
    html = build_html(trace("y = x ** 2"), title="<b>lesson</b> & more")
    assert "<title>&lt;b&gt;lesson&lt;/b&gt; &amp; more</title>" in html
    assert "made with chainrule" in html


def test_seed_snippet_1_exports_under_200_kb():
    html = build_html(trace(source_of(SEED_1)))
    assert len(html.encode()) < 200_000


# ---------------------------------------------------------------- the route


def test_export_of_an_example(client):
    r = client.get("/api/export.html", params={"example": SEED_1, "step": 3, "theme": "dark"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="chainrule.html"'
    got, start, _ = parts(r.text)
    want = client.post("/api/trace", json={"source": source_of(SEED_1)}).json()
    assert got["nodes"] == want["nodes"] and got["steps"] == want["steps"]
    assert start == 3 and 'data-theme="dark"' in r.text


def test_export_from_source_with_inputs_and_seed(client):
    r = client.get("/api/export.html", params={
        "source": "y = x ** 2\ny.backward()", "inputs": json.dumps({"x": 3}), "seed": 4})
    assert r.status_code == 200
    got, _, _ = parts(r.text)
    assert got["inputs"] == {"x": 3.0}
    # y = x², so dy/dx = 2x = 6 at x = 3
    x = next(n for n in got["nodes"] if n.get("name") == "x")
    assert x["grad"]["data"] == 6.0


def test_export_from_a_permalink_code_keeps_its_step(client):
    code = encode(ProgramState(source=source_of("03_seed_square"), step=2))
    r = client.get("/api/export.html", params={"p": code})
    assert r.status_code == 200
    _, start, _ = parts(r.text)
    assert start == 2


@pytest.mark.parametrize("params", [
    {"p": "not-a-code"},
    {"p": "1.!!!!"},
    {"example": "no_such_example"},
    {"source": "y = (", "inputs": "{}"},
    {"source": "y = x", "inputs": "[1, 2]"},
    {"source": "y = x", "inputs": '{"x": "two"}'},
    {},
])
def test_bad_requests_are_400_json(client, params):
    r = client.get("/api/export.html", params=params)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["message"]


def test_a_refused_source_says_where(client):
    r = client.get("/api/export.html", params={"source": "y = 1\nz = (\n"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["line"] == 2 and "never closed" in err["message"]


def test_a_runaway_program_is_stopped_by_the_time_limit(tight_client):
    started = time.monotonic()
    r = tight_client.get("/api/export.html", params={"source": f"# {time.time_ns()}\n" + RUNAWAY})
    elapsed = time.monotonic() - started
    assert r.status_code == 200
    got, _, _ = parts(r.text)
    assert got["error"]["kind"] == "limit" and "time limit" in got["error"]["message"]
    assert elapsed < 0.5 + 5        # the pool's 0.5 s limit, plus generous start-up slack
