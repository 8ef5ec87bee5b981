"""The nine shared examples, run by chainrule and, verbatim, by real PyTorch (float64).

Deterministic examples must agree on every variable: value, shape, grad (and its None-ness),
requires_grad, is_leaf, grad_fn name, and the printed output. The random examples (01, 02) draw
different numbers than PyTorch would, so PyTorch reruns them with `torch.randn`/`torch.randint`
replaced by functions that hand back OUR random tensors, in order: the same loss computed by
PyTorch from our values must give the same gradients and the same printout.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from chainrule.engine.lang import ProgramResult, run_program
from chainrule.engine.tensor import Tensor

from tests.torch_oracle import (
    TorchRun,
    assert_variables_match,
    float64_torch,  # noqa: F401 - an autouse fixture
    run_in_torch,
)

EXAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "examples"
FILES = sorted(EXAMPLES.glob("*.py")) if EXAMPLES.is_dir() else []
RANDOM = {"01_seed_batch_cross_entropy.py", "02_seed_single_cross_entropy.py"}

pytestmark = pytest.mark.skipif(
    not FILES, reason=f"the shared examples directory {EXAMPLES.resolve()} is absent")


def source_text(source: str, span: tuple[int, int, int, int]) -> str:
    lines = source.splitlines()
    line, col, end_line, end_col = span
    if line == end_line:
        return lines[line - 1][col - 1:end_col - 1]
    return "\n".join([lines[line - 1][col - 1:], *lines[line:end_line - 1],
                      lines[end_line - 1][:end_col - 1]])


def our_random_tensors(source: str, result: ProgramResult) -> dict[str, list[Tensor]]:
    """Leaves our program drew from randn / randint, in the order they were drawn."""
    drawn: dict[str, list[Tensor]] = {"randn": [], "randint": []}
    for t in result.tape.tensors:
        if t.record is None and t.origin == "leaf" and t.span is not None:
            text = source_text(source, t.span)
            for fn in ("randint", "randn"):
                if re.match(rf"torch\.{fn}\(", text):
                    drawn[fn].append(t)
                    break
    return drawn


def torch_with_our_random_tensors(path: Path, source: str, result: ProgramResult,
                                  monkeypatch: pytest.MonkeyPatch) -> TorchRun:
    """Run the example in torch (tests/torch_oracle.py), its random draws replaced by ours."""
    drawn = our_random_tensors(source, result)

    def fake_randn(*size, requires_grad=False, **_):
        t = drawn["randn"].pop(0)
        assert tuple(t.shape) == tuple(size[0] if len(size) == 1 and isinstance(size[0], tuple)
                                       else size)
        return torch.tensor(t.data, requires_grad=requires_grad)

    def fake_randint(low, high=None, size=None, **_):
        t = drawn["randint"].pop(0)
        assert tuple(t.shape) == tuple(size)
        return torch.tensor(t.data)

    monkeypatch.setattr(torch, "randn", fake_randn)
    monkeypatch.setattr(torch, "randint", fake_randint)
    run = run_in_torch(source, result, filename=str(path), catch=True)
    assert drawn == {"randn": [], "randint": []} or result.error is not None
    return run


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_example_matches_torch(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = path.read_text()
    result = run_program(source, seed=0)
    assert result.error is None or result.error.kind != "internal", result.error.message
    theirs = torch_with_our_random_tensors(path, source, result, monkeypatch)
    assert result.variables, "the example assigned nothing?"
    assert_variables_match(result.variables, theirs.env, rtol=1e-12, atol=1e-14, grad_rtol=1e-10)
    assert result.stdout == theirs.stdout
    if theirs.error is None:
        assert result.error is None, result.error.message
    else:
        assert result.error is not None
        assert str(theirs.error).startswith(result.error.message)
        assert result.error.line == theirs.line


def test_the_random_examples_are_really_random_and_seeded() -> None:
    for name in sorted(RANDOM):
        source = (EXAMPLES / name).read_text()
        a, b, c = (run_program(source, seed=s) for s in (0, 0, 1))
        key = "predictions" if "predictions" in a.variables else "prediction"
        np.testing.assert_array_equal(a.variables[key].data, b.variables[key].data)
        assert not np.array_equal(a.variables[key].data, c.variables[key].data)
        assert a.variables[key].grad.shape == a.variables[key].shape


def test_01_shapes() -> None:
    r = run_program((EXAMPLES / "01_seed_batch_cross_entropy.py").read_text())
    v = r.variables
    assert v["predictions"].shape == (10, 5) and v["targets"].shape == (10,)
    assert v["loss_vector"].shape == () and v["loss_scalar"].shape == ()   # default 'mean'
    assert r.stdout.count("\n") == 10   # a 10 x 5 matrix prints on 10 lines


def test_02_loss_is_zero_dimensional() -> None:
    r = run_program((EXAMPLES / "02_seed_single_cross_entropy.py").read_text())
    assert r.variables["loss"].shape == () and r.variables["prediction"].grad.shape == (5,)
    # softmax minus one-hot sums to zero
    assert abs(r.variables["prediction"].grad.data.sum()) < 1e-12


def test_03_square() -> None:
    r = run_program((EXAMPLES / "03_seed_square.py").read_text())
    assert r.variables["x"].grad.item() == 4.0   # d/dx x^2 = 2x = 4 at x = 2
    assert r.stdout == "tensor(4.)\n"


def test_04_free_variables() -> None:
    r = run_program((EXAMPLES / "04_free_variables.py").read_text(), inputs={"x": 2.0})
    # Free variables start at distinct values in order of first use (design.md): x given, y the
    # second default, 3.
    assert r.free_variables == {"x": 2.0, "y": 3.0} and r.implicit_backward
    # f = (xy + sin x)^2: df/dy = 2(xy + sin x) x
    x, y = 2.0, 3.0
    assert r.variables["y"].grad.item() == pytest.approx(2 * (x * y + np.sin(x)) * x)


def test_06_fails_like_pytorch_at_line_5() -> None:
    r = run_program((EXAMPLES / "06_non_scalar_backward.py").read_text())
    assert r.error is not None and r.error.kind == "backward"
    assert r.error.message == "grad can be implicitly created only for scalar outputs"
    assert (r.error.line, r.error.col) == (5, 1)
    assert r.variables["w"].grad is None and r.backward_calls == 1


def test_07_single_element_is_fine() -> None:
    r = run_program((EXAMPLES / "07_single_element_is_fine.py").read_text())
    assert r.error is None
    # loss = (2w)^2 = 4w^2, d/dw = 8w = 24 at w = 3
    assert r.variables["w"].grad.data.tolist() == [24.0]
    assert r.stdout == "tensor([24.])\n"


def test_08_fan_out() -> None:
    r = run_program((EXAMPLES / "08_fan_out.py").read_text())
    assert r.variables["a"].grad.item() == 7.0   # b = a*a + a, db/da = 2a + 1 = 7 at a = 3
