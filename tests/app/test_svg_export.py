"""SVG export of one step (app/svg_export.py) through GET /api/export.svg, against the real app."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET

import pytest
from chainrule.app.frame import clamp_step, frame
from chainrule.app.gallery import GALLERY, examples
from chainrule.app.svg_export import CSS, palettes, render_svg
from chainrule.engine.display import cell_text, fmt, local_label
from chainrule.engine.trace import trace_program

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script> & ]]> \"q\" 'a' <!-- x -->"


def export(client, **params):
    return client.get("/api/export.svg", params=params)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def traced(source: str) -> dict:
    """A trace as the API serves it (through JSON, so tuples are lists)."""
    return json.loads(json.dumps(trace_program(source).to_dict()))


def source_of(example_id: str) -> str:
    return next(e["source"] for e in examples() if e["id"] == example_id)


def texts(root: ET.Element, cls: str) -> list[str]:
    return [el.text or "" for el in root.iter() if cls in (el.get("class") or "").split()]


def graph_numbers(root: ET.Element) -> dict:
    """Per node id the value and gradient cells shown, per edge id its local-derivative label."""
    out: dict = {}
    for g in root.iter(f"{SVG}g"):
        classes = (g.get("class") or "").split()
        if "node" in classes and g.get("data-shown") == "true":
            for which in ("val", "grad"):
                cells = [t.text for b in g.iter(f"{SVG}g")
                         if which in (b.get("class") or "").split()
                         for t in b.iter(f"{SVG}text") if t.text]
                if cells:
                    out[(g.get("data-node-id"), which)] = cells
        if "edge-label" in classes:
            local = [t.text for t in g.iter(f"{SVG}text") if "edge-local" in t.get("class", "")]
            if local:
                out[(g.get("data-edge-id"), "local")] = local
    return out


def no_outside_references(svg: str, root: ET.Element) -> None:
    assert not any(el.tag == f"{SVG}script" for el in root.iter())
    assert not any(el.tag in (f"{SVG}image", f"{SVG}foreignObject", f"{SVG}a")
                   for el in root.iter())
    for el in root.iter():
        for k, v in el.attrib.items():
            assert not k.lower().startswith("on"), k
            if k.endswith("href"):
                assert v.startswith("#"), (k, v)
            assert "url(" not in v or re.fullmatch(r"url\(#[\w-]+\)", v), (k, v)
    assert "@import" not in svg and "@font-face" not in svg and "http://" not in svg.replace(
        "http://www.w3.org/2000/svg", "")


@pytest.mark.parametrize("stem", [g[0] for g in GALLERY])
def test_every_example_exports_at_start_middle_and_end(client, stem):
    n = None
    for which in ("start", "mid", "last"):
        step = {"start": -1, "mid": (n or 0) // 2, "last": (n or 0) - 1}[which]
        r = export(client, example=stem, step=step)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("image/svg+xml")
        root = parse(r.text)
        if n is None:
            n = int(root.get("data-steps"))
            assert n > 0
        assert root.tag == f"{SVG}svg"
        assert int(root.get("data-step")) == step
        assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
        assert float(root.get("width")) > 0 and float(root.get("height")) > 0
        title = root.find(f"{SVG}title")
        assert title is not None and title.text.startswith("chainrule")
        counter = texts(root, "counter")
        assert counter == [f"{n} steps ahead" if step < 0 else f"Step {step + 1} of {n}"]
        no_outside_references(r.text, root)
        nodes = [g for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()]
        assert nodes, "every example draws its nodes"


def test_numbers_at_the_last_step_are_the_traces_final_gradients():
    # node["grad"] is what the LAST backward computed at each node (from the engine's own
    # backward, not the timeline the frame replays): at the end of a single-backward program
    # every node backward reached must show exactly that, formatted as the page formats cells.
    trace = traced(source_of("05_neuron"))
    last = len(trace["steps"]) - 1
    shown = graph_numbers(parse(render_svg(trace, step=last)))
    for n in trace["nodes"]:
        if n["kind"] == "tensor" and n.get("grad") is not None:
            assert shown[(n["id"], "grad")] == [cell_text(n["grad"]["data"])], n["label"]
            assert shown[(n["id"], "val")] == [cell_text(n["value"]["data"])], n["label"]
    # hand math for the neuron (micrograd's numbers): o = tanh(n), n ≈ 0.8814, do/dn = 1 -
    # tanh(n)**2 = 0.5; do/dw1 = 0.5 * x1 = 1, do/dx1 = 0.5 * w1 = -1.5
    by_label = {n["label"]: n["id"] for n in trace["nodes"] if n["kind"] == "tensor"}
    assert shown[(by_label["w1"], "grad")] == ["1"]
    assert shown[(by_label["x1"], "grad")] == ["-1.5"]
    assert shown[(by_label["n"], "grad")] == ["0.5"]
    # each backward edge shows its local derivative: ×w1 = ×-3 on x1's edge into the multiply
    x1_edge = next(s["edge"] for s in trace["steps"] if s["kind"] == "edge"
                   and s["to"] == by_label["x1"])
    assert shown[(x1_edge, "local")] == ["×-3"]


def test_start_shows_leaves_but_no_gradients_and_ghosts_the_rest():
    trace = traced(source_of("05_neuron"))
    root = parse(render_svg(trace, step=-1))
    shown = graph_numbers(root)
    assert not [k for k in shown if k[1] in ("grad", "local")]
    ghosts = {g.get("data-node-id") for g in root.iter(f"{SVG}g")
              if g.get("data-shown") == "false"}
    made = {s["output"] for s in trace["steps"] if s["kind"] == "op"}
    assert made and made <= ghosts                       # results are pending at the start
    leaves = {n["id"] for n in trace["nodes"] if n.get("origin") == "leaf"}
    assert leaves and not leaves & ghosts
    assert {k[0] for k in shown} == leaves
    # a pending node is an outline only (app.css: .node[data-shown=false] .box fill transparent)
    for g in root.iter(f"{SVG}g"):
        if g.get("data-shown") == "false" and "node" in g.get("class", ""):
            box = next(r for r in g.iter(f"{SVG}rect") if "cr-box-ghost" in r.get("class", ""))
            assert box.get("fill") == "none" and box.get("stroke-dasharray") == "4 3"
    assert ".cr-box-ghost{fill:none;" in render_svg(trace, step=-1, theme="auto")


def test_a_running_sum_shows_while_paths_are_still_arriving():
    trace = traced(source_of("08_fan_out"))
    partial = next(s for s in trace["steps"] if s["kind"] == "edge" and not s["complete"]
                   and s["count"] == 2)
    root = parse(render_svg(trace, step=partial["index"]))
    # hand math: b = a*a + a at a = 3; paths so far 1 (the add) + 3 (one side of a*a) = 4
    assert graph_numbers(root)[(partial["to"], "grad")] == ["4"]
    assert texts(root, "paths-badge") == ["2 of 3 paths"]
    assert any("1 + 3 + … = 4 so far" in t for t in texts(root, "f-text"))


def test_out_of_range_steps_clamp(client):
    n = len(traced(source_of("03_seed_square"))["steps"])
    high = export(client, example="03_seed_square", step=10**9)
    last = export(client, example="03_seed_square", step=n - 1)
    assert high.status_code == 200 and high.text == last.text
    assert parse(high.text).get("data-step") == str(n - 1)
    assert export(client, example="03_seed_square", step=-2).status_code == 422  # route bound
    trace = traced(source_of("03_seed_square"))
    assert render_svg(trace, step=-7) == render_svg(trace, step=-1)
    assert clamp_step(trace, 2.9) == 2 and clamp_step(trace, float("nan")) == -1
    assert clamp_step(trace, "3") == -1 and clamp_step(trace, True) == -1


def test_user_text_stays_text(client):
    source = ("import torch\n# " + HOSTILE + "\r\n"
              "x = torch.tensor(2.0, requires_grad=True)\ny = x ** 2\ny.backward()\n")
    r = export(client, source=source, step=2)
    assert r.status_code == 200, r.text
    root = parse(r.text)
    no_outside_references(r.text, root)
    assert root.find(f"{SVG}desc").text == source          # CR and all, parsed back exactly
    # a label, a name and narration holding markup (engine labels come from source text)
    trace = traced(source)
    t = next(n for n in trace["nodes"] if n.get("name") == "y")
    t["label"] = t["name"] = HOSTILE
    trace["steps"][-1]["narration"] = HOSTILE
    trace["source"] += "\x00\x07\ufffe"                    # not allowed in XML 1.0 at all
    svg = render_svg(trace, step=len(trace["steps"]) - 1)
    root = parse(svg)
    no_outside_references(svg, root)
    assert HOSTILE in texts(root, "t-label")
    assert " ".join(texts(root, "narration")).startswith(HOSTILE)
    assert root.find(f"{SVG}desc").text.endswith("\ufffd\ufffd\ufffd")


def test_themes_use_the_page_colours():
    trace = traced(source_of("03_seed_square"))
    light, dark = palettes()["light"], palettes()["dark"]
    css = CSS.read_text(encoding="utf-8")
    for name in ("ink", "panel", "fwd", "bwd", "bwd-ink", "graph-bg", "line", "edge"):
        assert f"--{name}: light-dark({light[name]}, {dark[name]})" in css
    auto = render_svg(trace, step=1)
    assert "@media (prefers-color-scheme: dark)" in auto and f"fill:{dark['ink']}" in auto
    bg = {t: parse(render_svg(trace, step=1, theme=t)).find(f"{SVG}rect").get("fill")
          for t in ("light", "dark", "auto")}
    assert bg == {"light": light["graph-bg"], "dark": dark["graph-bg"], "auto": light["graph-bg"]}
    assert "prefers-color-scheme" not in render_svg(trace, step=1, theme="dark")
    fonts = parse(auto).get("font-family")
    assert fonts.rstrip().endswith("monospace")
    assert "sans-serif" in auto


def test_fmt_and_local_labels_follow_the_display_rules():
    # the rules, written out: %.4g, "-0" is "0", cells longer than 8 characters drop to 3
    # significant digits (Python's g format, the exponent without "+" and leading zeros)
    assert [fmt(x) for x in (4.0, -0.0, 12345.0, 1e-5)] == ["4", "0", "1.234e+04", "1e-05"]
    assert [cell_text(x) for x in (-0.01234567, -0.001234567, 123456.0, 0.000123456, 1.5e-7)] == [
        "-0.01235", "-0.00123", "1.23e5", "0.000123", "1.5e-07"]
    assert cell_text("nan") == "nan" and fmt(None) == "—" and fmt(7, is_int=True) == "7"
    assert cell_text(-1.234e-05) == "-1.23e-5" and cell_text(12345678.9) == "1.23e7"
    # no local factor (a matrix product, a reshape): the rule in symbols, never "VJP" alone
    assert local_label(None, "Xᵀ·ḡ") == "Xᵀ·ḡ" and "VJP" not in local_label(None)
    assert local_label({"shape": [2], "data": [3.0, 3.0]}) == "×3"
    assert local_label({"shape": [2], "data": [1.0, 0.0]}) == "×local"


def test_frame_replays_the_steps():
    trace = traced(source_of("08_fan_out"))
    last = frame(trace, 99)
    assert last.index == len(trace["steps"]) - 1 and last.phase == "backward"
    assert all(g.complete for g in last.grads.values())
    # every edge step's edge keeps its local derivative; the latest step is the one remembered
    assert set(last.locals) == {s["edge"] for s in trace["steps"] if s["kind"] == "edge"}
    start = frame(trace, -1)
    assert start.kind == "start" and not start.lit and not start.grads


def test_non_finite_numbers_show_as_the_page_shows_them(client):
    source = ("import torch\nx = torch.tensor([0.0, 1.0, 2.0], requires_grad=True)\n"
              "y = torch.log(x)\nz = y.sum()\nz.backward()\n")
    r = export(client, source=source, step=10**6)
    root = parse(r.text)
    shown = graph_numbers(root)
    trace = traced(source)
    x = next(n["id"] for n in trace["nodes"] if n.get("name") == "x")
    y = next(n["id"] for n in trace["nodes"] if n.get("name") == "y")
    # hand math: log(0) = -inf, log(1) = 0, log(2) = 0.6931; d log(x)/dx = 1/x = inf, 1, 0.5
    assert shown[(y, "val")] == ["-inf", "0", "0.6931"]
    assert shown[(x, "grad")] == ["inf", "1", "0.5"]
    badges = {g.get("data-flags") for g in root.iter(f"{SVG}g")
              if "flag-badge" in (g.get("class") or "")}
    assert badges == {"inf"}


def test_a_moved_edge_label_hangs_from_its_edge_and_a_lone_shape_stays_on_it():
    """The Python painter as the page (tests/browser/test_edge_labels.py): an edge with a
    `label_at` point writes its shape there only beside its local label (or lit, on an edge
    too short for it), with a leader from the edge's middle drawn under the boxes; before
    backward reaches it, the shape stays on the edge."""
    with_label = on_edge = 0
    for stem in ("13_relu_mlp", "06_non_scalar_backward", "10_softmax_mse"):
        w, o = _moved_labels_checked(traced(source_of(stem)))
        with_label, on_edge = with_label + w, on_edge + o
    assert with_label > 5 and on_edge > 0, (with_label, on_edge)


def _moved_labels_checked(trace: dict) -> tuple[int, int]:
    moved = {e["id"]: e for e in trace["edges"] if e.get("label_at")}
    assert moved
    with_label = on_edge = 0
    for step in range(-1, len(trace["steps"])):
        root = parse(render_svg(trace, step=step, theme="light"))
        groups = {(g.get("class"), g.get("data-edge-id")): g for g in root.iter(f"{SVG}g")}
        for g in root.iter(f"{SVG}g"):
            e = moved.get(g.get("data-edge-id"))
            if e is None or "edge-label" not in (g.get("class") or "").split():
                continue
            shape = g.find(f"{SVG}text[@class='edge-shape cr-edge-shape']")
            local = g.find(f"{SVG}text[@class='edge-local cr-edge-local']")
            leader = groups[("edge", e["id"])].find(f"{SVG}line")   # under the boxes
            (x0, y0), (x1, y1) = e["route"][0], e["route"][-1]   # straight routes here
            middle = ((x0 + x1) / 2, (y0 + y1) / 2)
            # lit on an edge too short for it (the page's rule), the shape alone moves too
            lit = g.get("data-lit") == "true"
            room = math.dist(e["route"][0], e["route"][-1])
            cramped = shape is not None and room < max(len(shape.text) * 6, 22) + 6
            if local is not None or (lit and cramped):
                with_label += 1
                assert leader is not None, (step, e["id"])
                assert _near((float(leader.get("x1")), float(leader.get("y1"))), middle)
                y2, at_y = float(leader.get("y2")), e["label_at"][1]
                assert y2 <= at_y - 15 or y2 >= at_y + 18     # clear of the labels' text
                if shape is not None:
                    assert _near((float(shape.get("x")), float(shape.get("y")) + 4),
                                 e["label_at"]), (step, e["id"])
            elif shape is not None:
                on_edge += 1
                assert leader is None, (step, e["id"])
                assert _near((float(shape.get("x")), float(shape.get("y")) + 4), middle), \
                    (step, e["id"])
    return with_label, on_edge


def _near(p: tuple, q: list | tuple) -> bool:
    return abs(p[0] - q[0]) < 1.5 and abs(p[1] - q[1]) < 1.5
