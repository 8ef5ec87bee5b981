"""The notebook view: a standalone player in an `<iframe srcdoc>`, and the functions behind it.

Tracing goes through app.runner.trace_response (the same limits and error shapes as the
server's /api/trace), so a program refused here is refused there with the same message.
"""

from __future__ import annotations

import html
import json
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from chainrule.app.runner import dumps, trace_response
from chainrule.app.standalone import build_html
from chainrule.engine.limits import Limits

if TYPE_CHECKING:
    from chainrule.engine.trace import Trace

DEFAULT_HEIGHT = 520
MAX_HEIGHT = 4000     # px: a player taller than this scrolls inside its cell


class RefusedProgram(ValueError):
    """The program was refused before it ran (syntax, a construct outside the language)."""

    def __init__(self, error: dict) -> None:
        self.error = error
        self.message = str(error.get("message") or "the program was refused")
        self.line = error.get("line")
        self.col = error.get("col")
        super().__init__(self.where("<snippet>"))

    def where(self, filename: str) -> str:
        """`file:line:col: message`, the form compilers and editors understand."""
        loc = filename
        if self.line:
            loc += f":{self.line}:{self.col or 1}"
        return f"{loc}: {self.message}"


def trace(source: str, inputs: dict[str, float] | None = None, *, seed: int | None = None,
          limits: Limits | None = None) -> dict:
    """The trace of `source` as plain data (the body POST /api/trace answers). A program that
    fails while running still has a trace (its `error` says why); a refused one raises
    RefusedProgram."""
    status, body = trace_response(source, dict(inputs) if inputs else None, seed,
                                  limits or Limits())
    data = json.loads(body)
    if status != 200:
        raise RefusedProgram(data.get("error") or {})
    return data


def export_html(source: str, inputs: dict[str, float] | None = None, *, seed: int | None = None,
                step: int | None = None, theme: str = "auto", title: str | None = None,
                layout: str = "page") -> str:
    """One self-contained HTML file that plays `source` offline (see app/standalone.py)."""
    return build_html(trace(source, inputs, seed=seed), step=-1 if step is None else step,
                      theme=theme, title=title, layout=layout)


class Player:
    """What show() returns: Jupyter displays it through `_repr_html_`; `html` is the whole
    standalone document (None when the program was refused) and `save(path)` writes it."""

    def __init__(self, document: str | None, *, height: int = DEFAULT_HEIGHT,
                 error: RefusedProgram | None = None) -> None:
        self.html = document
        self.height = int(height)
        self.error = error

    def _repr_html_(self) -> str:
        if self.html is None:
            return refused_html(self.error)
        return iframe(self.html, height=self.height)

    def save(self, path: str | Path) -> Path:
        if self.html is None:
            raise self.error or RefusedProgram({})
        out = Path(path)
        out.write_text(self.html, encoding="utf-8")
        return out


def show(source: str, inputs: dict[str, float] | None = None, *, seed: int | None = None,
         step: int | None = None, height: int = DEFAULT_HEIGHT, theme: str = "auto",
         title: str | None = None) -> Player:
    """The player for `source`, opening at `step` (None: the start). A refused program shows
    its error message in the cell instead of raising."""
    try:
        document = export_html(source, inputs, seed=seed, step=step, theme=theme, title=title,
                               layout="compact")
    except RefusedProgram as e:
        return Player(None, height=height, error=e)
    return Player(document, height=height)


def trace_html(t: Trace, *, step: int = -1, height: int = DEFAULT_HEIGHT) -> str:
    """Trace._repr_html_: the player for an engine Trace. The dict goes through the same JSON
    encoding as the server's answer, so the player reads exactly what it reads there."""
    data = json.loads(dumps(t.to_dict()))
    return iframe(build_html(data, step=step, layout="compact"), height=height)


def iframe(document: str, *, height: int = DEFAULT_HEIGHT) -> str:
    """`document` inside an iframe: its own CSS, ids and keys. `sandbox="allow-scripts"` gives
    it an opaque origin, so the player cannot reach the notebook (nor the notebook it). The
    player posts its content height (static/js/standalone.js) and the small script beside the
    iframe sizes it to that: no inner scroll. `height` is the size until then, and where a
    front end runs no scripts of the output."""
    frame_id = f"chainrule-{secrets.token_hex(6)}"
    sizing = (
        "(function(){var f=document.getElementById('FRAME');if(!f)return;"
        "window.addEventListener('message',function(e){var d=e.data;"
        "if(e.source!==f.contentWindow||!d||d.type!=='chainrule'||d.event!=='resize'||"
        "typeof d.height!=='number'||!(d.height>0))return;"
        "f.style.height=Math.ceil(Math.min(d.height,MAX))+'px';});})();"
    ).replace("FRAME", frame_id).replace("MAX", str(MAX_HEIGHT))
    return (f'<iframe id="{frame_id}" srcdoc="{html.escape(document, quote=True)}" '
            'sandbox="allow-scripts" title="chainrule player" '
            f'style="width: 100%; height: {int(height)}px; border: 1px solid #8884; '
            f'border-radius: 8px; display: block;"></iframe><script>{sizing}</script>')


def refused_html(error: RefusedProgram | None) -> str:
    """A refused program in a notebook cell: the message and where, as escaped text."""
    text = error.where("snippet") if error else "the program was refused"
    return ('<div role="alert" style="font-family: ui-monospace, monospace; padding: 10px 12px; '
            'border-left: 4px solid #c81e1e; background: #c81e1e14; white-space: pre-wrap;">'
            f'<strong>chainrule refused this program</strong>\n{html.escape(text)}</div>')
