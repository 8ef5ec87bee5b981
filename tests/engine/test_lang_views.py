"""Views of a tensor that needs a gradient, changed in place (issue 10): each program runs in
chainrule and in real Python with real PyTorch (the oracle; exec'd here only, never by the
engine) and must print the same: values, gradients, version counters, the base's grad_fn
(CopySlices) and PyTorch's refusals."""

from __future__ import annotations

import contextlib
import io
import re
import textwrap

import pytest
import torch
from chainrule.engine.lang import run_program

ADDRESS = re.compile(r" object at 0x[0-9a-f]+")

PROGRAMS = {
    "slice_of_nonleaf_mul_": """
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        v = y[0:2]
        v.mul_(3)
        print(y, y.grad_fn, y._version, v._version)
        (y * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
        print(x.grad)
    """,
    "select_of_nonleaf_augmented": """
        x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x.exp()
        r = y[1]
        r += x[0]
        print(y.grad_fn, y._version == r._version)
        try:
            y.sum().backward()   # exp saved y, which changed: PyTorch refuses
        except RuntimeError as e:
            print(e)
    """,
    "view_of_nonleaf_reshape": """
        x = torch.arange(6.0, requires_grad=True)
        y = x * 2
        m = y.view(2, 3)
        m.sin_()
        print(y)
        y.pow(2).sum().backward()
        print(x.grad)
    """,
    "transposed_view": """
        x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        y = x + 0
        t = y.t()
        t[0] = 7.0
        print(y)
        (y * y).sum().backward()
        print(x.grad)
    """,
    "view_of_leaf_refused": """
        x = torch.ones(3, requires_grad=True)
        for change in ("mul", "setitem", "augmented"):
            try:
                if change == "mul":
                    x[0].mul_(2)
                elif change == "setitem":
                    x[1:][0] = 5.0
                else:
                    v = x.view(3)
                    v += 1
            except RuntimeError as e:
                print(change, e)
    """,
    "view_of_leaf_under_no_grad_changes_the_leaf": """
        w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with torch.no_grad():
            w[0].mul_(10)
            w[1:] -= 1
        print(w, w._version)
        (w * w).sum().backward()
        print(w.grad)
    """,
}


def _python_stdout(source: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<oracle>", "exec"), {"torch": torch})  # noqa: S102 - the oracle
    return ADDRESS.sub("", out.getvalue())


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_in_place_on_a_view_behaves_as_pytorch(name: str) -> None:
    source = "import torch\n" + textwrap.dedent(PROGRAMS[name])
    expected = _python_stdout(source)
    r = run_program(source)
    assert r.error is None, (r.error.python_type, r.error.message, r.error.line)
    assert ADDRESS.sub("", r.stdout) == expected
