"""engine/fd_check.py: the finite-difference estimate beside each leaf's chain-rule gradient.

The estimate only runs the program forward (with a leaf moved), so it is an oracle independent
of the backward pass's rules; where a test names an expected value, it is hand math."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from chainrule.engine.fd_check import ELEMENTWISE_MAX, check_gradients
from chainrule.engine.limits import Limits

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "app" / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_leaf_of_every_gallery_example_agrees_to_1e5(path: Path) -> None:
    check = check_gradients(path.read_text(), limits=replace(Limits(), max_seconds=30.0))
    if path.stem.startswith("06_"):   # its backward fails: no leaf has a gradient to check
        assert check.leaves == [] and check.error is not None and check.note
        return
    if path.stem == "20_training_loop":   # a re-run moves all 100 steps: not one gradient
        assert check.leaves == []
        assert check.note.startswith("not checked: the program trains in a long loop")
        return
    if path.stem == "21_jax_forward_mode":   # jax.jacfwd: tangents, no backward pass
        assert check.leaves == [] and check.note.startswith("not checked: this program's "
                                                            "derivatives come from forward mode")
        return
    if path.stem == "19_own_value_bug":   # their engine's bug: b = a + a, db/da = 2, not 1.0
        [leaf] = check.leaves
        assert leaf.label == "a" and float(leaf.gradient) == 1.0 and not leaf.agrees
        assert abs(float(leaf.estimate) - 2.0) < 1e-6
        return
    assert check.leaves, check.note
    for leaf in check.leaves:
        assert leaf.note is None, (leaf.label, leaf.note)
        assert leaf.checked == leaf.elements > 0
        diff = np.abs(np.asarray(leaf.estimate) - np.asarray(leaf.gradient))
        assert np.all(diff <= 1e-5), (leaf.label, diff.max())
        assert leaf.agrees and leaf.max_difference <= 1e-5


def test_estimates_are_the_hand_derivatives() -> None:
    # fan-out: b = a*a + a, db/da = 2a + 1 = 7 at a = 3
    check = check_gradients((EXAMPLES[7]).read_text())
    assert [leaf.label for leaf in check.leaves] == ["a"]
    assert abs(float(check.leaves[0].estimate) - 7.0) < 1e-6
    # free variables: f = (x*y + sin x)^2, df/dx = 2(xy + sin x)(y + cos x)
    check = check_gradients("f = (x * y + sin(x)) ** 2", inputs={"x": 0.5, "y": -1.5})
    x, y = 0.5, -1.5
    want = {"x": 2 * (x * y + np.sin(x)) * (y + np.cos(x)), "y": 2 * (x * y + np.sin(x)) * x}
    got = {leaf.label: float(leaf.estimate) for leaf in check.leaves}
    assert got.keys() == want.keys()
    for name in want:
        assert abs(got[name] - want[name]) < 1e-6


def test_the_dialects_gradients_are_checked_against_hand_derivatives() -> None:
    # tf.GradientTape: d/dw Σ (2w)² = 8w (the non-scalar target summed, as TensorFlow does)
    (w,) = check_gradients(EXAMPLES[14].read_text()).leaves
    assert w.label == "w" and np.allclose(w.estimate, [8.0, -16.0, 24.0], atol=1e-6)
    # jax.grad of f = x² + sin(xy) at (2, 3): ∂f/∂x = 2x + y cos(xy), ∂f/∂y = x cos(xy),
    # each from its own jax.grad call
    x, y = 2.0, 3.0
    got = {leaf.label: float(leaf.estimate) for leaf in check_gradients(
        EXAMPLES[15].read_text()).leaves}
    assert got.keys() == {"x", "y"}
    assert abs(got["x"] - (2 * x + y * np.cos(x * y))) < 1e-6
    assert abs(got["y"] - x * np.cos(x * y)) < 1e-6
    # micrograd: e = relu((a+b)(ab+b³)) at a=2, b=-3, where (a+b)(ab+b³) = 33 > 0:
    # ∂e/∂a = (ab+b³) + (a+b)b = -33 + 3 = -30; ∂e/∂b = (ab+b³) + (a+b)(a+3b²) = -33 - 29 = -62
    got = {leaf.label: float(leaf.estimate) for leaf in check_gradients(
        EXAMPLES[16].read_text()).leaves}
    assert abs(got["a"] + 30.0) < 1e-6 and abs(got["b"] + 62.0) < 1e-6


def test_torch_autograd_grad_is_checked_per_call() -> None:
    # autograd.grad returns d(x³)/dx = 3x² = 12 at x = 2 and touches no .grad; a later
    # backward of x² accumulates 2x = 4 into x.grad: two checks of the same leaf
    source = ("import torch\nx = torch.tensor(2.0, requires_grad=True)\n"
              "(g,) = torch.autograd.grad(x ** 3, x)\n(x ** 2).backward()\n")
    leaves = check_gradients(source).leaves
    assert sorted(float(leaf.estimate) for leaf in leaves) == pytest.approx([4.0, 12.0],
                                                                            abs=1e-6)
    assert all(leaf.agrees for leaf in leaves)


def test_accumulated_calls_add_and_a_reset_grad_starts_afresh() -> None:
    # two backward calls: w.grad = 3 + 2w = 7 at w = 2; the estimate nudges both roots
    both = check_gradients(EXAMPLES[10].read_text()).leaves[0]
    assert abs(float(both.estimate) - 7.0) < 1e-6
    # the grad set back to None between the calls: only the second call counts, 2w = 4
    source = ("import torch\nw = torch.tensor(2.0, requires_grad=True)\n(w * 3).backward()\n"
              "w.grad = None\n(w ** 2).backward()\n")
    leaf = check_gradients(source).leaves[0]
    assert abs(float(leaf.gradient) - 4.0) < 1e-12
    assert abs(float(leaf.estimate) - 4.0) < 1e-6 and leaf.agrees


def test_a_big_leaf_is_checked_along_one_direction() -> None:
    # loss = Σ w², gradient 2w; along v the estimate is Σ 2w·v
    source = ("import torch\nw = torch.randn(9, 9, requires_grad=True)\n"
              "loss = (w ** 2).sum()\nloss.backward()\n")
    assert ELEMENTWISE_MAX < 81
    leaf = check_gradients(source).leaves[0]
    assert leaf.mode == "direction" and leaf.checked == 81 and leaf.agrees
    assert abs(leaf.estimate - leaf.gradient) < 1e-6


def test_a_wrong_seed_would_show() -> None:
    # the explicit gradient= seed weights the three losses: d/dw Σ s·(2w)² = 8 s w
    leaf = check_gradients(EXAMPLES[11].read_text()).leaves[0]
    w, s = np.array([1.0, -2.0, 3.0]), np.array([1.0, 0.5, 0.0])
    assert np.allclose(leaf.estimate, 8 * s * w, atol=1e-6)


def test_each_state_of_a_leaf_updated_in_place_is_checked() -> None:
    # three steps of w -= 0.1 * grad on loss = Σ w³: each state w_k gets 3 w_k² from its call
    source = ("import torch\nw = torch.tensor([2.0, -1.0], requires_grad=True)\n"
              "for i in range(3):\n    loss = (w ** 3).sum()\n    loss.backward()\n"
              "    with torch.no_grad():\n        w -= 0.1 * w.grad\n        w.grad.zero_()\n")
    check = check_gradients(source)
    assert len(check.leaves) == 3
    w = np.array([2.0, -1.0])
    for leaf in check.leaves:
        assert np.allclose(leaf.gradient, 3 * w ** 2, atol=1e-12)
        assert np.allclose(leaf.estimate, 3 * w ** 2, atol=1e-6) and leaf.agrees
        w = w - 0.1 * 3 * w ** 2


def test_the_time_limit_bounds_the_check() -> None:
    source = ("import torch\nw = torch.randn(8, 8, requires_grad=True)\n"
              "loss = (w.tanh() ** 2).sum()\nloss.backward()\n")
    check = check_gradients(source, limits=replace(Limits(), max_seconds=0.05))
    leaf = check.leaves[0]
    assert leaf.checked < leaf.elements and "time limit" in leaf.note
    assert check.seconds < 2.0


def test_no_backward_call_has_nothing_to_check() -> None:
    check = check_gradients("import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x * 3\n")
    assert check.leaves == [] and "no backward" in check.note
