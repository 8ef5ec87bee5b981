"""Where moved edge labels go (engine/edge_labels.py), read off the trace: on every gallery
example drawn without frames, each `label_at` point's labels (the widest local label any step
writes there, the shape above it) touch no box and no other edge's line, and the drawing is tall
enough to hold them. The page and the Python painter draw at these points
(tests/browser/test_edge_labels.py, tests/app/test_svg_export.py)."""

from __future__ import annotations

from pathlib import Path

from chainrule.engine.edge_labels import place_edge_labels
from chainrule.engine.text_metrics import text_width
from chainrule.engine.trace import trace_program

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "app" / "examples").glob("*.py"))


def rect_of(at: list, width: float) -> tuple:
    # the shape's baseline 4 px above the point (11 px text: 9 up), the local label's 13 px
    # below it (12 px text: 3 down), as both painters write them
    return (at[0] - width / 2, at[1] - 13, at[0] + width / 2, at[1] + 16)


def box_of(n: dict) -> tuple:
    return (n["x"] - n["w"] / 2, n["y"] - n["h"] / 2, n["x"] + n["w"] / 2, n["y"] + n["h"] / 2)


def overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def on_line(route: list, r: tuple) -> bool:
    """Whether a straight route passes through the rect (sampled every 2 px)."""
    (x0, y0), (x1, y1) = route[0], route[-1]
    n = max(1, int((abs(x1 - x0) + abs(y1 - y0)) // 2))
    return any(r[0] < x0 + (x1 - x0) * i / n < r[2] and r[1] < y0 + (y1 - y0) * i / n < r[3]
               for i in range(n + 1))


def test_moved_labels_touch_no_box_and_no_other_line():
    moved_in = []
    for path in EXAMPLES:
        t = trace_program(path.read_text()).to_dict()
        if t.get("collapsed") or not any(e.get("label_at") for e in t["edges"]):
            continue        # drawn in frames (the page routes those), or nothing moved
        moved_in.append(path.stem)
        check_moved_labels(t)
    assert len(moved_in) >= 10, moved_in     # the gallery exercises the placement


def check_moved_labels(t: dict) -> None:
    widest: dict[str, float] = {}
    for s in t["steps"] + ((t.get("forward_mode") or {}).get("steps") or []):
        if s.get("edge") and s.get("label"):
            widest[s["edge"]] = max(widest.get(s["edge"], 0), text_width(s["label"], 12.0))
    boxes = [box_of(n) for n in t["nodes"]]
    for e in t["edges"]:
        if not e.get("label_at"):
            continue
        r = rect_of(e["label_at"], widest[e["id"]])
        assert not any(overlap(r, b) for b in boxes), (e["id"], e["label_at"])
        assert r[3] <= t["layout"]["height"], (e["id"], t["layout"]["height"])
        for other in t["edges"]:
            if other["id"] != e["id"] and len(other["route"]) == 2:
                assert not on_line(other["route"], r), (e["id"], other["id"])


def node(nid: str, x: float, y: float, w: float, h: float) -> dict:
    return {"id": nid, "x": x, "y": y, "w": w, "h": h}


def test_a_box_under_the_ends_is_passed_and_the_drawing_grows():
    """Hand-made: a 30 px edge from `a` to `op` with a 100 px label, and a box `c` right under
    them. Below the ends is c (rows 60-100), above is the drawing's top: the labels go below c,
    18 px under its bottom, and the returned lowest y (for the drawing's height) holds them."""
    nodes = [node("a", 50, 20, 100, 40), node("op", 145, 20, 30, 20), node("c", 100, 80, 200, 40)]
    edges = [{"id": "e", "source": "a", "target": "op", "route": [[100, 20], [130, 20]]}]
    lowest = place_edge_labels(nodes, edges, [{"edge": "e", "label": "ḡ − softmax·Σḡ"}])
    assert edges[0]["label_at"] == [115.0, 118.0]      # c's bottom 100 + 18
    assert lowest == 118 + 16                           # the local label's bottom


def test_above_the_ends_when_that_is_nearer():
    """The same edge with room above and a tall box below: the nearer clear point is above the
    upper end (op's top 110 − 22 = 88), not past the box."""
    nodes = [node("a", 50, 140, 100, 40), node("op", 145, 140, 30, 60),
             node("c", 100, 260, 200, 160)]
    edges = [{"id": "e", "source": "a", "target": "op", "route": [[100, 140], [130, 140]]}]
    place_edge_labels(nodes, edges, [{"edge": "e", "label": "ḡ − softmax·Σḡ"}])
    assert edges[0]["label_at"] == [115.0, 88.0]
