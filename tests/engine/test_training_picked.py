"""The picked iteration's graph is that iteration's (issue #13). A training program's trace
with iteration k kept whole (what POST /api/training answers) shows, on every node, the numbers
iteration k saw — the parameters before its update, its activations, its loss, its gradients —
and no state of another iteration (the bug: unconnected `0.weight (step 100)` nodes with the
final weights, and the last iteration's graph beside the picked one). PyTorch is the oracle:
the same program run to iteration k."""

from __future__ import annotations

import numpy as np
import pytest
from chainrule.engine.trace import trace_program
from chainrule.engine.training_pick import picking

from tests.training_programs import mlp_source, torch_mlp

torch = pytest.importorskip("torch")

MLP = mlp_source()

POLYNOMIAL = """import torch
import math
x = torch.linspace(-math.pi, math.pi, 200)
y = torch.sin(x)
torch.manual_seed(0)
a = torch.randn((), requires_grad=True)
b = torch.randn((), requires_grad=True)
learning_rate = 1e-3
for t in range(30):
    y_pred = a + b * x
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        a.grad = None
        b.grad = None
"""


def torch_iteration(k: int) -> dict:
    """PyTorch's own run of MLP up to iteration k: parameters before its step, their
    gradients, the loss, the parameters after the step."""
    model, X, y, loss_fn, optimizer = torch_mlp()
    for _ in range(k):
        before = {n: p.detach().clone().numpy() for n, p in model.named_parameters()}
        logits = model(X)
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {"before": before, "loss": loss.item(), "logits": logits.detach().numpy(),
            "grad": {n: p.grad.numpy().copy() for n, p in model.named_parameters()},
            "after": {n: p.detach().numpy().copy() for n, p in model.named_parameters()}}


def nodes_by_label(trace) -> dict[str, dict]:
    return {n["label"]: n for n in trace.nodes if n["kind"] == "tensor"}


@pytest.fixture(scope="module")
def picked_traces() -> dict[int, object]:
    out = {}
    for k in (1, 50, 100):
        with picking(k):
            out[k] = trace_program(MLP)
    return out


@pytest.mark.parametrize("k", [1, 50, 100])
def test_every_number_on_the_picked_graph_is_that_iterations(picked_traces, k) -> None:
    trace, want = picked_traces[k], torch_iteration(k)
    nodes = nodes_by_label(trace)
    suffix = "" if k == 1 else f" (step {k - 1})"   # k−1 updates before iteration k's forward
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        node = nodes[name + suffix]
        # rtol 1e-4 (issue 13's bar): 49 float32 Adam steps in PyTorch drift ~1e-6 from ours
        np.testing.assert_allclose(node["value"]["data"], want["before"][name], rtol=1e-4,
                                   atol=1e-5)
        np.testing.assert_allclose(node["grad"]["data"], want["grad"][name], rtol=1e-4,
                                   atol=1e-5)
    # no parameter node in any other state: the bug drew `0.weight (step 100)` (final weights)
    steps = {lab.rsplit("(step ", 1)[1].rstrip(")") for lab in nodes if "(step " in lab}
    assert steps == (set() if k == 1 else {str(k - 1)}), steps
    # one loss and one logits on the graph: iteration k's, not the last iteration's beside it
    losses = [n for n in trace.nodes if n["kind"] == "tensor" and n["label"] == "loss"]
    assert len(losses) == 1 and losses[0]["iteration"]["n"] == k
    assert losses[0]["value"]["data"] == pytest.approx(want["loss"], rel=1e-4)
    np.testing.assert_allclose(nodes["logits"]["value"]["data"], want["logits"], rtol=1e-4,
                               atol=1e-6)
    assert trace.training["losses"][k - 1] == pytest.approx(want["loss"], rel=1e-4)
    # the update step names the node its forward pass read, with PyTorch's step
    for p in trace.training["update"]["params"]:
        assert p["node"] == nodes[p["label"] + suffix]["id"]
        np.testing.assert_allclose(p["after"]["data"], want["after"][p["label"]], rtol=1e-4,
                                   atol=1e-5)


def test_every_picked_iteration_has_the_same_graph_shape(picked_traces) -> None:
    """Same node ids and edges whichever iteration is picked: the page reuses the layout."""
    shapes = {k: ([n["id"] for n in t.nodes], [(e["source"], e["target"]) for e in t.edges],
                  len(t.steps)) for k, t in picked_traces.items()}
    assert shapes[1] == shapes[50] == shapes[100]


def test_hand_written_update_outputs_that_iterations_state() -> None:
    """`a -= learning_rate * a.grad` under no_grad: iteration 7's update reads `a (step 6)`
    and makes `a (step 7)`, each with PyTorch's value (the bug: it made `a (step 30)`, the
    final value)."""
    torch.manual_seed(0)
    a, b = torch.randn((), requires_grad=True), torch.randn((), requires_grad=True)
    x = torch.linspace(-np.pi, np.pi, 200)
    y = torch.sin(x)
    states = {"a": [a.item()], "b": [b.item()]}
    for _ in range(30):
        loss = (a + b * x - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            a -= 1e-3 * a.grad
            b -= 1e-3 * b.grad
            a.grad = None
            b.grad = None
        states["a"].append(a.item())
        states["b"].append(b.item())
    with picking(7):
        trace = trace_program(POLYNOMIAL)
    nodes = nodes_by_label(trace)
    for name in ("a", "b"):
        assert nodes[f"{name} (step 6)"]["value"]["data"] == pytest.approx(states[name][6],
                                                                           rel=1e-6)
        made = nodes[f"{name} (step 7)"]
        assert made["value"]["data"] == pytest.approx(states[name][7], rel=1e-6)
        op = next(e["source"] for e in trace.edges if e["target"] == made["id"])
        assert any(e["source"] == nodes[f"{name} (step 6)"]["id"] and e["target"] == op
                   for e in trace.edges)
    assert not [lab for lab in nodes if "(step 30)" in lab]


def test_a_straight_program_changed_twice_by_hand() -> None:
    """Outside any loop: the first `a -= 0.1 * a.grad` makes `a (step 1)` = 1 − 0.1·2 = 0.8
    (a.grad = d(a·a)/da = 2 at a = 1), the second `a (step 2)` = 0.8 − 0.2 = 0.6."""
    trace = trace_program("""import torch
a = torch.tensor(1.0, requires_grad=True)
(a * a).backward()
with torch.no_grad():
    a -= 0.1 * a.grad
with torch.no_grad():
    a -= 0.1 * a.grad
""")
    nodes = nodes_by_label(trace)
    subs = [n["id"] for n in trace.nodes if n["kind"] == "op" and n["label"] == "sub"]
    made = [next(e["target"] for e in trace.edges if e["source"] == op) for op in subs]
    assert made == [nodes["a (step 1)"]["id"], nodes["a (step 2)"]["id"]]
    assert nodes["a (step 1)"]["value"]["data"] == pytest.approx(0.8)
    assert nodes["a (step 2)"]["value"]["data"] == pytest.approx(0.6)
