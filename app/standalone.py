"""The standalone export: one HTML file holding the player, its CSS and one trace.

The file plays offline (file://, a notebook iframe, an LMS that blocks iframes): the ES modules
are joined by app/bundle.py into one inline script, app.css is inlined, and the trace sits in a
`<script type="application/json">` element, escaped so that user source can never close it.
A Content-Security-Policy meta tag lets only that script (by its SHA-256) run and forbids every
request, so even a mistake in the escaping could not run injected code or reach the network.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache

from chainrule.app import __version__
from chainrule.app.bundle import bundle, strip_js
from chainrule.app.frame import clamp_step
from chainrule.app.runner import dumps
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chainrule.resources import static_dir, templates_dir

JS_DIR = static_dir() / "js"
CSS_PATH = static_dir() / "css" / "app.css"
PRINT_CSS_PATH = static_dir() / "css" / "print.css"   # Ctrl+P prints the current step only
ENTRY = JS_DIR / "standalone.js"
THEMES = ("auto", "light", "dark")
LAYOUTS = ("page", "compact")

_ENV = Environment(loader=FileSystemLoader(str(templates_dir())),
                   autoescape=select_autoescape(["html"]), keep_trailing_newline=True)


def build_html(trace: dict, *, step: int = -1, theme: str = "auto",
               title: str | None = None, layout: str = "page") -> str:
    """The standalone player for `trace` (a parsed /api/trace body), opening at `step`
    (-1: the start; clamped to the trace's steps) in `theme` ("auto" follows the viewer's
    system setting). `layout="compact"` (notebook cells) puts the player first, no header."""
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {theme!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    script, css = _assets(_asset_stamp())
    return _ENV.get_template("standalone.html").render(
        title=title or "chainrule player", theme=theme, layout=layout, version=__version__,
        step=clamp_step(trace, step), css=css, script=script,
        trace_json=json_for_script(trace), csp=content_security_policy(script))


def json_for_script(value: object) -> str:
    """JSON safe inside a <script> element. `<`, `>` and `&` occur only inside JSON strings,
    where their \\u escapes mean the same, so `</script>` and `<!--` cannot appear."""
    text = dumps(value).decode("utf-8")
    # U+2028/2029 are fine for JSON.parse; escaping them keeps the file friendly to old tools
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def content_security_policy(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
            "img-src data:; base-uri 'none'; form-action 'none'")


def _asset_stamp() -> tuple[tuple[str, int], ...]:
    """Modification times of the assets: the cached bundle is rebuilt when one changes."""
    files = [CSS_PATH, PRINT_CSS_PATH, *sorted(JS_DIR.glob("*.js"))]
    return tuple((f.name, f.stat().st_mtime_ns) for f in files)


@lru_cache(maxsize=2)
def _assets(stamp: tuple[tuple[str, int], ...]) -> tuple[str, str]:
    script = strip_js(bundle(ENTRY, JS_DIR))    # comments and indentation: ~20% of it
    css = minify_css(CSS_PATH.read_text(encoding="utf-8") + "\n"
                     + PRINT_CSS_PATH.read_text(encoding="utf-8"))
    # our own assets never contain these; if one ever did, the inline element would end early
    for text, closer in ((script, "</script"), (css, "</style")):
        if closer in text.lower() or "<!--" in text:
            raise ValueError(f"an inlined asset contains {closer!r} or '<!--'")
    return script, css


_CSS_TOKEN = re.compile(r'("(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\')|/\*.*?\*/', re.S)


def minify_css(css: str) -> str:
    """Comments out and indentation collapsed; strings are left exactly as they are."""
    no_comments = _CSS_TOKEN.sub(lambda m: m[1] or "", css)
    lines = (line.strip() for line in no_comments.splitlines())
    return "\n".join(line for line in lines if line)
