"""Edge steps carry only their own contribution; app/frame.py `contributions_at` (and its twin
player.js `contributionsAt`, tests/browser/test_player_module.py) rebuilds the rest."""

from __future__ import annotations

import json

import numpy as np
import pytest
from chainrule.app.frame import contributions_at
from chainrule.app.gallery import EXAMPLES_DIR, GALLERY
from chainrule.app.runner import trace_response
from chainrule.engine.limits import Limits


def traced(source: str) -> dict:
    status, body = trace_response(source, None, 0, Limits())
    assert status == 200
    return json.loads(body)


def numbers(value: dict) -> np.ndarray | None:
    data = value.get("data")
    if data is None or isinstance(data, str):
        return None
    arr = np.asarray(data, dtype=object)
    if any(isinstance(x, str) for x in arr.ravel()):   # "nan"/"inf": nothing to add up
        return None
    return arr.astype(float)


@pytest.mark.parametrize("stem", [g[0] for g in GALLERY])
def test_rebuilt_contributions_add_up_to_the_running_total(stem):
    trace = traced((EXAMPLES_DIR / f"{stem}.py").read_text())
    for step in trace["steps"]:
        assert "contributions" not in step
        if step["kind"] != "edge":
            continue
        got = contributions_at(trace, step["index"])
        assert len(got) == step["count"]
        assert got[-1] is step["contribution"]
        parts = [numbers(c) for c in got]
        total = numbers(step["grad"])
        if total is None or any(p is None for p in parts):
            continue
        # the engine's running total (backward.py) against the parts picked from earlier steps
        np.testing.assert_allclose(sum(parts), total, rtol=1e-12, atol=1e-12)


def test_fan_out_rebuilds_3_plus_3_plus_1():
    trace = traced("import torch\nx = torch.tensor(2.0, requires_grad=True)\n"
                   "y = x * 3 + x * 3 + x\ny.backward()\n")
    into_x = [s for s in trace["steps"] if s["kind"] == "edge" and s["complete"]
              and s["to"] == next(n["id"] for n in trace["nodes"] if n.get("name") == "x")]
    (last,) = into_x
    # hand math: dy/dx = 3 + 3 + 1 = 7, one term per path, in the order backward reaches them
    got = sorted(c["data"] for c in contributions_at(trace, last["index"]))
    assert got == [1.0, 3.0, 3.0]
    assert last["grad"]["data"] == 7.0


def test_a_second_backward_pass_starts_its_own_sum():
    # hand math: two passes over y = x + x at x = 1: each pass brings 1 + 1 to x
    trace = traced("import torch\nx = torch.tensor(1.0, requires_grad=True)\n"
                   "(x + x).backward()\n(x + x).backward()\n")
    last = [s for s in trace["steps"] if s["kind"] == "edge"][-1]
    got = contributions_at(trace, last["index"])
    assert [c["data"] for c in got] == [1.0, 1.0]


def test_non_edge_and_out_of_range_steps_have_none():
    trace = traced("import torch\nx = torch.tensor(1.0, requires_grad=True)\n(x * x).backward()\n")
    assert contributions_at(trace, 0) == []            # a forward op
    assert contributions_at(trace, -1) == []
    assert contributions_at(trace, len(trace["steps"])) == []


def fan_in_steps(k: int) -> list[dict]:
    """The edge steps into x of y = x*1 + x*2 + … + x*k, summed one statement at a time."""
    lines = "".join(f"y = y + x * {j + 2}.0\n" for j in range(k - 1))
    trace = traced("import torch\nx = torch.tensor(0.5, requires_grad=True)\n"
                   f"y = x * 1.0\n{lines}y.backward()\n")
    x = next(n["id"] for n in trace["nodes"] if n.get("name") == "x")
    steps = [s for s in trace["steps"] if s["kind"] == "edge" and s["to"] == x]
    assert len(steps) == k
    return steps


def test_a_step_does_not_grow_with_the_paths_before_it():
    # Each edge step into x used to repeat every earlier contribution (and list every term in
    # its `accumulate` formula): k paths cost O(k^2) bytes. A step still on its way (the last
    # one's narration names every term, once) now weighs the same whatever k is.
    def biggest(k: int) -> int:
        return max(len(json.dumps(s)) for s in fan_in_steps(k) if not s["complete"])
    assert biggest(60) < 1.2 * biggest(20)
