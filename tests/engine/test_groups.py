"""Big graphs on the server (engine/groups.py): the collapsed view and the all-expanded layout."""

from __future__ import annotations

import random

import pytest
from chainrule.engine.groups import COLLAPSE_ABOVE, FRAME_TITLE, Box, arrange, frame_size
from chainrule.engine.trace import trace_program

from bench.programs import program_of_size


def overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Boxes as (centre x, centre y, w, h); touching edges do not count."""
    return (abs(a[0] - b[0]) * 2 < a[2] + b[2] - 0.2) and (abs(a[1] - b[1]) * 2 < a[3] + b[3] - 0.2)


def pairwise_disjoint(boxes: list[tuple[float, float, float, float]]) -> bool:
    order = sorted(boxes, key=lambda b: b[0] - b[2] / 2)
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            if b[0] - b[2] / 2 >= a[0] + a[2] / 2:
                break
            if overlaps(a, b):
                return False
    return True


@pytest.fixture(scope="module")
def big() -> dict:
    src, inputs = program_of_size(600)
    t = trace_program(src, inputs).to_dict()
    assert t["error"] is None and len(t["nodes"]) > COLLAPSE_ABOVE
    return t


def test_small_traces_have_no_collapsed_view():
    t = trace_program("import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x * x\n"
                      "y.backward()\n").to_dict()
    assert t["collapsed"] is None and t["layout"]["engine"] in ("dot", "layered")


def test_collapsed_view_has_one_box_per_group_and_one_edge_per_joined_pair(big):
    owner = {n["id"]: n["group"] or n["id"] for n in big["nodes"]}
    boxes = {b["id"]: b for b in big["collapsed"]["boxes"]}
    assert {i for i, b in boxes.items() if b["kind"] == "group"} == \
        {g["id"] for g in big["groups"]}
    assert {i for i, b in boxes.items() if b["kind"] == "node"} == \
        {n["id"] for n in big["nodes"] if n["group"] is None}
    want = {(owner[e["source"]], owner[e["target"]]) for e in big["edges"]
            if owner[e["source"]] != owner[e["target"]]}
    got = [(e["source"], e["target"]) for e in big["collapsed"]["edges"]]
    assert len(got) == len(set(got)) and set(got) == want
    assert pairwise_disjoint([(b["x"], b["y"], b["w"], b["h"]) for b in boxes.values()])
    for e in big["collapsed"]["edges"]:
        # cubic Bézier points, or two when the route is straight (engine/layout.plain_route)
        assert len(e["route"]) == 2 or (len(e["route"]) >= 4 and len(e["route"]) % 3 == 1)


def test_all_expanded_layout_keeps_nodes_apart_and_inside_their_groups(big):
    assert big["layout"]["engine"] == "groups"
    assert pairwise_disjoint([(n["x"], n["y"], n["w"], n["h"]) for n in big["nodes"]])
    groups = {g["id"]: g for g in big["groups"]}
    # the groups' boxes (each grown to its frame) do not overlap one another either
    frames = [(g["x"], g["y"] - FRAME_TITLE / 2, *frame_size(g["w"], g["h"]))
              for g in groups.values()]
    assert pairwise_disjoint(frames)
    for n in big["nodes"]:
        assert n["x"] - n["w"] / 2 >= 0 and n["x"] + n["w"] / 2 <= big["layout"]["width"]
        assert n["y"] - n["h"] / 2 >= 0 and n["y"] + n["h"] / 2 <= big["layout"]["height"]
    by_id = {n["id"]: n for n in big["nodes"]}
    for e in big["edges"]:   # every route runs from its source's box to its target's
        s, t = by_id[e["source"]], by_id[e["target"]]
        (x0, y0), (x1, y1) = e["route"][0], e["route"][-1]
        assert abs(x0 - s["x"]) <= s["w"] / 2 + 2 and abs(y0 - s["y"]) <= s["h"] / 2 + 2
        assert abs(x1 - t["x"]) <= t["w"] / 2 + 12 and abs(y1 - t["y"]) <= t["h"] / 2 + 12


def test_the_trace_validates_against_the_schema(big):
    from chainrule.app.schemas import TraceResponse
    TraceResponse.model_validate(big)


@pytest.mark.parametrize("seed", range(20))
def test_arrange_grows_boxes_without_overlaps(seed):
    rng = random.Random(seed)
    boxes = []
    x = 0.0
    for c in range(rng.randint(1, 6)):     # columns of boxes on one centre x, as dot's ranks
        w = rng.uniform(40, 200)
        x += w / 2 + rng.uniform(20, 60)
        y = 0.0
        for k in range(rng.randint(1, 6)):
            h = rng.uniform(20, 80)
            y += h / 2 + rng.uniform(5, 30)
            boxes.append(Box(f"b{c}_{k}", "group", x, y, rng.uniform(20, w), h))
            y += h / 2
        x += w / 2
    assert pairwise_disjoint([(b.x, b.y, b.w, b.h) for b in boxes])
    same, _, _ = arrange(boxes, {})
    assert same == {b.id: (round(b.x, 1), round(b.y, 1)) for b in boxes}
    grown = {b.id: (b.w + rng.uniform(0, 400), b.h + rng.uniform(0, 400))
             for b in boxes if rng.random() < 0.5}
    pos, width, height = arrange(boxes, grown)
    placed = [(*pos[b.id], *grown.get(b.id, (b.w, b.h))) for b in boxes]
    assert pairwise_disjoint(placed)
    assert all(p[0] + p[2] / 2 <= width and p[1] + p[3] / 2 <= height for p in placed)
    # left-to-right order of columns is kept
    for a in boxes:
        for b in boxes:
            if a.x + a.w / 2 <= b.x - b.w / 2:
                assert pos[a.id][0] < pos[b.id][0]
