"""The backward pass as the timeline sees it: the events on the tape, their order and sums."""

from __future__ import annotations

import numpy as np
import pytest
from chainrule.engine import functional as F
from chainrule.engine.backward import backward, reachable_records
from chainrule.engine.errors import BackwardError
from chainrule.engine.limits import Limits
from chainrule.engine.tensor import Tape, Tensor, recording


def leaf(value, name: str | None = None) -> Tensor:
    t = Tensor(np.array(value, dtype=np.float64), requires_grad=True)
    t.name = name
    return t


def edges(tape: Tape) -> list[dict]:
    return [e for e in tape.events if e["type"] == "edge"]


def into(tape: Tape, t: Tensor) -> list[dict]:
    """Edge events whose gradient flows into `t`."""
    return [e for e in edges(tape) if e["record"].inputs[e["input_index"]] is t]


# ---------------------------------------------------------------- b = a*a + a, by hand


def test_three_edges_into_a_sum_to_seven():
    # d/da (a² + a) = 2a + 1 = 7 at a = 3: 1 from `+ a`, then 3 and 3 from the two factors of a*a
    with recording(Tape()) as tape:
        a = leaf(3.0, "a")
        b = a * a + a
        backward(b)
    into_a = into(tape, a)
    assert len(into_a) == 3
    assert [float(e["contribution"]) for e in into_a] == [1.0, 3.0, 3.0]
    assert sum(float(e["contribution"]) for e in into_a) == 7.0
    assert [float(e["total"]) for e in into_a] == [1.0, 4.0, 7.0]
    assert [(e["count"], e["expected"]) for e in into_a] == [(1, 3), (2, 3), (3, 3)]
    assert [e["complete"] for e in into_a] == [False, False, True]
    assert into_a[-1]["leaf_before"] is None
    assert float(into_a[-1]["leaf_grad"]) == 7.0
    assert "leaf_grad" not in into_a[0] and "leaf_grad" not in into_a[1]
    assert float(a.grad.data) == 7.0
    # the mul's output gets exactly one edge, from the add, and it is complete at once
    square = b.record.inputs[0]
    (only,) = into(tape, square)
    assert (only["count"], only["expected"], only["complete"]) == (1, 1, True)
    assert only["record"] is b.record
    # each edge narrates upstream × local = product
    for e in into_a:
        np.testing.assert_allclose(e["product"], e["upstream"] * e["local"])


def test_backward_events_frame_the_edges():
    with recording(Tape()) as tape:
        a = leaf(3.0)
        b = a * a + a
        backward(b)
    kinds = [e["type"] for e in tape.events]
    assert kinds == ["forward", "forward", "backward", "edge", "edge", "edge", "edge",
                     "backward_end"]
    start = tape.events[2]
    assert start["root"] is b and start["error"] is None and not start["gradient_given"]
    assert float(start["seed"]) == 1.0
    assert tape.events[-1]["root"] is b


def test_second_backward_narrates_the_previous_grad():
    with recording(Tape()) as tape:
        a = leaf(2.0)
        y = F.sum(a)
        backward(y)
        backward(y)
    last = into(tape, a)[-1]
    assert float(last["leaf_before"]) == 1.0
    assert float(last["leaf_grad"]) == 2.0


def test_backward_on_a_leaf_emits_a_leaf_seed():
    with recording(Tape()) as tape:
        a = leaf([1.0])
        backward(a)
    seeds = [e for e in tape.events if e["type"] == "leaf_seed"]
    assert len(seeds) == 1 and seeds[0]["tensor"] is a and seeds[0]["before"] is None
    assert edges(tape) == []
    np.testing.assert_array_equal(a.grad.data, [1.0])


def test_failed_backward_emits_its_error_and_no_edges():
    with recording(Tape()) as tape:
        a = leaf([1.0, 2.0])
        y = a * 2.0
        with pytest.raises(BackwardError) as err:
            backward(y)
    (start,) = [e for e in tape.events if e["type"] == "backward"]
    assert start["error"] == err.value.message
    assert edges(tape) == []
    assert a.grad is None


# ---------------------------------------------------------------- broadcasting


@pytest.mark.parametrize(("x_shape", "bias_shape", "axes"), [
    ((2, 3), (3,), [0]), ((2, 3), (1, 3), [0]), ((2, 3), (2, 1), [1]), ((2, 3), (), [0, 1]),
    ((4, 2, 3), (2, 1), [0, 2]), ((2, 3), (2, 3), []),
])
def test_reduced_axes_on_broadcast_bias(x_shape, bias_shape, axes):
    rng = np.random.default_rng(0)
    with recording(Tape()) as tape:
        x, bias = leaf(rng.standard_normal(x_shape)), leaf(rng.standard_normal(bias_shape))
        y = x + bias
        backward(y, gradient=rng.standard_normal(x_shape))
    (to_bias,) = into(tape, bias)
    (to_x,) = into(tape, x)
    assert to_bias["reduced_axes"] == axes
    assert to_x["reduced_axes"] == []
    assert to_bias["product"].shape == x_shape
    assert to_bias["contribution"].shape == bias_shape
    summed = to_bias["product"].sum(axis=tuple(axes)).reshape(bias_shape)
    np.testing.assert_allclose(to_bias["contribution"], summed)
    np.testing.assert_allclose(bias.grad.data, summed)


def test_reduced_axes_when_the_other_operand_broadcasts():
    with recording(Tape()) as tape:
        col, row = leaf([[1.0], [2.0]]), leaf([[10.0, 20.0, 30.0]])
        backward(F.sum(col * row))
    assert into(tape, col)[0]["reduced_axes"] == [1]
    assert into(tape, row)[0]["reduced_axes"] == [0]
    np.testing.assert_allclose(col.grad.data, [[60.0], [60.0]])
    np.testing.assert_allclose(row.grad.data, [[3.0, 3.0, 3.0]])


# ---------------------------------------------------------------- what gets an edge


def test_only_inputs_that_require_grad_get_edges():
    with recording(Tape()) as tape:
        x = leaf([[0.2, -1.0, 0.5], [1.5, 0.0, -0.3]])
        w = Tensor(np.ones((3, 2)))                 # a constant matrix
        target = F.tensor([1, 0])                   # class indices
        loss = F.cross_entropy(x @ w, target)
        backward(loss)
    receivers = {id(e["record"].inputs[e["input_index"]]) for e in edges(tape)}
    assert id(w) not in receivers and id(target) not in receivers
    assert id(x) in receivers
    assert w.grad is None and target.grad is None
    # one edge per recorded op: nll_loss, log_softmax, matmul
    assert [e["record"].op.name for e in edges(tape)] == ["nll_loss", "log_softmax", "matmul"]
    assert all(e["expected"] == 1 and e["complete"] for e in edges(tape))


def test_detached_branch_gets_no_edges():
    with recording(Tape()) as tape:
        x = leaf([1.0, 2.0])
        y = F.sum(F.detach(x * 3.0) * x)
        backward(y)
    assert len(into(tape, x)) == 1
    np.testing.assert_allclose(x.grad.data, [3.0, 6.0])


# ---------------------------------------------------------------- order and depth


def test_order_is_reverse_topological():
    with recording(Tape()) as tape:
        a, w = leaf([0.5, -1.0, 2.0]), leaf([1.5, 0.25, -0.5])
        b = F.exp(a)
        c = F.sin(a) * w
        d = b * c
        e = d + b - F.tanh(c)
        f = F.index(e, slice(0, 2))
        loss = F.sum(f * f) + F.mean(e) + F.max(d)
        backward(loss)
    evs = edges(tape)
    indices = [ev["record"].index for ev in evs]
    assert indices == sorted(indices, reverse=True)
    # every tensor's gradient is complete before it flows further back
    position: dict[int, int] = {}
    for i, ev in enumerate(evs):
        position.setdefault(ev["record"].index, i)
    for rec in reachable_records(loss):
        incoming = [i for i, ev in enumerate(evs)
                    if ev["record"].inputs[ev["input_index"]] is rec.output]
        if rec.output is loss:
            assert incoming == []
            continue
        assert incoming, f"{rec.op.name} output received nothing"
        assert max(incoming) < position[rec.index]
        assert evs[max(incoming)]["complete"]
        assert [evs[i]["count"] for i in incoming] == list(range(1, len(incoming) + 1))
    # forward events are in execution order, each record once
    forwards = [ev["record"].index for ev in tape.events if ev["type"] == "forward"]
    assert forwards == sorted(forwards) and len(set(forwards)) == len(forwards)


def test_deep_chain_backprops_without_recursion():
    depth = 10_000
    limits = Limits(max_ops=3 * depth, max_total_elements=10 * depth, max_seconds=60.0)
    with recording(Tape(limits=limits)) as tape:
        x = leaf(1.0)
        y = x
        for _ in range(depth):
            y = y * 1.0001
        backward(y)
    assert len(edges(tape)) == depth
    assert float(x.grad.data) == pytest.approx(1.0001 ** depth, rel=1e-9)
    assert float(y.data) == pytest.approx(1.0001 ** depth, rel=1e-9)
