"""One step of the player as a standalone SVG picture, for slides and print.

`render_svg(trace, step=k)` paints what the page's graph shows at step k and a caption below it:
the phase, "Step k of n", the step's narration and its caption rows (formulas as their plain-text
twins). Every text comes from the trace's display list (engine/display.py): cell texts, edge
labels, caption rows; app/frame.py is the player's frame (which nodes are shown, lit, and which
step brought each gradient). The page serialises its own live SVG; this painter serves the CLI,
the notebook and GET /api/export.svg. Text stays text (selectable, sharp at any size); fonts
are stacks that end in generic families; nothing is fetched (no scripts, images, fonts or links).

Colours come from static/css/app.css's `light-dark()` variables. Every element carries its colours
as presentation attributes (what any viewer understands) plus a `cr-*` role class; with theme
"auto" a `@media (prefers-color-scheme: dark)` rule per role repaints it in viewers that follow
the system's scheme.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from chainrule.app.forward_view import opening_view
from chainrule.app.frame import Frame, contribution_steps, frame
from chainrule.engine import node_size as ns
from chainrule.engine.display import block_size, line_of, mats_text, value_numbers
from chainrule.engine.node_size import shape_text

from chainrule.resources import static_dir

CSS = static_dir() / "css" / "app.css"
UI_FONT = ("Inter, 'Segoe UI', system-ui, -apple-system, Roboto, 'Helvetica Neue', Arial, "
           "'Noto Sans', 'DejaVu Sans', sans-serif")
MONO_FONT = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace"
CHAR = 0.6 * ns.FONT_PX                 # the monospace advance the layout was sized with
GUTTER = ns.GUTTER_CHARS * CHAR
PAD = 32.0                              # around the graph
MIN_WIDTH = 640.0
LEADER_GAP = 16.0                       # a moved edge label's leader ends this far above it
LEADER_UNDER = 19.0                     # ... or this far below it, for a label above its edge
CELL_BUDGET = 60_000                    # heat-map cells per picture; past it, frames only

# Colour roles: role → {property: css variable}. "mix:" entries are color-mix()es app.css uses.
ROLES: dict[str, dict[str, str]] = {
    "bg": {"fill": "graph-bg"},
    "dot": {"fill": "dot"},
    "panel": {"fill": "panel", "stroke": "line"},
    "box": {"fill": "panel", "stroke": "mix:tensor-stroke"},
    "box-op": {"fill": "soft", "stroke": "line"},
    "box-ghost": {"fill": "none", "stroke": "mix:tensor-stroke"},
    "box-fwd": {"fill": "fwd-soft", "stroke": "fwd"},
    "box-op-fwd": {"fill": "soft", "stroke": "fwd"},
    "box-bwd": {"fill": "panel", "stroke": "bwd"},
    "box-op-bwd": {"fill": "bwd-soft", "stroke": "bwd"},
    "box-err": {"stroke": "err"},
    "halo-fwd": {"stroke": "fwd"},
    "halo-bwd": {"stroke": "bwd"},
    "rule": {"stroke": "line"},
    "band": {"fill": "bwd-soft"},
    "ink": {"fill": "ink"},
    "muted": {"fill": "muted"},
    "grad": {"fill": "bwd-ink"},
    "err": {"fill": "err"},
    "edge": {"stroke": "edge"},
    "edge-fwd": {"stroke": "fwd"},
    "edge-bwd": {"stroke": "bwd"},
    "arrow": {"fill": "edge"},
    "arrow-fwd": {"fill": "fwd"},
    "arrow-bwd": {"fill": "bwd"},
    "edge-shape": {"fill": "muted", "stroke": "graph-bg"},
    "edge-local": {"fill": "bwd-ink", "stroke": "graph-bg"},
    "edge-leader": {"stroke": "bwd-ink"},
    "thumb-bg": {"fill": "graph-bg"},
    "thumb-frame": {"stroke": "line"},
    "pos": {"fill": "pos"},
    "neg": {"fill": "neg"},
    "nonfinite": {"fill": "err"},
    "pill-start": {"fill": "soft"},
    "pill-forward": {"fill": "fwd-soft"},
    "pill-backward": {"fill": "bwd-soft"},
    "pill-ink-start": {"fill": "muted"},
    "pill-ink-forward": {"fill": "fwd-ink"},
    "pill-ink-backward": {"fill": "bwd-ink"},
    "fwd": {"fill": "fwd"},
    "bwd": {"fill": "bwd"},
    "nabla": {"fill": "bwd-ink"},
    "code": {"fill": "ink"},
    "err-soft": {"fill": "err-soft", "stroke": "err"},
}

FALLBACK = {"light": {"ink": "#151a22"}, "dark": {"ink": "#e7eaf0"}}


@lru_cache(maxsize=1)
def palettes() -> dict[str, dict[str, str]]:
    """{"light": {var: colour}, "dark": {...}} read from app.css's `--var: light-dark(a, b)`."""
    try:
        css = CSS.read_text(encoding="utf-8")
    except OSError:
        css = ""
    out: dict[str, dict[str, str]] = {"light": {}, "dark": {}}
    for name, light, dark in re.findall(
            r"--([\w-]+):\s*light-dark\(\s*(#[0-9a-fA-F]{3,8})\s*,\s*(#[0-9a-fA-F]{3,8})\s*\)",
            css):
        out["light"][name] = light
        out["dark"][name] = dark
    for scheme in out:
        pal = out[scheme]
        for k, v in FALLBACK[scheme].items():
            pal.setdefault(k, v)
        for k in ("panel", "soft", "muted", "line", "edge", "graph-bg", "dot", "fwd", "fwd-ink",
                  "fwd-soft", "bwd", "bwd-ink", "bwd-soft", "err", "err-soft", "pos", "neg"):
            pal.setdefault(k, pal["ink"])
        # app.css: .node.tensor .box { stroke: color-mix(in srgb, var(--edge) 70%, var(--line)) }
        pal["mix:tensor-stroke"] = _mix(pal["edge"], pal["line"], 0.7)
    return out


def colour(pal: dict[str, str], var: str) -> str:
    """A role's colour: a palette entry, or a literal such as "none"."""
    return var if var == "none" else pal.get(var, pal["ink"])


def _mix(a: str, b: str, wa: float) -> str:
    ra, rb = _rgb(a), _rgb(b)
    return "#" + "".join(f"{round(x * wa + y * (1 - wa)):02x}" for x, y in zip(ra, rb,
                                                                                strict=True))


def _rgb(c: str) -> tuple[int, int, int]:
    h = c.lstrip("#")
    if len(h) in (3, 4):
        h = "".join(ch * 2 for ch in h[:3])
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


# ------------------------------------------------------------------------------------- XML text

_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(s: object) -> str:
    """Text content: XML specials as entities, characters XML cannot hold as U+FFFD, and CR
    as a character reference (a parser would otherwise turn CRLF into LF)."""
    t = _BAD_XML.sub("\ufffd", str(s))
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        "\r", "&#13;")


def xml_attr(s: object) -> str:
    return xml_text(s).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _num(x: float) -> str:
    """A coordinate: short, and never nan/inf (a broken layout must not break the XML)."""
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "0"
    t = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if t in ("-0", "") else t


class Out:
    """An SVG being written: elements as text, colours from one palette."""

    def __init__(self, theme: str) -> None:
        self.parts: list[str] = []
        self.pal = palettes()["dark" if theme == "dark" else "light"]

    def paint(self, role: str) -> str:
        props = ROLES[role]
        return f'class="cr-{role}"' + "".join(
            f' {prop}="{colour(self.pal, var)}"' for prop, var in props.items())

    def add(self, tag: str, attrs: dict[str, object] | None = None, role: str | None = None,
            text: str | None = None, cls: str = "") -> None:
        self.parts.append(self.open(tag, attrs, role, cls, close=text is None) +
                          (f"{xml_text(text)}</{tag}>" if text is not None else ""))

    def open(self, tag: str, attrs: dict[str, object] | None = None, role: str | None = None,
             cls: str = "", close: bool = False) -> str:
        a = []
        if role is not None:
            painted = self.paint(role)
            if cls:
                painted = painted.replace('class="', f'class="{cls} ', 1)
            a.append(painted)
        elif cls:
            a.append(f'class="{cls}"')
        for k, v in (attrs or {}).items():
            if v is None:
                continue
            a.append(f'{k}="{_num(v) if isinstance(v, int | float) else xml_attr(v)}"')
        return f"<{tag}{' ' if a else ''}{' '.join(a)}{'/>' if close else '>'}"

    def push(self, tag: str, attrs: dict[str, object] | None = None, role: str | None = None,
             cls: str = "") -> None:
        self.parts.append(self.open(tag, attrs, role, cls))

    def pop(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")


def dark_css() -> str:
    """The repaint for viewers whose system scheme is dark (theme "auto")."""
    dark = palettes()["dark"]
    rules = "".join(
        f".cr-{role}{{" + ";".join(f"{p}:{colour(dark, v)}" for p, v in props.items()) + "}"
        for role, props in ROLES.items())
    return f"@media (prefers-color-scheme: dark){{{rules}}}"


# --------------------------------------------------------------------------------- text widths

_NARROW = set("il.,:;'|!fjtrI()[]")
_WIDE = set("mwMW@%—…")


def ui_width(text: str, px: float) -> float:
    """A generous estimate of `text`'s width in a proportional UI font, for wrapping: advances
    of a wide one (DejaVu Sans), so narrower fonts only leave more room at the line ends."""
    w = 0.0
    for ch in text:
        if ch == " ":
            w += 0.33
        elif ch in _NARROW:
            w += 0.36
        elif ch in _WIDE:
            w += 1.0
        elif ch.isupper() or ch.isdigit():
            w += 0.72
        else:
            w += 0.63
    return w * px


def wrap(text: str, width_px: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy word wrap; a word wider than the line is cut."""
    lines: list[str] = []
    for para in str(text).split("\n"):
        line = ""
        for word in para.split(" "):
            trial = f"{line} {word}" if line else word
            if measure(trial) <= width_px or not line:
                line = trial
            else:
                lines.append(line)
                line = word
            while measure(line) > width_px and len(line) > 1:
                cut = max(1, int(len(line) * width_px / max(measure(line), 1.0)))
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


# ------------------------------------------------------------------------------------ geometry

def route_path(route: list) -> str:
    """Cubic Bézier route points p0 c1 c2 p1 … as a path (graph.js routePath)."""
    if not route or len(route) < 2:
        return ""
    pts = [f"{_num(q[0])},{_num(q[1])}" for q in route]
    if (len(route) - 1) % 3 != 0:
        return "M" + " L".join(pts)
    d = f"M{pts[0]}"
    for k in range(1, len(route) - 2, 3):
        d += f" C{pts[k]} {pts[k + 1]} {pts[k + 2]}"
    return d


def _route_samples(route: list) -> list[tuple[float, float]]:
    if (len(route) - 1) % 3 != 0:
        return [(float(q[0]), float(q[1])) for q in route]
    out = [(float(route[0][0]), float(route[0][1]))]
    for k in range(1, len(route) - 2, 3):
        p0, c1, c2, p1 = route[k - 1], route[k], route[k + 1], route[k + 2]
        for j in range(1, 9):
            t = j / 8
            u = 1 - t
            out.append(tuple(u ** 3 * p0[i] + 3 * u * u * t * c1[i] + 3 * u * t * t * c2[i]
                             + t ** 3 * p1[i] for i in (0, 1)))
    return out


def point_along(route: list, fraction: float) -> tuple[float, float]:
    """The point at `fraction` of the route's length (SVG getPointAtLength)."""
    if not route:
        return 0.0, 0.0
    pts = _route_samples(route)
    seg = [math.dist(a, b) for a, b in zip(pts, pts[1:], strict=False)]
    goal = sum(seg) * fraction
    for (a, b), length in zip(zip(pts, pts[1:], strict=False), seg, strict=True):
        if goal <= length and length > 0:
            t = goal / length
            return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        goal -= length
    return pts[-1]


# ---------------------------------------------------------------------------------- the graph

@dataclass
class Budget:
    cells: int = CELL_BUDGET


def draw_block(out: Out, lay: dict, x: float, y: float, which: str, cells: list[str],
               value: dict | None, budget: Budget, italic: bool = False) -> None:
    """One value block as the node's `block` says (scalar, table or heat-map thumbnail): the
    trace's cell texts, or the Value's numbers as a heat map's colours."""
    out.push("g", {"transform": f"translate({_num(x)},{_num(y)})"}, cls=f"block {which}")
    role = "grad" if which == "grad" else "ink"
    weight = {"font-weight": 500 if italic else 700, "font-style": "italic" if italic else None} \
        if which == "grad" else {}
    if lay["kind"] == "scalar":
        if cells:
            out.add("text", {"x": 0, "y": ns.LINE_PX - 4, **weight}, role, cells[0], cls="num")
    elif lay["kind"] == "table":
        cw = (ns.CELL_CHARS + 1) * CHAR
        for k, text in enumerate(cells[:lay["rows"] * lay["cols"]]):
            r, c = divmod(k, lay["cols"])
            out.add("text", {"x": (c + 1) * cw - CHAR * 0.5, "y": r * ns.LINE_PX + ns.LINE_PX - 4,
                             "text-anchor": "end", **weight}, role, text, cls="num")
    else:
        draw_thumb(out, lay, value_numbers(value) if value else [], budget)
    out.pop("g")


def draw_thumb(out: Out, lay: dict, nums: list, budget: Budget) -> None:
    out.add("rect", {"width": ns.THUMB_W, "height": ns.THUMB_H, "rx": 2}, "thumb-bg")
    rows, cols = lay["rows"], lay["cols"]
    cells = min(len(nums), rows * cols)
    if cells and cells <= budget.cells:
        budget.cells -= cells
        finite = [abs(v) for v in nums[:cells] if isinstance(v, int | float)]
        top = max(finite, default=0.0)
        cw, ch = ns.THUMB_W / cols, ns.THUMB_H / rows
        for k in range(cells):
            v = nums[k]
            r, c = divmod(k, cols)
            geo = {"x": c * cw, "y": r * ch, "width": cw + 0.05, "height": ch + 0.05}
            if isinstance(v, str):
                out.add("rect", geo, "nonfinite")
            else:
                op = 0.12 + 0.88 * (abs(v) / top) if top > 0 else 0.12
                out.add("rect", {**geo, "fill-opacity": f"{op:.3f}"}, "neg" if v < 0 else "pos")
    out.add("rect", {"width": ns.THUMB_W, "height": ns.THUMB_H, "rx": 2, "fill": "none"},
            "thumb-frame")


def draw_tensor(out: Out, trace: dict, n: dict, f: Frame, budget: Budget) -> None:
    nid = n["id"]
    w, h = float(n.get("w") or 0), float(n.get("h") or 0)
    shown = nid in f.shown
    lit = nid in f.lit
    bwd = f.phase == "backward"
    gr = f.grads.get(nid)
    shown_grad = trace["steps"][gr.step]["shown"] if gr else None
    error = f.error_node == nid
    out.push("g", {"data-node-id": nid, "data-kind": "tensor", "data-shown": str(shown).lower(),
                   "data-lit": "true" if lit else None,
                   "data-grad": line_of(shown_grad) if shown_grad else None,
                   "transform": f"translate({_num(n.get('x', 0) - w / 2)},"
                                f"{_num(n.get('y', 0) - h / 2)})",
                   "opacity": None if shown else (0.75 if error else 0.36)}, cls="node tensor")
    what = f"{n['name']} = {n['expr']}" if n.get("expr") and n.get("name") else (
        n.get("expr") or n.get("label", ""))
    out.add("title", text=what)
    if f.focus == nid:
        out.add("rect", {"x": -4, "y": -4, "width": w + 8, "height": h + 8, "rx": 10,
                         "fill": "none", "stroke-width": 3, "stroke-opacity": 0.35},
                "halo-bwd" if bwd else "halo-fwd")
    role = "box" if shown else "box-ghost"
    if lit:
        role = "box-bwd" if bwd else "box-fwd"
    box = {"width": w, "height": h, "rx": 6, "stroke-width": 2 if lit else 1.3,
           "stroke-dasharray": None if shown or error else "4 3"}
    if error:
        box["stroke-width"] = 2.5
    out.add("rect", box, role)
    if error:
        out.add("rect", {"width": w, "height": h, "rx": 6, "fill": "none", "stroke-width": 2.5},
                "box-err")
    base = ns.PAD_Y + ns.LINE_PX - 4
    constant = n.get("origin") == "constant"
    out.add("text", {"x": ns.PAD_X, "y": base, "font-weight": 400 if constant else 700},
            "ink", n.get("label", ""), cls="t-label")
    out.add("text", {"x": w - ns.PAD_X, "y": base, "text-anchor": "end", "font-size": 11},
            "muted", shape_text(n.get("shape") or []), cls="t-shape")
    top = ns.PAD_Y + ns.LINE_PX
    out.add("line", {"x1": 1, "x2": w - 1, "y1": top - 0.5, "y2": top - 0.5}, "rule")
    lay = n["block"]
    inner = w - 2 * ns.PAD_X - GUTTER
    lay_w, lay_h = block_size(lay)
    bx = ns.PAD_X + GUTTER + max(0.0, (inner - lay_w) / 2)
    if shown:          # the page hides a pending node's numbers (visibility: hidden)
        draw_block(out, lay, bx, top, "val", n.get("cells") or [], n.get("value"), budget)
    if n.get("requires_grad"):
        gy = top + lay_h + ns.GRAD_GAP
        if gr and shown:
            out.add("rect", {"x": 1, "y": gy - ns.GRAD_GAP / 2, "width": w - 2,
                             "height": lay_h + ns.GRAD_GAP / 2 + ns.PAD_Y - 1, "rx": 5},
                    "band", cls="grad-band")
        if shown:
            nab = {"x": bx - GUTTER, "y": gy + ns.LINE_PX - 4, "font-weight": 700}
            mark = trace["display"]["marks"]["grad"]
            if gr:
                out.add("text", nab, "nabla", mark, cls="nabla")
            else:
                out.add("text", {**nab, "fill-opacity": 0.45}, "muted", mark, cls="nabla")
            draw_block(out, lay, bx, gy, "grad", shown_grad["cells"] if shown_grad else [],
                       gr.value if gr else None, budget, italic=bool(gr and not gr.complete))
    if gr and not gr.complete:
        out.add("text", {"x": w, "y": -5, "text-anchor": "end", "font-family": UI_FONT,
                         "font-size": 11, "font-weight": 600}, "grad",
                f"{gr.count} of {gr.expected} paths", cls="paths-badge")
    if error:
        out.add("text", {"x": 0, "y": -5, "font-family": UI_FONT, "font-size": 11,
                         "font-weight": 700}, "err", "⚠ fails here", cls="error-badge")
    if n.get("flags"):
        flag_badge(out, n, h)
    out.pop("g")


def flag_badge(out: Out, n: dict, h: float) -> None:
    """NaN / inf in a node's value or gradient: a badge under its box (graph.js flagBadge)."""
    names = ["NaN" if f == "nan" else "inf" for f in n["flags"]]
    text = "⚠ " + " · ".join(names)
    w = 14 + len(text) * 6.6
    out.push("g", {"transform": f"translate(0,{_num(h + 4)})",
                   "data-flags": " ".join(n["flags"])}, cls="flag-badge")
    where = " and ".join(k for k, v in (("value", n.get("value")), ("gradient", n.get("grad")))
                         if v and v.get("nonfinite")) or "value"
    out.add("title", text=f"The {where} holds {' and '.join(names)}: not a finite number "
                          "(e.g. log(0), 0/0, overflow). Everything computed from it inherits it.")
    out.add("rect", {"width": w, "height": 16, "rx": 8, "stroke-width": 1}, "err-soft")
    out.add("text", {"x": w / 2, "y": 12, "text-anchor": "middle", "font-family": UI_FONT,
                     "font-size": 10.5, "font-weight": 700}, "err", text)
    out.pop("g")


def draw_op(out: Out, n: dict, f: Frame) -> None:
    nid = n["id"]
    w, h = float(n.get("w") or 0), float(n.get("h") or 0)
    shown = nid in f.shown
    lit = nid in f.lit
    error = f.error_node == nid
    out.push("g", {"data-node-id": nid, "data-kind": "op", "data-shown": str(shown).lower(),
                   "data-lit": "true" if lit else None,
                   "transform": f"translate({_num(n.get('x', 0) - w / 2)},"
                                f"{_num(n.get('y', 0) - h / 2)})",
                   "opacity": None if shown else 0.36}, cls="node op")
    title = f"{n.get('op')} — backward: {n['grad_fn']}" if n.get("grad_fn") else n.get("op")
    out.add("title", text=title or n.get("label", ""))
    role = "box-op" if shown else "box-ghost"
    if lit:
        role = "box-op-bwd" if f.phase == "backward" else "box-op-fwd"
    out.add("rect", {"width": w, "height": h, "rx": h / 2, "stroke-width": 2 if lit else 1.3,
                     "stroke-dasharray": None if shown else "4 3"}, role)
    if error:
        out.add("rect", {"width": w, "height": h, "rx": h / 2, "fill": "none",
                         "stroke-width": 2.5}, "box-err")
    out.add("text", {"x": w / 2, "y": h / 2 + 4, "text-anchor": "middle", "font-weight": 600},
            "ink", n.get("label", ""), cls="op-label")
    out.pop("g")


def draw_edges(out: Out, trace: dict, f: Frame, moved: set[str]) -> None:
    bwd = f.phase == "backward"
    out.push("g", cls="edges")
    for e in trace.get("edges") or []:
        shown = e["id"] in f.shown_edges
        lit = e["id"] in f.lit_edges
        role = ("edge-bwd" if bwd else "edge-fwd") if lit else "edge"
        marker = ("cr-arrow-bwd" if bwd else "cr-arrow-fwd") if lit else "cr-arrow"
        out.push("g", {"data-edge-id": e["id"], "data-shown": str(shown).lower(),
                       "opacity": None if shown else 0.25}, cls="edge")
        out.add("path", {"d": route_path(e.get("route") or []), "fill": "none",
                         "stroke-width": 2.4 if lit else 1.4,
                         "stroke-dasharray": None if shown else "4 4",
                         "marker-end": f"url(#{marker})"}, role, cls="edge-line")
        at = e.get("label_at")
        if shown and e["id"] in moved:
            # its labels moved below or above its end boxes: a dotted leader from the edge's
            # middle, under the boxes as the edge is (graph.js placeShape)
            mid = point_along(e["route"], 0.5)
            end = leader_end(mid, at)
            if end is not None:
                out.add("line", {"x1": mid[0], "y1": mid[1], "x2": end[0], "y2": end[1],
                                 "stroke-width": 1, "stroke-dasharray": "2 3",
                                 "stroke-opacity": 0.7}, "edge-leader", cls="edge-leader")
        out.pop("g")
    out.pop("g")


def draw_edge_labels(out: Out, trace: dict, f: Frame, moved: set[str]) -> None:
    halo = {"stroke-width": 4, "stroke-linejoin": "round", "paint-order": "stroke"}
    out.push("g", cls="edge-labels")
    for group in twin_groups(trace):
        for k, e in enumerate(group):
            if e["id"] not in f.shown_edges:
                continue                    # the page hides a pending edge's labels
            route = e.get("route") or []
            lit = e["id"] in f.lit_edges
            shape = shape_text(e["shape"]) if e.get("shape") and not k else ""
            cramped = is_cramped(route, shape)
            s = f.locals.get(e["id"])
            if not (shape and (lit or not cramped)) and s is None:
                continue                    # nothing to write on this edge
            out.push("g", {"data-edge-id": e["id"], "data-lit": "true" if lit else None},
                     cls="edge-label")
            # an edge too short for its label: the trace's point below its ends
            at = tuple(e["label_at"]) if e.get("label_at") else None
            p = at or point_along(route, (k + 1) / (len(group) + 1) if len(group) > 1 else 0.5)
            edge_mid = point_along(route, 0.5) if len(group) > 1 or at else p
            if shape and (lit or not cramped):
                # at the trace's point with its local label (or lit on an edge too short for
                # it), else on the edge (graph.js placeShape)
                mid = at if e["id"] in moved else edge_mid
                out.add("text", {"x": mid[0], "y": mid[1] - 4, "text-anchor": "middle",
                                 "font-size": 10, **halo}, "edge-shape", shape, cls="edge-shape")
            if s is not None:
                out.add("text", {"x": p[0], "y": p[1] + 13, "text-anchor": "middle",
                                 "font-size": 12 if lit else 11, "font-weight": 700,
                                 "fill-opacity": None if lit else 0.85, **halo},
                        "edge-local", s["label"], cls="edge-local")
            out.pop("g")
    out.pop("g")


def is_cramped(route: list, shape: str) -> bool:
    """An edge shorter than its shape label: the label shows only while the edge is lit."""
    room = math.dist(route[0], route[-1]) if len(route) >= 2 else 0.0
    return room < max(len(shape) * 6, 22) + 6


def twin_groups(trace: dict) -> list[list[dict]]:
    """Edges by their two ends: parallel edges (`a * a`) spread their labels; only the first
    writes the shape."""
    twins: dict[tuple[str, str], list[dict]] = {}
    for e in trace.get("edges") or []:
        twins.setdefault((e["source"], e["target"]), []).append(e)
    return list(twins.values())


def moved_labels(trace: dict, f: Frame) -> set[str]:
    """The edges that write their labels at their `label_at` point at this frame: beside
    their local label, or lit on an edge too short for their shape (graph.js placeShape)."""
    moved = set()
    for group in twin_groups(trace):
        for k, e in enumerate(group):
            if not e.get("label_at") or len(e.get("route") or []) < 2:
                continue
            shape = shape_text(e["shape"]) if e.get("shape") and not k else ""
            if e["id"] in f.locals or (e["id"] in f.lit_edges and is_cramped(e["route"], shape)):
                moved.add(e["id"])
    return moved


def leader_end(edge: tuple, label: tuple) -> tuple[float, float] | None:
    """Where a moved label's leader from the edge's middle stops (graph.js leaderEnd): above
    the shape over a label below the edge, under the local label of one above it."""
    if label[1] - LEADER_GAP - edge[1] > 6:
        return label[0], label[1] - LEADER_GAP
    if edge[1] - (label[1] + LEADER_UNDER) > 6:
        return label[0], label[1] + LEADER_UNDER
    return None


def draw_defs(out: Out) -> None:
    out.push("defs")
    for mid, role in (("cr-arrow", "arrow"), ("cr-arrow-fwd", "arrow-fwd"),
                      ("cr-arrow-bwd", "arrow-bwd")):
        out.push("marker", {"id": mid, "viewBox": "0 0 10 10", "refX": 9, "refY": 5,
                            "markerWidth": 9, "markerHeight": 9, "orient": "auto-start-reverse",
                            "markerUnits": "userSpaceOnUse"})
        out.add("path", {"d": "M0,1 L10,5 L0,9 z"}, role)
        out.pop("marker")
    out.push("pattern", {"id": "cr-dots", "width": 18, "height": 18,
                         "patternUnits": "userSpaceOnUse"})
    out.add("circle", {"cx": 9, "cy": 9, "r": 1}, "dot")
    out.pop("pattern")
    out.pop("defs")


# -------------------------------------------------------------------------------- the caption

@dataclass
class Caption:
    counter: str
    phase: str
    sentence: str
    note: str = ""
    rows: list[tuple[str, str]] = field(default_factory=list)   # (label, plain text)
    notes: list[str] = field(default_factory=list)              # under the rows, no label
    mats: dict[int, list] = field(default_factory=dict)   # row index → its matrices, painted
    grad_legend: str = ""   # the legend's entry for a tensor's second row (display.marks)


def caption(trace: dict, f: Frame) -> Caption:
    """What narration.js shows beside the graph, as plain text: the step's sentence and note,
    its caption rows (a formula as its plain-text twin, a sum of paths as its chips)."""
    counter = ("No steps" if not f.count else f"{f.count} steps ahead" if f.index < 0
               else f"Step {f.index + 1} of {f.count}")
    phase = {"start": "Start", "forward": "Forward"}.get(f.phase, "Backward")
    display = trace.get("display") or {}
    marks = display["marks"]
    legend = f"{marks['grad']} {marks['grad_word']}"
    step = f.step
    if step is None:
        return Caption(counter, phase, display.get("start", ""), grad_legend=legend)
    labels = display.get("rows") or {}
    nodes = {n["id"]: n for n in trace.get("nodes") or []}
    cap = Caption(counter, phase, step.get("narration") or "", step.get("note") or "",
                  grad_legend=legend)
    bodies = display.get("bodies") or {}
    rows = step.get("rows")
    if rows is None:
        rows = (display.get("default_rows") or {}).get(step.get("kind"), [])
    for entry in rows:
        # a row is its kind alone (its body in display.bodies) or [kind, body]
        kind, body = (entry, bodies.get(entry)) if isinstance(entry, str) else entry
        label = labels.get(kind, "")
        if body is None:
            cap.notes.append(label)
        elif isinstance(body, str):
            cap.rows.append((label, body))
        elif "math" in body:
            cap.rows.append((label, _formula(step.get(body["math"]))))
        elif "op" in body:
            op = nodes.get(step.get(body["op"]))
            forms = display.get("operation") or {}
            form = forms.get("recorded" if op and op.get("grad_fn") else "plain", "{op}")
            cap.rows.append((label, form.format(op=op.get("op"), grad_fn=op.get("grad_fn"))
                             if op else ""))
        elif "node" in body:
            cap.rows.append((label, line_of(nodes.get(step.get(body["node"])))))
        elif "sum" in body:
            cap.rows.append((label, _sum_text(trace, step, body["sum"])))
        elif "mats" in body:
            cap.mats[len(cap.rows)] = body["mats"]
            cap.rows.append((label, mats_text(body["mats"])))
    if step.get("kind") == "error":
        # the page shows these in its error box, beside the graph
        if step.get("message"):
            cap.rows.append(("Error", str(step["message"])))
        for hint in step.get("hints") or []:
            cap.rows.append(("How to fix it", str(hint)))
    return cap


def _formula(formula: dict | None) -> str:
    if not formula:
        return ""
    return str(formula.get("text") or formula.get("latex") or "")


def _sum_text(trace: dict, step: dict, total: str) -> str:
    """3 + 3 + … = 4 so far: the chips so far, one … per path still to come, the total."""
    parts = [s.get("chip") or "" for s in contribution_steps(trace, step["index"])]
    parts += ["…"] * max(0, (step.get("expected") or 0) - len(parts))
    return " + ".join(parts) + " = " + total


def draw_caption(out: Out, cap: Caption, phase: str, x0: float, y0: float, width: float,
                 ) -> float:
    """The caption panel from y0; returns its height."""
    y = y0 + 26
    pill = f"{'◆' if phase == 'backward' else '●' if phase == 'forward' else '■'} {cap.phase}"
    pw = ui_width(pill, 13) * 1.12 + 24   # bold text: a little wider
    out.add("rect", {"x": x0, "y": y - 15, "width": pw, "height": 22, "rx": 11},
            f"pill-{phase}")
    out.add("text", {"x": x0 + 11, "y": y, "font-size": 13, "font-weight": 650},
            f"pill-ink-{phase}", pill, cls="phase")
    out.add("text", {"x": x0 + pw + 12, "y": y, "font-size": 13}, "muted", cap.counter,
            cls="counter")
    legend_x = x0 + width
    for text, role in ((cap.grad_legend, "nabla"), ("◆ backward", "bwd"), ("● forward", "fwd")):
        out.add("text", {"x": legend_x, "y": y, "font-size": 12, "text-anchor": "end"}, role,
                text, cls="legend")
        legend_x -= ui_width(text, 12) + 16
    y += 30
    size, lh = 17.0, 25.0
    for line in wrap(cap.sentence, width, lambda s: ui_width(s, size)):
        out.add("text", {"x": x0, "y": y, "font-size": size}, "ink", line, cls="narration")
        y += lh
    # the page's bold note ("w1.grad = 1."), on its own line here
    for line in wrap(cap.note, width, lambda s: ui_width(s, size) * 1.1) if cap.note else []:
        out.add("text", {"x": x0, "y": y, "font-size": size, "font-weight": 700}, "grad", line,
                cls="narration leaf-note")
        y += lh
    mono = lambda s: len(s) * 0.6 * 14  # noqa: E731 - a measure for wrap
    for k, (label, body) in enumerate(cap.rows):
        if not body:
            continue
        y += 8
        out.add("text", {"x": x0, "y": y, "font-size": 12, "font-weight": 600}, "muted", label,
                cls="f-label")
        y += 20
        if k in cap.mats:
            y = draw_mats(out, cap.mats[k], x0, y - 14, width) + 18
            continue
        lines = wrap(body, width, mono)
        if len(lines) > 4:
            lines = lines[:3] + [lines[3][:max(1, len(lines[3]) - 1)] + "…"]
        for line in lines:
            out.add("text", {"x": x0, "y": y, "font-size": 14, "font-family": MONO_FONT},
                    "code", line, cls="f-text")
            y += 20
    for note in cap.notes:
        y += 8
        for line in wrap(note, width, lambda s: ui_width(s, 13)):
            y += 18
            out.add("text", {"x": x0, "y": y, "font-size": 13, "font-style": "italic"}, "muted",
                    line, cls="f-note")
        y += 4
    return y - y0 + 10


MAT_CHAR = 0.6 * 12     # the monospace advance of a matrix's 12 px text
MAT_LINE = 16.0


def draw_mats(out: Out, items: list, x0: float, top: float, width: float) -> float:
    """A `mats` row (narration.js matsBlock): matrices left to right with the operators between,
    onto a new line when the width is used up. Returns the bottom of the last line."""
    x, line_h = x0, 0.0
    for it in items:
        if isinstance(it, str):
            w, h = len(it) * MAT_CHAR, MAT_LINE * 2
        else:
            cols = [max(len(r[c]) for r in it["rows"] if c < len(r))
                    for c in range(max(len(r) for r in it["rows"]))]
            head = f"{it['label']} {it['shape']}"
            w = max(sum((n + 1.5) * MAT_CHAR for n in cols), len(head) * MAT_CHAR * 0.96)
            h = MAT_LINE * (1 + len(it["rows"]))
        if x > x0 and x + w > x0 + width:
            x, top, line_h = x0, top + line_h + 8, 0.0
        if isinstance(it, str):
            out.add("text", {"x": x, "y": top + MAT_LINE * 1.75, "font-size": 12,
                             "font-family": MONO_FONT}, "muted", it, cls="f-op")
        else:
            out.add("text", {"x": x, "y": top + MAT_LINE - 4, "font-size": 11.5}, "muted",
                    it["label"] + " " + it["shape"], cls="mat-head")
            y_rows = top + MAT_LINE
            out.add("rect", {"x": x, "y": y_rows + 1, "width": w, "height":
                             MAT_LINE * len(it["rows"]) - 2, "rx": 3, "fill": "none",
                             "stroke-width": 1.2}, "rule")
            for r, cells in enumerate(it["rows"]):
                cx = x
                for c, cell in enumerate(cells):
                    cx += (cols[c] + 1.5) * MAT_CHAR
                    out.add("text", {"x": cx - 0.75 * MAT_CHAR, "y": y_rows + (r + 1) * MAT_LINE
                                     - 4, "font-size": 12, "font-family": MONO_FONT,
                                     "text-anchor": "end"}, "code", cell, cls="mat-cell")
        x += w + 10
        line_h = max(line_h, h)
    return top + line_h


def _caption_height(cap: Caption, width: float) -> float:
    scratch = Out("light")
    return draw_caption(scratch, cap, "start", 0.0, 0.0, width)


# ------------------------------------------------------------------------------------- render

def render_svg(trace: dict, *, step: int = -1, theme: str = "auto",
               with_caption: bool = True) -> str:
    """The graph at `step` (clamped into [-1, steps - 1]; -1 is the start) with its caption, as
    one SVG document. theme: "light", "dark", or "auto" (light, dark where the viewer's system
    prefers it). with_caption=False: the graph alone (the handout sets the caption as HTML)."""
    theme = theme if theme in ("light", "dark", "auto") else "auto"
    trace = opening_view(trace)
    f = frame(trace, step)
    nodes = trace.get("nodes") or []
    lay = trace.get("layout") or {}
    gw = _finite(lay.get("width"))
    gh = _finite(lay.get("height")) if nodes else 80.0
    width = max(gw + 2 * PAD, MIN_WIDTH)
    graph_h = gh + 2 * PAD + 8
    cap = caption(trace, f)
    cap_h = _caption_height(cap, width - 2 * PAD) if with_caption else 0.0
    height = graph_h + cap_h + 12 if with_caption else graph_h
    out = Out(theme)
    title = f"chainrule — {cap.counter} · {cap.phase}: {cap.sentence}"
    out.parts.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" '
        f'height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'font-family="{xml_attr(MONO_FONT)}" font-size="12" role="img" '
        f'aria-labelledby="cr-title cr-desc" '
        f'data-step="{f.index}" data-steps="{f.count}" data-phase="{f.phase}" '
        f'data-theme="{theme}">')
    out.add("title", {"id": "cr-title"}, text=title)
    out.add("desc", {"id": "cr-desc"}, text=trace.get("source") or "")
    if theme == "auto":
        out.add("style", text=dark_css())
    draw_defs(out)
    out.add("rect", {"width": width, "height": graph_h}, "bg")
    out.add("rect", {"width": width, "height": graph_h, "fill": "url(#cr-dots)"})
    gx = (width - gw) / 2
    out.push("g", {"transform": f"translate({_num(gx)},{_num(PAD + 8)})"}, cls="graph")
    budget = Budget()
    moved = moved_labels(trace, f)
    draw_edges(out, trace, f, moved)
    out.push("g", cls="nodes")
    for n in nodes:
        if n.get("kind") == "op":
            draw_op(out, n, f)
        else:
            draw_tensor(out, trace, n, f, budget)
    out.pop("g")
    draw_edge_labels(out, trace, f, moved)
    out.pop("g")
    if not nodes:
        out.add("text", {"x": width / 2, "y": graph_h / 2, "text-anchor": "middle",
                         "font-family": UI_FONT, "font-size": 15}, "muted",
                "No tensors were recorded.")
    if not with_caption:
        out.pop("svg")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(out.parts) + "\n"
    out.add("rect", {"y": graph_h, "width": width, "height": height - graph_h,
                     "stroke-width": 0}, "panel")
    out.add("line", {"x1": 0, "x2": width, "y1": graph_h, "y2": graph_h}, "rule")
    out.push("g", {"font-family": UI_FONT}, cls="caption")
    draw_caption(out, cap, f.phase if f.phase in ("forward", "backward") else "start", PAD,
                 graph_h, width - 2 * PAD)
    out.add("text", {"x": width - PAD, "y": height - 10, "text-anchor": "end", "font-size": 11,
                     "fill-opacity": 0.7}, "muted", "chainrule", cls="brand")
    out.pop("g")
    out.pop("svg")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(out.parts) + "\n"


def _finite(x: object) -> float:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) and x > 0 else 0.0
