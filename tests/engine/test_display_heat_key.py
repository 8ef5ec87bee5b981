"""Every heat map a step paints has a colour key with its scale (issue 14): the op that makes
it and the edge that brings its gradient carry a "key" row naming min, max and the |value| at
which the colour is full, checked against PyTorch's numbers."""

from __future__ import annotations

import torch
from chainrule.engine import values
from chainrule.engine.trace import trace_program

PROGRAM = ("import torch\nx = torch.arange(-36.0, 36.0).reshape(8, 9) * 0.1\n"
           "w = torch.ones(8, 9, requires_grad=True)\ny = torch.sin(x * w)\nloss = y.sum()\n"
           "loss.backward()\n")


def _keys(trace: dict) -> list[tuple[str, str]]:
    return [(s["kind"], r[1]) for s in trace["steps"] for r in s.get("rows", [])
            if isinstance(r, list) and r[0] == "key"]


def test_heat_maps_have_a_key_with_pytorchs_min_and_max() -> None:
    trace = trace_program(PROGRAM).to_dict()
    assert trace["display"]["rows"]["key"] == "Colour key"
    keys = _keys(trace)
    x = torch.arange(-36.0, 36.0).reshape(8, 9) * 0.1
    w = torch.ones(8, 9, requires_grad=True)
    xw = x * w
    xw.retain_grad()
    y = torch.sin(xw)
    y.sum().backward()
    for tensor, who in ((y.detach(), "y: "), (w.grad, "the gradient at w: ")):
        lo, hi = float(tensor.min()), float(tensor.max())
        text = (f"the colour is full at |value| = {values.fmt(max(abs(lo), abs(hi)))} and fades "
                f"toward 0. Min {values.fmt(lo)}, max {values.fmt(hi)}.")
        assert any(k.startswith(who) and k.endswith(text) for _, k in keys), (who, keys)
    # every op step and edge step ending at a heat-map node has its key; scalars none
    thumbs = {n["id"] for n in trace["nodes"] if n.get("block", {}).get("kind") == "thumb"}
    expected = sum(1 for s in trace["steps"] if (s["kind"] == "op" and s["output"] in thumbs)
                   or (s["kind"] == "edge" and s["to"] in thumbs))
    assert expected >= 4 and len(keys) == expected


def test_a_scalar_program_has_no_key() -> None:
    trace = trace_program("import torch\nx = torch.tensor(2.0, requires_grad=True)\n"
                          "y = x * x\ny.backward()\n").to_dict()
    assert _keys(trace) == []
