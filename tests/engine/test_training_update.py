"""The update step written out with its numbers (engine/training_update.py), against PyTorch
running the same program: for a few entries of each parameter, w before, ∇w, the optimizer's
state before and after (Adam's m and v, SGD's momentum buffer) and w after equal torch.optim's
own; m̂ and v̂ follow PyTorch's bias corrections (hand math below); and each written line's
arithmetic gives the number after its `=`. A hand-written `p -= lr * p.grad` under no_grad
(the polynomial tutorials) gets the same table, its lr read back from the change."""

from __future__ import annotations

import math

import numpy as np
import pytest
from chainrule.engine.limits import Limits
from chainrule.engine.trace import trace_program
from chainrule.engine.training_pick import picking

from tests.training_programs import (
    ADAM,
    ADAMW,
    SGD_WEIGHT_DECAY,
    Optimizer,
    mlp_source,
    torch_mlp,
)

torch = pytest.importorskip("torch")

OPTIMIZERS = {"adam": ADAM, "adamw": ADAMW, "sgd": SGD_WEIGHT_DECAY,
              "momentum": ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2})}


def torch_step(opt: Optimizer, k: int) -> list[dict]:
    """PyTorch's iteration k: per parameter before, grad, state before/after, after."""
    model, X, y, loss_fn, optimizer = torch_mlp(opt)
    for _ in range(k):
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        prior = [{n: v.clone().numpy() for n, v in optimizer.state[p].items()
                  if torch.is_tensor(v) and v.ndim} for p in model.parameters()]
        before = [p.detach().clone().numpy() for p in model.parameters()]
        optimizer.step()
    return [{"before": b, "grad": p.grad.numpy().copy(), "after": p.detach().numpy().copy(),
             "prior": pr, "state": {n: v.numpy().copy() for n, v in optimizer.state[p].items()
                                    if torch.is_tensor(v) and v.ndim}}
            for p, b, pr in zip(model.parameters(), before, prior, strict=True)]


def update_of(source: str, k: int) -> dict:
    with picking(k):
        d = trace_program(source, limits=Limits(max_seconds=60)).to_dict()
    assert d["error"] is None, d["error"]
    return d["training"]["update"]


def at(arr: np.ndarray, where: str) -> float:
    index = tuple(int(i) for i in where.strip("[]").split(",") if i.strip())
    return float(arr[index])


def line_result(line: list) -> float:
    """The number after the line's last `=`."""
    last = max(i for i, t in enumerate(line) if isinstance(t, str) and "=" in t)
    return next(t for t in line[last + 1:] if isinstance(t, int | float))


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_worked_numbers_equal_torch_optim(name: str) -> None:
    opt, k = OPTIMIZERS[name], 17
    update = update_of(mlp_source(opt, steps=20), k)
    theirs = torch_step(opt, k)
    assert len(update["params"]) == len(theirs) == 4
    for mine, want in zip(update["params"], theirs, strict=True):
        assert len(mine["worked"]) == min(3, want["before"].size)   # the first entries
        for entry in mine["worked"]:
            v = entry["values"]
            for key in ("before", "grad", "after"):
                assert v["w" if key == "before" else key] == pytest.approx(
                    at(want[key], entry["at"]), rel=1e-4, abs=1e-7), (name, key)
            if name.startswith("adam"):
                b1, b2, t = 0.9, 0.999, k
                assert v["t"] == t
                for mine_key, torch_key, source in (("m_prev", "exp_avg", "prior"),
                                                    ("v_prev", "exp_avg_sq", "prior"),
                                                    ("m", "exp_avg", "state"),
                                                    ("v", "exp_avg_sq", "state")):
                    assert v[mine_key] == pytest.approx(at(want[source][torch_key], entry["at"]),
                                                        rel=1e-4, abs=1e-9), mine_key
                # PyTorch's bias corrections: m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)
                assert v["m_hat"] == pytest.approx(v["m"] / (1 - b1 ** t), rel=1e-12)
                assert v["v_hat"] == pytest.approx(v["v"] / (1 - b2 ** t), rel=1e-12)
                w = v["w"] * (1 - 0.05 * 0.1) if name == "adamw" else v["w"]
                assert w - 0.05 * v["m_hat"] / (math.sqrt(v["v_hat"]) + 1e-8) == \
                    pytest.approx(v["after"], rel=1e-5, abs=1e-7)
            if name == "momentum":
                assert v["b_prev"] == pytest.approx(at(want["prior"]["momentum_buffer"],
                                                       entry["at"]), rel=1e-4, abs=1e-9)
                assert v["b"] == pytest.approx(at(want["state"]["momentum_buffer"],
                                                  entry["at"]), rel=1e-4, abs=1e-9)
                assert v["b"] == pytest.approx(0.9 * v["b_prev"] + 0.8 * v["grad"], rel=1e-5)
                assert v["w"] - 0.1 * v["b"] == pytest.approx(v["after"], rel=1e-5, abs=1e-7)
            if name == "sgd":   # weight decay: ∇w + λ·w, then w − lr·(that)
                assert v["w"] - 0.1 * (v["grad"] + 0.01 * v["w"]) == \
                    pytest.approx(v["after"], rel=1e-5, abs=1e-7)
            # every line ends with the number the engine holds for it
            assert line_result(entry["lines"][-1]) == v["after"]
    assert update["optimizer"] == opt[0]


def test_the_first_momentum_step_starts_the_buffer_at_the_gradient() -> None:
    update = update_of(mlp_source(OPTIMIZERS["momentum"], steps=20), 1)
    entry = update["params"][0]["worked"][0]
    assert entry["values"]["b_prev"] is None and entry["values"]["b"] == entry["values"]["grad"]
    assert "".join(t for t in entry["lines"][0] if isinstance(t, str)).startswith("b ← ∇w")


MANUAL = """
import torch
import math
x = torch.linspace(-math.pi, math.pi, 200)
y = torch.sin(x)
torch.manual_seed(1)
a = torch.randn((), requires_grad=True)
b = torch.randn((), requires_grad=True)
w = torch.randn(3, requires_grad=True)
learning_rate = 1e-4
for t in range(40):
    y_pred = a + b * x + (w[0] * x + w[1] * x ** 2 + w[2] * x ** 3) * 0.1
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        w -= learning_rate * w.grad
        a.grad = None
        b.grad = None
        w.grad = None
"""


def torch_manual(k: int) -> dict[str, dict]:
    import math as m
    x = torch.linspace(-m.pi, m.pi, 200)
    y = torch.sin(x)
    torch.manual_seed(1)
    a = torch.randn((), requires_grad=True)
    b = torch.randn((), requires_grad=True)
    w = torch.randn(3, requires_grad=True)
    out: dict[str, dict] = {}
    for _ in range(k):
        y_pred = a + b * x + (w[0] * x + w[1] * x ** 2 + w[2] * x ** 3) * 0.1
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for name, p in (("a", a), ("b", b), ("w", w)):
                before = p.clone().numpy()
                p -= 1e-4 * p.grad
                out[name] = {"before": before, "grad": p.grad.clone().numpy(),
                             "after": p.clone().numpy()}
            a.grad = b.grad = w.grad = None
    return out


@pytest.mark.parametrize("k", [1, 25])
def test_a_hand_written_update_gets_the_same_table(k: int) -> None:
    update = update_of(MANUAL, k)
    assert update["optimizer"] == "by hand" and update["rule"] == "w ← w − lr·∇w"
    theirs = torch_manual(k)
    assert [p["label"] for p in update["params"]] == ["a", "b", "w"]
    for p in update["params"]:
        want = theirs[p["label"]]
        assert p["code"] == f"{p['label']} -= learning_rate * {p['label']}.grad"
        assert p["lr_text"] == "learning_rate"
        assert p["lr"] == pytest.approx(1e-4, rel=1e-4)
        for key in ("before", "grad", "after"):
            np.testing.assert_allclose(np.asarray(p[key]["data"]), want[key], rtol=1e-4,
                                       atol=1e-6)
        for entry in p["worked"]:
            v = entry["values"]
            assert v["w"] - v["lr"] * v["grad"] == pytest.approx(v["after"], rel=1e-5)
        assert len(p["worked"]) == (3 if p["label"] == "w" else 1)


def test_a_change_that_is_not_lr_times_the_gradient_is_shown_as_a_change() -> None:
    source = MANUAL.replace("a -= learning_rate * a.grad", "a -= learning_rate * a.grad + 0.01")
    update = update_of(source, 2)
    a = update["params"][0]
    assert a["lr"] is None and update["rule"] == "w ← w + Δw"
    v = a["worked"][0]["values"]
    assert v["after"] == pytest.approx(v["w"] - 1e-4 * v["grad"] - 0.01, rel=1e-5)
