"""A printable handout of a trace: one page per step, the graph at that step, the narration and
the formulas, for a teacher to print on A4 or Letter (templates/handout.html,
static/css/handout.css).

Nothing here draws: the graph at each step is app/svg_export.py's picture of the display list
(without its caption), and the caption is that module's `caption()` of the same frame, set as
HTML text so it wraps to the page and prints at a readable size whatever the graph's width.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from chainrule.app.forward_view import opening_view
from chainrule.app.frame import frame
from chainrule.app.svg_export import PAD, caption, render_svg

MAX_PAGES = 120            # steps in one handout; past it the teacher chooses them (`steps=`)
MAX_SECONDS = 20.0         # drawing every step of a big trace stops here, and says so
MAX_STEPS_TEXT = 200       # characters of a `steps=` choice
PAPERS = ("a4", "letter")
# A graph wider than a portrait page's text (A4 less margins: 186 mm, ~700 CSS px) would be
# printed smaller than drawn; turned sideways (273 mm) most gallery graphs print near full size
# (the layout runs left to right: every gallery graph is 3–9 times as wide as tall).
PORTRAIT_WIDTH_PX = 700.0


class BadSteps(ValueError):
    """A `steps=` choice that names no step or is malformed; the message says which part."""


@dataclass
class Page:
    number: int                       # 1-based, as the player shows it ("Step 3 of 15")
    counter: str
    phase: str                        # "forward" | "backward" | "start"
    phase_label: str
    sentence: str
    note: str
    rows: list[tuple[str, str]]
    notes: list[str]
    svg: str


@dataclass
class Handout:
    source: str
    count: int
    pages: list[Page] = field(default_factory=list)
    landscape: bool = False           # pages turned sideways: the graph is wide
    left_out: str = ""                # why some chosen steps have no page ("" when none)
    error: str = ""                   # the program's error, if its run stopped at one


def parse_steps(text: str | None, count: int) -> list[int]:
    """0-based step indexes from a 1-based choice such as "1-3,7" (every step when empty), in
    the order of the trace, each once. Numbers past the last step are an error, not skipped:
    a teacher who asked for step 20 of 15 should hear it."""
    if text is None or not text.strip():
        return list(range(count))
    if len(text) > MAX_STEPS_TEXT:
        raise BadSteps(f"steps: at most {MAX_STEPS_TEXT} characters")
    chosen: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d{1,9})(?:\s*[-–]\s*(\d{1,9}))?", part)
        if not m:
            raise BadSteps(f"steps: {part!r} is not a step number or a range such as 2-5")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if lo < 1 or hi < lo:
            raise BadSteps(f"steps: {part!r} is not a range of steps (they count from 1)")
        if hi > count:
            raise BadSteps(f"steps: {part!r} goes past the last step ({count})")
        chosen.update(range(lo - 1, hi))
    return sorted(chosen)


_ID = re.compile(r'\b(id|aria-labelledby)="([^"]*)"|url\(#([\w-]+)\)|href="#([\w-]+)"')


def scoped_svg(svg: str, prefix: str) -> str:
    """One step's SVG, ready to sit inline beside the others: without its XML declaration, and
    with every id (and every reference to one) prefixed, since each picture names its arrow
    markers and nodes the same way and ids must be unique in a page."""
    svg = svg.split("?>", 1)[1].lstrip() if svg.startswith("<?xml") else svg

    def scope(m: re.Match) -> str:
        if m.group(1):
            ids = " ".join(f"{prefix}{i}" for i in m.group(2).split())
            return f'{m.group(1)}="{ids}"'
        if m.group(3):
            return f"url(#{prefix}{m.group(3)})"
        return f'href="#{prefix}{m.group(4)}"'

    return _ID.sub(scope, svg)


def build_handout(trace: dict, steps: list[int], theme: str = "light",
                  max_seconds: float = MAX_SECONDS) -> Handout:
    """The pages of `steps` (0-based indexes, as parse_steps gives), at most MAX_PAGES of them
    and as many as MAX_SECONDS draws."""
    trace = opening_view(trace)
    count = len(trace.get("steps") or [])
    out = Handout(source=str(trace.get("source") or ""), count=count)
    err = trace.get("error") or {}
    out.error = str(err.get("message") or "") if isinstance(err, dict) else ""
    lay = trace.get("layout") or {}
    width = lay.get("width") if isinstance(lay.get("width"), int | float) else 0.0
    out.landscape = width + 2 * PAD > PORTRAIT_WIDTH_PX
    chosen = steps[:MAX_PAGES]
    started = time.monotonic()
    for k in chosen:
        if out.pages and time.monotonic() - started > max_seconds:
            break
        f = frame(trace, k)
        cap = caption(trace, f)
        phase = f.phase if f.phase in ("forward", "backward") else "start"
        out.pages.append(Page(
            number=k + 1, counter=cap.counter, phase=phase, phase_label=cap.phase,
            sentence=cap.sentence, note=cap.note, rows=[r for r in cap.rows if r[1]],
            notes=[n for n in cap.notes if n],
            svg=scoped_svg(render_svg(trace, step=k, theme=theme, with_caption=False),
                           f"s{k + 1}-")))
    missing = [k + 1 for k in steps if k + 1 not in {p.number for p in out.pages}]
    if missing:
        why = (f"drawing them took longer than {max_seconds:g} s"
               if len(out.pages) < len(chosen) else
               f"a handout holds at most {MAX_PAGES} steps")
        out.left_out = (f"Steps {_ranges(missing)} are not in this handout ({why}): "
                        "choose them with steps=, e.g. steps=" + _ranges(missing[:MAX_PAGES])
                        .replace("–", "-").replace(" ", ""))
    return out


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] → "1–3, 7"."""
    parts: list[str] = []
    start = prev = None
    for n in numbers + [None]:
        if start is not None and (n is None or n != prev + 1):
            parts.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = None
        if n is not None and start is None:
            start = n
        prev = n
    return ", ".join(parts)
