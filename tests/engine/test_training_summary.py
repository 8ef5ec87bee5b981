"""The trace's training summary (engine/training.py) against PyTorch's own run of the same
program: every iteration's loss, and the picked iteration's optimizer step (before, gradient,
after, Adam's moments / the momentum buffer) equal what torch.optim computes."""

from __future__ import annotations

import numpy as np
import pytest
from chainrule.engine.limits import Limits
from chainrule.engine.trace import trace_program
from chainrule.engine.training_pick import picking

from tests.training_programs import ADAM, MOMENTUM, Optimizer, mlp_source, torch_mlp

torch = pytest.importorskip("torch")


def torch_run(opt: Optimizer, picked: int) -> tuple[list[float], list[dict]]:
    """The same program in PyTorch: every loss, and iteration `picked`'s update per parameter."""
    model, X, y, loss_fn, optimizer = torch_mlp(opt)
    losses, update = [], []
    for step in range(60):
        logits = model(X)
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        before = [p.detach().clone() for p in model.parameters()]
        optimizer.step()
        losses.append(loss.item())
        if step + 1 == picked:
            for p, b in zip(model.parameters(), before, strict=True):
                st = optimizer.state[p]
                update.append({"before": b.numpy(), "grad": p.grad.numpy().copy(),
                               "after": p.detach().numpy().copy(),
                               "state": {k: v.numpy().copy() for k, v in st.items()
                                         if k != "step"}})
    return losses, update


def traced(opt: Optimizer, picked: int | None) -> dict:
    with picking(picked):
        d = trace_program(mlp_source(opt, steps=60), limits=Limits(max_seconds=60,
                                                                   max_display_elements=64)
                          ).to_dict()
    assert d["error"] is None
    return d


def numbers(v: dict) -> np.ndarray:
    return np.asarray(v["data"], dtype=np.float64)


@pytest.mark.parametrize("opt,names", [(ADAM, {"exp_avg": "m", "exp_avg_sq": "v"}),
                                       (MOMENTUM, {"momentum_buffer": "b"})])
@pytest.mark.parametrize("picked", [None, 50])
def test_losses_and_update_equal_pytorch(opt: Optimizer, names: dict, picked: int | None) -> None:
    d = traced(opt, picked)
    losses, update = torch_run(opt, picked or 1)
    t = d["training"]
    assert t["count"] == 60 and t["loss_name"] == "loss" and t["picked"] == (picked or 1)
    np.testing.assert_allclose(t["losses"], losses, rtol=1e-4)
    u = t["update"]
    assert u["optimizer"] == opt[0]
    assert len(u["params"]) == len(update) == 4
    for mine, theirs in zip(u["params"], update, strict=True):
        for key in ("before", "grad", "after"):
            np.testing.assert_allclose(numbers(mine[key]).reshape(theirs[key].shape),
                                       theirs[key], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(numbers(mine["change"]).reshape(theirs["after"].shape),
                                   theirs["after"] - theirs["before"], rtol=1e-3, atol=1e-7)
        for key, shown in names.items():
            np.testing.assert_allclose(numbers(mine["state"][shown]).reshape(
                theirs["state"][key].shape), theirs["state"][key], rtol=1e-4, atol=1e-7)
        # the parameter's node in the graph is the one the update names
        node = next(n for n in d["nodes"] if n["id"] == mine["node"])
        assert node["is_leaf"] and node["requires_grad"]
    if opt is ADAM:
        assert all(p["t"] == (picked or 1) for p in u["params"])


def test_picked_iteration_has_the_first_ones_shape() -> None:
    """Same shape → same layout: the picked iteration's nodes sit where the first's did."""
    first, fiftieth = traced(ADAM, None), traced(ADAM, 50)
    assert [(n["id"], n["x"], n["y"]) for n in first["nodes"]] == \
        [(n["id"], n["x"], n["y"]) for n in fiftieth["nodes"]]
    # and its numbers are iteration 50's: the loss node holds loss 50
    losses, _ = torch_run(ADAM, 50)
    shown = [n["value"]["data"] for n in fiftieth["nodes"]
             if n["kind"] == "tensor" and n["name"] == "loss" and n["iteration"]["n"] == 50]
    assert shown and abs(shown[0] - losses[49]) < 1e-4 * abs(losses[49])


def test_no_loop_no_summary() -> None:
    d = trace_program("import torch\nx = torch.tensor(2.0, requires_grad=True)\n"
                      "y = x * x\ny.backward()").to_dict()
    assert d["training"] is None
