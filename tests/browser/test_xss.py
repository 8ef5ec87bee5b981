"""XSS probes in a real browser (issue #5): hostile strings placed everywhere a user's string
reaches the page — the program in the editor, print() output, error messages that quote the
program, the narration, the inspector dialog, the share dialogs, `?src=`, `?example=` and
permalinks (`/#p=`). Each probe must stay inert: `window.__pwn` stays undefined, no dialog
opens (alert/confirm/prompt), no element carries an inline handler or a `javascript:` URL, and
the string shows as text where the page shows it.

The `page` fixture (conftest.py) also fails a test on any console error, so a payload that the
CSP had to block (an inline handler that made it into the DOM) fails too; only the 400 that a
refused program's fetch logs is allowed where a probe is refused on purpose.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from chainrule.app.permalink import ProgramState, encode
from helpers import SETTLED, api_trace, seek, source_of

PAYLOADS = {
    "img-onerror": "<img src=x onerror=window.__pwn=1>",
    "script-close": "</script><script>window.__pwn=1</script>",
    "svg-onload": '"><svg onload=window.__pwn=1>',
    "javascript-url": "javascript:window.__pwn=1//",
    "template": "{{7*7}}${7*7}",
    "bidi": "\u202eevil\u202c \u2066x\u2069 \u200f",
}
REFUSED_400 = r"Failed to load resource: the server responded with a status of 400"

# Everything on the page that could run code from a string: inline handlers, javascript: URLs
# in links/sources/frames/forms, scripts without a src, srcdoc frames, <img src=x>.
SUSPECTS_JS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value.trim().toLowerCase();
      if (a.name.toLowerCase().startsWith('on')) found.push(`${el.tagName} ${a.name}`);
      if (['href', 'src', 'xlink:href', 'action', 'formaction', 'data'].includes(a.name)
          && v.startsWith('javascript:')) found.push(`${el.tagName} ${a.name}=${v}`);
      if (a.name === 'srcdoc') found.push(`${el.tagName} srcdoc`);
    }
    if (el.tagName === 'SCRIPT' && !el.src) found.push('inline script');
    if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') found.push('img src=x');
  }
  return found;
}"""


def literal(text: str) -> str:
    """`text` as a Python string literal written verbatim (no escapes: the raw characters,
    bidi controls included, stand in the program)."""
    quote_char = "'" if '"' in text else '"'
    assert quote_char not in text
    return quote_char + text + quote_char


def hostile_program(payload: str) -> str:
    """The payload in a comment, printed, and quoted by a runtime error on the last line."""
    return (f"# {payload}\nimport torch\nx = torch.ones(5, requires_grad=True)\n"
            f"y = (x * 2).sum()\nprint({literal(payload)})\n"
            f"z = torch.tensor([1.0], dtype={literal(payload)})\n")


def watch_dialogs(page) -> list[str]:
    dialogs: list[str] = []

    def on_dialog(d) -> None:
        dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()
    page.on("dialog", on_dialog)
    return dialogs


def assert_inert(page, dialogs: list[str]) -> None:
    page.wait_for_timeout(150)   # an <img onerror> or <svg onload> fires within a task or two
    assert page.evaluate("() => window.__pwn === undefined"), "a payload ran"
    assert dialogs == []
    assert page.evaluate(SUSPECTS_JS) == []


def run_in_editor(page, server_url: str, source: str) -> None:
    page.goto(f"{server_url}/?example=03_seed_square")
    page.wait_for_selector(SETTLED)
    page.fill("[data-testid=source]", source)
    page.click("[data-testid=run]")
    page.wait_for_function(
        "() => document.body.dataset.state === 'ready' || document.body.dataset.state === "
        "'error'")
    page.wait_for_function("(src) => document.querySelector('[data-testid=source]').value === "
                           "src", arg=source)


def text(page, selector: str) -> str:
    return page.locator(selector).first.text_content() or ""


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_program_output_and_error_messages_show_payloads_as_text(page, server_url, payload):
    dialogs = watch_dialogs(page)
    source = hostile_program(payload)
    status, trace = api_trace(server_url, source)
    assert status == 200 and trace["error"]["kind"] != "internal"
    message = trace["error"]["message"]
    run_in_editor(page, server_url, source)
    page.wait_for_selector("body[data-state=error]")
    assert page.input_value("[data-testid=source]") == source
    # the last step is the error (the box shows from there, issue 14), and the narration says
    # it in the program's words
    seek(page, len(trace["steps"]) - 1)
    page.wait_for_selector("[data-testid=error]:not([hidden])")
    assert text(page, "[data-role=stdout] pre") == payload + "\n"
    assert message in text(page, "[data-testid=error]")
    narration = text(page, "[data-testid=narration]")
    assert trace["steps"][-1]["narration"] == narration and message in narration
    assert_inert(page, dialogs)


@pytest.mark.allow_console(REFUSED_400)
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_a_refused_program_quotes_its_source_as_text(page, server_url, payload):
    """A payload written as code: refused before running (400), and the message under the
    editor (which may quote the offending text) shows exactly what the server said."""
    dialogs = watch_dialogs(page)
    source = f"y = {payload}\n"
    status, body = api_trace(server_url, source)
    assert status == 400
    run_in_editor(page, server_url, source)
    box = page.locator("[data-testid=editor-error]")
    box.wait_for(state="visible")
    assert body["error"]["message"] in (box.text_content() or "")
    assert_inert(page, dialogs)


@pytest.mark.allow_console(REFUSED_400)
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_src_and_example_query_parameters(page, server_url, payload):
    dialogs = watch_dialogs(page)
    page.goto(f"{server_url}/?src={quote(payload, safe='')}")
    page.wait_for_selector(SETTLED)
    assert page.input_value("[data-testid=source]") == payload
    assert_inert(page, dialogs)

    page.goto(f"{server_url}/?example={quote(payload, safe='')}")
    page.wait_for_selector(SETTLED)
    first = page.evaluate("() => document.querySelector('[data-testid=examples]').value")
    assert page.input_value("[data-testid=source]") == source_of(first)
    assert payload not in page.content() or payload == ""
    assert_inert(page, dialogs)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_permalinks_carry_payloads_as_text(page, server_url, payload):
    dialogs = watch_dialogs(page)
    source = hostile_program(payload)
    code = encode(ProgramState(source=source))
    page.goto(f"{server_url}/#p={code}")
    page.wait_for_selector(SETTLED)
    page.wait_for_function("(src) => document.querySelector('[data-testid=source]').value === "
                           "src", arg=source)
    page.locator("[data-role=stdout] pre").wait_for(state="visible")
    # printed from the step that prints it (issue 14): the last step shows it all
    seek(page, int(page.get_attribute("[data-testid=scrubber]", "max")))
    assert text(page, "[data-role=stdout] pre") == payload + "\n"
    assert_inert(page, dialogs)


def test_share_dialogs_and_inspector_after_a_hostile_program(page, server_url):
    """The share and embed dialogs show links and an <iframe> snippet built from the program;
    the inspector titles a tensor by its label. All as text, nothing runs."""
    dialogs = watch_dialogs(page)
    payload = "".join(PAYLOADS.values())
    assert '"' in payload and "'" not in payload
    source = (f"import torch\nx = torch.randn(10, 5, requires_grad=True)\n"
              f"print('{payload}')\ny = (x * 2).sum()\n")
    run_in_editor(page, server_url, source)
    assert text(page, "[data-role=stdout] pre") == payload + "\n"
    for name in ("share", "embed"):
        button = page.locator(f"[data-testid={name}]")
        if button.count() == 0:
            continue
        button.click()
        dialog = page.locator("dialog[open]")
        dialog.wait_for(state="visible")
        shown = " ".join(dialog.locator("input, textarea").evaluate_all(
            "(els) => els.map((e) => e.value)"))
        # links and the <iframe> snippet carry the program encoded in the URL, never raw
        # (the snippet's own resize <script> is the embedder's, and names no payload)
        assert "#p=" in shown and "__pwn" not in shown and "{{7*7}}" not in shown
        page.keyboard.press("Escape")
        assert_inert(page, dialogs)
    _, trace = api_trace(server_url, source)
    x = next(n["id"] for n in trace["nodes"] if n["label"] == "x")
    page.click("[data-testid=fit]")
    thumb = page.locator(f"[data-node-id={x}] .block.val.inspectable")   # a heat map
    thumb.focus()
    page.keyboard.press("Enter")
    inspector = page.locator("dialog[data-role=inspector]")
    inspector.wait_for(state="visible")
    assert (inspector.locator("[data-role=inspector-title]").text_content() or "") \
        .startswith("x ")
    assert_inert(page, dialogs)
