"""The interpreter of the snippet language, checked against real PyTorch where PyTorch has an
answer: every snippet below runs through `run_program` and, verbatim, through torch (float64),
and every variable's value, grad, flags, grad_fn name and the printed output must agree."""

from __future__ import annotations

import math
import re
import textwrap

import numpy as np
import pytest
import torch
from chainrule.engine import functional
from chainrule.engine.errors import ChainruleError, RefusedError
from chainrule.engine.lang import ProgramResult, check_program, run_program
from chainrule.engine.limits import Limits
from chainrule.engine.namespace import Size
from chainrule.engine.printing import tensor_repr
from chainrule.engine.tensor import Tensor

from tests.torch_oracle import (
    MATH,
    assert_same_printout,
    assert_variables_match,
    float64_torch,  # noqa: F401 - an autouse fixture
    implicit_root_name,
    printout_in_torch,
    run_in_torch,
)


def run(source: str, **kw) -> ProgramResult:
    result = run_program(textwrap.dedent(source), **kw)
    assert result.error is None or result.error.kind != "internal", result.error.message
    return result


def run_ok(source: str, **kw) -> ProgramResult:
    result = run(source, **kw)
    assert result.error is None, (result.error.kind, result.error.message)
    return result


def assert_matches_torch(source: str, **kw) -> ProgramResult:
    result = run_ok(source, **kw)
    theirs = run_in_torch(textwrap.dedent(source), result)
    assert_same_printout(result.stdout, printout_in_torch(textwrap.dedent(source), result))
    assert_variables_match(result.variables, theirs.env)
    return result


# ---------------------------------------------------------------- every construct, against torch

SNIPPETS = {
    "imports_and_print": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import nn
        import numpy as np
        # a comment, then a blank line

        x = torch.tensor(2.0, requires_grad=True)
        y = x ** 2
        y.backward()
        print(x.grad)
        print(x, y)
        print(x.requires_grad, x.is_leaf, y.is_leaf, x.grad_fn, y.grad)
    """,
    "numbers_and_lists": """
        import torch
        a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        b = torch.tensor(((1, 2), (3, 4)))
        c = torch.tensor([-1.5, +2.0, 3e-3])
        n = 2 ** 3 + 7 / 2 - 1 * 3
        m = -n
        print(a, b, c, n, m)
        print(a.shape, b.shape, a.size(), a.size(0), a.size(-1), a.shape[1], a.shape[-1])
    """,
    "arithmetic_broadcasting": """
        import torch
        x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        v = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
        col = torch.tensor([[2.0], [3.0]], requires_grad=True)
        y = (x + v) * col - x / col + 2 - 3 * x + 1 / (x + 1) + x ** 2 + 2 ** v - (-x)
        z = +y
        loss = y.sum() + (col ** v).mean()
        loss.backward()
        print(y)
    """,
    "elementwise_functions": """
        import torch
        import torch.nn.functional as F
        x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
        a = torch.exp(x) + torch.log(x) + torch.sin(x) + torch.cos(x)
        b = torch.tanh(x) + torch.sigmoid(x) + torch.relu(x - 1) + torch.sqrt(x) + torch.abs(x - 1)
        c = x.exp() + x.log() + x.sin() + x.cos() + x.tanh() + x.sigmoid() + x.relu() + x.sqrt()
        d = x.abs() + x.pow(3) + torch.pow(x, 2) + F.relu(x - 1.0) + F.sigmoid(x) + F.tanh(x)
        e = x.neg() + x.add(1) + x.sub(x) + x.mul(2) + x.div(4)
        loss = (a + b + c + d + e).sum()
        loss.backward()
    """,
    "reductions": """
        import torch
        x = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], requires_grad=True)
        s0 = torch.sum(x)
        s1 = torch.sum(x, dim=0)
        s2 = torch.mean(x, dim=1, keepdim=True)
        s3 = x.sum(1)
        s4 = x.mean(0)
        s5 = x.sum(dim=-1, keepdim=True)
        m = x.max()
        k = torch.max(x * 2)
        loss = s0 + s1.sum() + s2.sum() + s3.sum() + s4.sum() + s5.sum() + m + k + x.mean()
        loss.backward()
        print(s1, s2, m)
    """,
    "max_ties_split": """
        import torch
        x = torch.tensor([1.0, 3.0, 3.0], requires_grad=True)
        m = x.max()
        m.backward()
        print(x.grad)
    """,
    "shapes": """
        import torch
        x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        a = x.unsqueeze(0)
        b = a.squeeze(0)
        c = x.reshape(-1)
        d = x.view(3, 2)
        e = x.reshape((3, 2))
        f = torch.reshape(x, (6,))
        g = x.t()
        h = x.T
        i = x.transpose(0, 1)
        j = torch.unsqueeze(x, -1)
        k = torch.squeeze(j)
        l = torch.transpose(x, 1, 0)
        loss = (a.sum() + b.sum() * 2 + (c * c).sum() + (d * 3).sum() + e.sum() + f.sum()
                + (g * g).sum() + h.sum() + i.sum() + j.sum() + k.sum() + l.sum())
        loss.backward()
        print(a.shape, c.shape, d.shape, g.shape, x.dim(), x.numel(), x.ndim)
    """,
    "indexing": """
        import torch
        x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], requires_grad=True)
        a = x[0]
        b = x[1, 2]
        c = x[:, 1]
        d = x[1:3]
        e = x[-1]
        f = x[0:2, 1:]
        g = x[::2]
        h = x[-1, -1]
        loss = a.sum() + b + c.sum() * 2 + d.sum() + e.sum() + f.sum() + g.sum() + h
        loss.backward()
        print(a, b, c, f)
    """,
    "matmul": """
        import torch
        A = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        B = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.0, -2.0]], requires_grad=True)
        v = torch.tensor([1.0, -1.0], requires_grad=True)
        w = torch.tensor([2.0, 1.0, 0.5], requires_grad=True)
        C = A @ B
        D = torch.matmul(B, A)
        u = A @ v
        s = v @ v
        r = w @ A
        loss = C.sum() + D.sum() + u.sum() + s + r.sum() + torch.mm(A, B).sum() + torch.dot(v, v)
        loss.backward()
        print(C)
    """,
    "softmax_and_losses": """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        logits = torch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], requires_grad=True)
        target = torch.tensor([1, 2])
        p = F.softmax(logits, dim=1)
        lp = F.log_softmax(logits, dim=1)
        q = torch.softmax(logits, 0)
        r = logits.log_softmax(1)
        ce = F.cross_entropy(logits, target)
        ce_sum = F.cross_entropy(logits, target, reduction='sum')
        ce_none = F.cross_entropy(logits, target, reduction='none')
        criterion = nn.CrossEntropyLoss()
        ce2 = criterion(logits, target)
        mse = F.mse_loss(p, torch.ones(2, 3))
        mse_fn = nn.MSELoss(reduction="sum")
        mse2 = mse_fn(lp, torch.zeros(2, 3))
        nll = F.nll_loss(lp, target)
        loss = ce + ce_sum + ce_none.sum() + ce2 + mse + mse2 + p.sum() + q.sum() + r.sum() + nll
        loss.backward()
        print(ce, ce_none, criterion, mse_fn)
    """,
    "loss_module_inline": """
        import torch
        pred = torch.tensor([0.2, 1.5, -0.3], requires_grad=True)
        target = torch.tensor([2])
        loss = torch.nn.CrossEntropyLoss()(pred.unsqueeze(0), target)
        loss.backward()
        print(loss.shape, pred.grad)
    """,
    "activation_modules": """
        import torch
        from torch import nn
        x = torch.tensor([[-1.0, 0.5], [2.0, -3.0]], requires_grad=True)
        relu = nn.ReLU()
        soft = nn.Softmax(dim=1)
        y = relu(x) + nn.Sigmoid()(x) + nn.Tanh()(x) + soft(x) + nn.LogSoftmax(dim=0)(x)
        y.sum().backward()
        print(relu, soft)
    """,
    "autograd": """
        import torch
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        y.backward(gradient=torch.tensor([1.0, 0.1, 0.01]))
        print(x.grad)
        z = torch.tanh(x * 2).sum()
        z.backward(retain_graph=True)
        z.backward()
        d = y.detach()
        v = z.item()
        n = d.sum().item()
        print(x.grad, d, d.requires_grad, v, n, y.grad, z.grad_fn)
    """,
    "seed_with_ones_like": """
        import torch
        w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
        losses = (w * 2) ** 2
        losses.backward(gradient=torch.ones_like(losses))
        print(w.grad)
    """,
    "sum_twice_accumulates": """
        import torch
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        s = x.sum()
        s.backward()
        s.backward()
        print(x.grad)
    """,
    "accumulate_across_graphs": """
        import torch
        w = torch.tensor(2.0, requires_grad=True)
        a = w * 3
        a.backward()
        b = w ** 2
        b.backward()
        print(w.grad)
    """,
    "creation": """
        import torch
        z = torch.zeros(2, 3)
        o = torch.ones((2, 3), requires_grad=True)
        zl = torch.zeros_like(o)
        ol = torch.ones_like(z)
        r = torch.arange(5)
        rf = torch.arange(1.0, 2.0, 0.25)
        ri = torch.arange(0, 10, 3)
        l = torch.tensor([1, 2], dtype=torch.float64)
        i = torch.tensor([1.0, 2.0], dtype=torch.long)
        zi = torch.zeros(3, dtype=torch.long)
        ar = torch.arange(4, dtype=torch.float64)
        loss = (o * 2).sum()
        loss.backward()
        print(z, o, r, rf, ri, l, i, zi, ar, zi.dtype)
    """,
    "relu_abs_at_zero": """
        import torch
        x = torch.tensor([0.0, -1.0, 2.0], requires_grad=True)
        y = (torch.relu(x) + torch.abs(x)).sum()
        y.backward()
        print(x.grad)
    """,
    "requires_grad_set": """
        import torch
        x = torch.ones(2)
        x.requires_grad = True
        w = torch.zeros(2).requires_grad_()
        y = (x * 3 + w).sum()
        y.backward()
        x.grad = None
        print(x.grad, w.grad, x.requires_grad)
    """,
    "requires_grad_on_a_computed_constant": """
        import torch
        c = torch.ones(2) * 2
        c.requires_grad = True
        y = (c * 3).sum()
        y.backward()
        print(c, c.grad, c.is_leaf)
    """,
    "int_and_float_casts": """
        import torch
        t = torch.tensor([0, 2, 1])
        f = t.double()
        g = f.long()
        print(t, f, g, t.tolist())
    """,
    "empty_batch": """
        import torch
        import torch.nn.functional as F
        x = torch.ones(0, 3, requires_grad=True)
        t = torch.zeros(0, dtype=torch.long)
        loss = F.cross_entropy(x, t)
        loss.backward()
        print(x.grad, t)
    """,
    "empty_softmax": """
        import torch
        import torch.nn.functional as F
        a = F.softmax(torch.zeros(0), dim=0)
        b = torch.zeros(2, 0).log_softmax(1)
        c = torch.tensor([1.0, -1e400, 2.0], requires_grad=True).softmax(0)
        c[0].backward()
        print(a, b, c)
    """,
    "grad_fn_names": """
        import torch
        x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        v = torch.tensor([1.0, 2.0], requires_grad=True)
        a = x + 1
        b = x * x
        c = x - v
        d = x / 2
        e = -x
        f = x @ x
        g = x @ v
        h = v @ v
        i = x.sum(0)
        j = x.mean()
        k = x[0]
        l = x[:, 0]
        m = x.reshape(4)
        n = x.T
        o = x.t()
        p = x.transpose(0, 1)
        q = x.unsqueeze(0)
        r = q.squeeze(0)
        s = x.exp()
        print(a.grad_fn, f.grad_fn, g.grad_fn.name())
        out = s.sum()
    """,
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_matches_torch(name: str) -> None:
    assert_matches_torch(SNIPPETS[name])


def test_check_program_returns_the_tree() -> None:
    tree = check_program("import torch\nx = torch.ones(2)\n", Limits())
    assert [type(s).__name__ for s in tree.body] == ["Import", "Assign"]


# ---------------------------------------------------------------- free variables


def torch_grads(expr: str, values: dict[str, float]) -> dict[str, float]:
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in values.items()}
    out = eval(expr, {**MATH, **leaves})  # noqa: S307 - test oracle on our own literal
    out.backward()
    return {k: t.grad.item() for k, t in leaves.items()}


def test_free_variables_are_scalar_inputs_with_values_from_inputs() -> None:
    r = run_ok("f = (x * y + sin(x)) ** 2", inputs={"x": 0.5, "y": -2.0, "unused": 7.0})
    assert r.free_variables == {"x": 0.5, "y": -2.0}
    x = r.variables["x"]
    assert (x.origin, x.name, x.shape, x.requires_grad, x.is_leaf) == ("input", "x", (), True,
                                                                       True)
    assert r.implicit_backward and r.backward_calls == 0
    expected = torch_grads("(x * y + sin(x)) ** 2", {"x": 0.5, "y": -2.0})
    assert r.variables["x"].grad.item() == pytest.approx(expected["x"], rel=1e-12)
    assert r.variables["y"].grad.item() == pytest.approx(expected["y"], rel=1e-12)


def test_free_variables_default_to_distinct_values_in_first_use_order_once() -> None:
    r = run_ok("f = b * a + b")
    assert list(r.free_variables) == ["b", "a"]
    assert r.free_variables == {"b": 2.0, "a": 3.0}     # distinct (issue 14): 2, 3, 0.5, …
    inputs = [t for t in r.tape.tensors if t.origin == "input"]
    assert [t.name for t in inputs] == ["b", "a"]
    # f = b*a + b: df/db = a + 1 = 4, df/da = b = 2
    assert r.variables["b"].grad.item() == 4.0
    assert r.variables["a"].grad.item() == 2.0
    three = run_ok("f = x * y + z")
    assert len(set(three.free_variables.values())) == 3


def test_bare_math_names_are_functions_only_when_called() -> None:
    r = run_ok("g = exp(x) + log(x) + sqrt(x) + abs(x) + relu(x) + tanh(x) + sigmoid(x)"
               " + cos(x) + pow(x, 3)", inputs={"x": 2.0})
    expected = torch_grads("exp(x) + log(x) + sqrt(x) + abs(x) + relu(x) + tanh(x) + sigmoid(x)"
                           " + cos(x) + pow(x, 3)", {"x": 2.0})
    assert r.variables["x"].grad.item() == pytest.approx(expected["x"], rel=1e-12)
    assert list(r.free_variables) == ["x"]


def test_input_that_is_not_a_number_is_an_error() -> None:
    r = run("f = x * 2", inputs={"x": "abc"})
    assert r.error is not None and r.error.kind == "argument" and r.error.line == 1


# ---------------------------------------------------------------- implicit backward


def test_implicit_backward_uses_the_last_assigned_tensor_that_requires_grad() -> None:
    """A typed expression (no framework used) gets the implicit backward."""
    r = run_ok("""
        a = w * 2
        b = a * a
        k = 4
    """, inputs={"w": 3.0})
    assert r.implicit_backward and r.backward_calls == 0 and not r.framework
    assert implicit_root_name(r) == "b"
    assert r.variables["w"].grad.item() == 24.0   # b = (2w)^2 = 4w^2, db/dw = 8w = 24


def test_a_framework_program_that_never_calls_backward_is_only_offered_one() -> None:
    """PyTorch runs nothing the program did not ask for: `.grad` stays None, and the trace
    offers the backward pass of the last scalar that requires grad."""
    r = run_ok("""
        import torch
        w = torch.tensor(3.0, requires_grad=True)
        a = w * 2
        b = a * a
        c = torch.tensor(5.0)
        k = 4
    """)
    assert r.framework and not r.implicit_backward and r.backward_calls == 0
    assert r.offer_backward == "b"
    assert r.variables["w"].grad is None
    assert not any(e["type"] == "backward" for e in r.tape.events)


def test_no_implicit_backward_after_an_explicit_call() -> None:
    r = run_ok("""
        import torch
        w = torch.tensor(3.0, requires_grad=True)
        a = w * 2
        a.backward()
        b = w * 5
    """)
    assert not r.implicit_backward and r.backward_calls == 1
    assert r.variables["w"].grad.item() == 2.0


def test_no_implicit_backward_without_a_tensor_that_requires_grad() -> None:
    r = run_ok("import torch\nx = torch.ones(3)\ny = x * 2\n")
    assert not r.implicit_backward
    assert not any(e["type"] == "backward" for e in r.tape.events)


def test_a_vector_output_never_fails_for_a_backward_the_program_did_not_ask_for() -> None:
    r = run("import torch\nw = torch.ones(3, requires_grad=True)\nv = w * 2\n")
    assert r.error is None and not r.implicit_backward
    assert r.offer_backward is None   # not a scalar: nothing to offer


def test_no_implicit_backward_after_a_runtime_error() -> None:
    r = run("w = x * 2\ny = torch.ones(2)\n")
    assert r.error.kind == "name" and not r.implicit_backward


# ---------------------------------------------------------------- spans and error positions


def test_each_op_carries_the_span_of_its_innermost_expression() -> None:
    src = "import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = (x * 2) + torch.exp(x)\n"
    r = run_ok(src)
    spans = {rec.op.name: rec.span for rec in r.tape.records}
    assert spans["mul"] == (3, 6, 3, 11)          # x * 2
    assert spans["exp"] == (3, 15, 3, 27)         # torch.exp(x)
    assert spans["add"] == (3, 5, 3, 27)          # (x * 2) + torch.exp(x)
    assert r.variables["x"].span == (2, 5, 2, 42)  # torch.tensor(2.0, requires_grad=True)
    line = src.splitlines()[2]
    assert line[5:10] == "x * 2" and line[14:26] == "torch.exp(x)"


def test_free_variable_leaf_carries_its_first_use() -> None:
    r = run_ok("f = 3 * x\ng = f + x\n")
    assert r.variables["x"].span == (1, 9, 1, 10)


def test_columns_count_characters_not_bytes() -> None:
    r = run_ok('print("∂L/∂x é", x * 2)\n')
    (rec,) = r.tape.records
    assert rec.span == (1, 18, 1, 23)
    assert 'print("∂L/∂x é", x * 2)'[17:22] == "x * 2"


def test_multiline_statement_spans() -> None:
    r = run_ok("import torch\ny = (torch.ones(2)\n     * 3).sum()\n")
    mul = next(rec for rec in r.tape.records if rec.op.name == "mul")
    assert mul.span == (2, 6, 3, 9)


def test_runtime_error_names_line_and_column_and_keeps_what_ran() -> None:
    r = run("""\
        import torch
        a = torch.ones(2, 3, requires_grad=True)
        b = torch.ones(2)
        c = a + b
        d = c * 2
    """)
    assert r.error.kind == "shape"
    assert r.error.message == "cannot broadcast shapes (2, 3) and (2,)"
    assert (r.error.line, r.error.col, r.error.end_line, r.error.end_col) == (4, 5, 4, 10)
    assert set(r.variables) == {"a", "b"}
    assert not r.implicit_backward


def test_matmul_mismatch_names_both_shapes() -> None:
    r = run("import torch\na = torch.ones(2, 3)\nb = a @ torch.ones(2, 3)\n")
    assert r.error.kind == "shape" and "(2, 3)" in r.error.message and r.error.line == 3


@pytest.mark.parametrize("source, message, line", [
    ("import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x * 2\ny.backward()\n",
     "grad can be implicitly created only for scalar outputs", 4),
    ("import torch\nx = torch.tensor(1.0, requires_grad=True)\ny = torch.tanh(x * x)\n"
     "y.backward()\ny.backward()\n", "Trying to backward through the graph a second time", 5),
    ("import torch\nx = torch.tensor(1.0)\ny = x * 2\ny.backward()\n",
     "element 0 of tensors does not require grad and does not have a grad_fn", 4),
])
def test_backward_errors_use_pytorchs_words(source: str, message: str, line: int) -> None:
    r = run(source)
    assert r.error.kind == "backward"
    assert r.error.message.startswith(message)
    assert (r.error.line, r.error.col) == (line, 1)
    with pytest.raises(RuntimeError, match=message.split(" (")[0][:40]):
        run_in_torch(source, r)


# ---------------------------------------------------------------- names


def test_use_before_assignment_is_a_name_problem() -> None:
    r = run("a = 1\nb = y + 1\nc = 2\ny = 3\n")
    assert r.error.kind == "name" and r.error.python_type == "NameError"
    assert r.error.message == "name 'y' is not defined (it is assigned later, on line 4)"
    assert (r.error.line, r.error.col) == (2, 5)


def test_module_used_without_import_is_assumed_with_a_note() -> None:
    r = run_ok("x = torch.ones(2)\ny = F.relu(x - 2)\nprint(y)\n")
    assert r.framework and r.stdout == "tensor([0., 0.])\n"
    assert r.notes == ["Assumed `import torch`: the program uses torch without importing it.",
                       "Assumed `import torch.nn.functional as F`: the program uses F without "
                       "importing it."]


def test_a_typo_in_a_framework_program_is_a_name_error_not_a_slider() -> None:
    r = run("import torch\nweight = torch.ones(2)\ny = wieght * 2\n")
    assert r.error.kind == "name" and r.error.python_type == "NameError"
    assert r.error.message == "name 'wieght' is not defined. Did you mean: 'weight'?"
    assert r.free_variables == {}


def test_unknown_tensor_method_suggests_the_nearest() -> None:
    r = run("import torch\nx = torch.ones(2)\ny = x.sumx()\n")
    assert r.error.kind == "name"
    assert "sumx" in r.error.message and "did you mean sum?" in r.error.message
    assert (r.error.line, r.error.col) == (3, 5)


def test_unknown_torch_function_is_refused_with_a_suggestion() -> None:
    with pytest.raises(RefusedError) as e:
        run_program("import torch\nx = torch.ones(2)\ny = torch.sine(x)\n")
    assert "torch.sine" in e.value.message and "did you mean torch.sin?" in e.value.message
    assert (e.value.line, e.value.col) == (3, 5)


def test_first_name_wins_and_variables_hold_every_value() -> None:
    r = run_ok("""
        import torch
        import torch.nn as nn
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        a = x * 2
        b = a
        s = x.shape
        n = x.size(0)
        v = a.sum().item()
        crit = nn.MSELoss()
        nothing = None
        loss = crit(a, torch.zeros(2))
    """)
    assert r.variables["a"].name == "a" and r.variables["b"] is r.variables["a"]
    assert isinstance(r.variables["s"], Size) and r.variables["s"] == (2,)
    assert r.variables["n"] == 2 and r.variables["v"] == 6.0 and r.variables["nothing"] is None
    assert repr(r.variables["crit"]) == "MSELoss()"
    assert "torch" not in r.variables and "nn" not in r.variables


def test_loss_object_is_reusable() -> None:
    assert_matches_torch("""
        import torch
        criterion = torch.nn.MSELoss()
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        l1 = criterion(a, torch.tensor([0.0, 0.0]))
        l2 = criterion(a * 2, torch.tensor([1.0, 1.0]))
        loss = l1 + l2
        loss.backward()
    """)


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize("call, message", [
    ("torch.randn(2, foo=1)", "randn() got an unexpected keyword argument 'foo'"),
    ("x.sum(0, True, 3)", "sum() takes at most 2 positional arguments but 3 were given"),
    ("torch.tensor()", "tensor() is missing its argument 'data'"),
    ("F.cross_entropy(x, t, 'sum')", "positional argument"),
    ("x.backward(foo=1)", "backward() got an unexpected keyword argument 'foo'"),
    ("torch.nn.CrossEntropyLoss(reduction='avg')", "reduction must be 'mean', 'sum' or 'none'"),
    ("x.item()", "a Tensor with 2 elements cannot be converted to a Python number"),
    ("x(1)", "'Tensor' object is not callable"),
    ("x.max(1)", "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("F.mse_loss(2.0, x)", "mse_loss() expects a tensor, got the number 2.0"),
    ("F.softmax(-1.5, dim=0)", "softmax() expects a tensor, got the number -1.5"),
    ("torch.matmul(x, 2)", "matmul() expects a tensor, got the number 2"),
    ("torch.tensor(3.0).size(0)", "Dimension specified as 0 but tensor has no dimensions"),
    ("torch.sum(x, dim=True)", "dim must be an integer or a tuple of integers, got a boolean"),
    ("torch.randn(2, requires_grad=1)", "requires_grad must be True or False"),
    ("x.size(3)", "Dimension out of range (expected to be in range of [-1, 0], but got 3)"),
])
def test_wrong_arguments_get_clear_messages(call: str, message: str | None) -> None:
    src = ("import torch\nimport torch.nn.functional as F\n"
           "x = torch.ones(2, requires_grad=True)\nt = torch.tensor([0])\n"
           f"y = {call}\n")
    if message is None:  # the string is a positional argument: refused before running
        with pytest.raises(RefusedError):
            run_program(src)
        return
    r = run(src)
    assert r.error is not None and r.error.line == 5, call
    assert message in r.error.message, r.error.message


# ---------------------------------------------------------------- Python numbers


def test_number_arithmetic_is_python_like_and_never_hangs() -> None:
    r = run_ok("a = 2 ** 3\nb = 7 / 2\nc = 10 ** 10 ** 10\nd = 2 ** 100\ne = (-8) ** (1 / 3)\n"
               "f = 123456789012345678901234567890\ng = -(2 ** 62) * 4\nh = 2 ** -1\n")
    v = r.variables
    assert v["a"] == 8 and isinstance(v["a"], int)
    assert v["b"] == 3.5
    assert v["c"] == math.inf
    assert v["d"] == float(2 ** 100)
    assert math.isnan(v["e"])
    assert v["f"] == float(123456789012345678901234567890)
    assert v["g"] == float(-(2 ** 64))
    assert v["h"] == 0.5


@pytest.mark.parametrize("src, python", [
    ("a = 1 / 0", lambda: 1 / 0), ("a = 1.0 / 0.0", lambda: 1.0 / 0.0),
    ("a = 1 // 0", lambda: 1 // 0), ("a = 1.0 % 0", lambda: 1.0 % 0),
    ("a = 0 ** -1", lambda: 0 ** -1),
])
def test_number_errors_mirror_python(src: str, python) -> None:
    with pytest.raises(ZeroDivisionError) as expected:   # Python's own words are the oracle
        python()
    r = run(src)
    assert r.error.kind == "runtime" and r.error.message == str(expected.value)
    assert r.error.line == 1 and r.error.python_type == "ZeroDivisionError"


def test_tensor_division_by_zero_follows_torch() -> None:
    assert_matches_torch("import torch\nx = torch.tensor([1.0, -1.0, 0.0])\ny = x / 0\n")


# ---------------------------------------------------------------- randomness


def test_random_tensors_follow_the_seed() -> None:
    src = ("import torch\na = torch.randn(3, 4)\nb = torch.rand(5)\n"
           "c = torch.randint(0, 5, (100,))\n")
    r1, r2, r3 = run_ok(src, seed=1), run_ok(src, seed=1), run_ok(src, seed=2)
    np.testing.assert_array_equal(r1.variables["a"].data, r2.variables["a"].data)
    assert not np.array_equal(r1.variables["a"].data, r3.variables["a"].data)
    b, c = r1.variables["b"].data, r1.variables["c"].data
    assert ((b >= 0) & (b < 1)).all()
    assert c.dtype == np.int64 and c.min() >= 0 and c.max() <= 4
    assert r1.variables["a"].shape == (3, 4)


def test_manual_seed_replays() -> None:
    r = run_ok("import torch\ntorch.manual_seed(7)\na = torch.randn(3)\ntorch.manual_seed(7)\n"
               "b = torch.randn(3)\nc = torch.randint(5, (2,))\n")
    np.testing.assert_array_equal(r.variables["a"].data, r.variables["b"].data)
    assert r.variables["c"].shape == (2,)


# ---------------------------------------------------------------- printing


PRINTED = [
    np.array(4.0), np.array(-0.5), np.array([1.0, 2.0]), np.array([[1.0, 2.5], [3.0, 4.0]]),
    np.array([0.1, 123456.7]), np.array([1e-5, 1.0]), np.linspace(-3, 3, 50),
    np.array([[np.nan, 1.0], [np.inf, -2.0]]), np.array([[1e9, 2.0]]), np.array([0.0, 0.0]),
    np.random.default_rng(0).standard_normal((40, 30)),
    np.random.default_rng(1).standard_normal((3, 4, 5)),
    np.arange(2000.0), np.random.default_rng(2).standard_normal((50, 50)),
    np.array([-0.0, 1.0]), np.zeros((0, 3)), np.zeros(0),
    np.array([0, 2, 1]), np.array(5), np.arange(-50, 3000), np.array([[10, -200], [3, 4]]),
]


@pytest.mark.parametrize("i", range(len(PRINTED)))
def test_tensor_repr_matches_torch(i: int) -> None:
    arr = PRINTED[i]
    assert tensor_repr(Tensor(arr)) == str(torch.tensor(arr))


def test_repr_suffixes_match_torch() -> None:
    ours = Tensor(np.array([[1.0, -2.0], [0.25, 4.0]]), requires_grad=True)
    theirs = torch.tensor([[1.0, -2.0], [0.25, 4.0]], requires_grad=True)
    assert repr(ours) == str(theirs)
    assert repr(functional.mul(ours, 2)) == str(theirs * 2)
    wide = np.random.default_rng(3).standard_normal(12)
    w_ours = functional.mul(Tensor(wide, requires_grad=True), 3)
    w_theirs = torch.tensor(wide, requires_grad=True) * 3
    assert repr(w_ours) == str(w_theirs)


def test_print_statement_formats_like_python_and_torch() -> None:
    assert_matches_torch("""
        import torch
        x = torch.ones(2, 3)
        print(x.shape, x.size(), x.size(1), None, 3.0, 2, True, [1, 2.5], (1,))
        print("loss:", x.sum(), sep=" = ", end="!\\n")
        print()
        print(x.sum().item(), x.T.shape)
    """)


def test_grad_fn_prints_its_name() -> None:
    r = run_ok("import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x ** 2\n"
               "print(y.grad_fn, x.grad_fn, y.grad_fn.name())\n")
    # PyTorch prints an address after the name; chainrule prints a made-up stable one.
    assert re.fullmatch(r"<PowBackward0 object at 0x7f[0-9a-f]{10}> None PowBackward0\n",
                        r.stdout)


# ---------------------------------------------------------------- limits and robustness


def test_op_limit_stops_the_program_with_its_line() -> None:
    r = run("import torch\nx = torch.ones(2)\ny = x * 2\nz = y * 2\nw = z * 2\n",
            limits=Limits(max_ops=2))
    assert r.error.kind == "limit" and r.error.line == 5
    assert len(r.tape.records) == 2


def test_time_limit() -> None:
    r = run("import torch\nx = torch.ones(2)\n", limits=Limits(max_seconds=-1.0))
    assert r.error.kind == "limit" and r.error.line == 1


def test_big_tensor_limit() -> None:
    r = run("import torch\nx = torch.ones(10000, 10000)\n")
    assert r.error.kind == "limit" and r.error.line == 2


def test_printing_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import chainrule.engine.lang.interpreter as interp
    monkeypatch.setattr(interp, "MAX_STDOUT_CHARS", 50)
    r = run("import torch\nx = torch.ones(20)\nprint(x)\nprint(x)\n")
    assert r.error.kind == "limit" and r.error.line == 3


def test_engine_bug_becomes_an_internal_error_with_its_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import chainrule.engine.namespace as ns

    def broken(t):
        raise ValueError("boom")
    monkeypatch.setitem(ns.TENSOR_ATTRIBUTES, "shape", broken)
    r = run_program("import torch\nx = torch.ones(2)\ns = x.shape\n")
    assert r.error.kind == "internal" and "boom" in r.error.message
    assert (r.error.line, r.error.col) == (3, 5)
    assert isinstance(r.error.original, ValueError)


def test_run_program_raises_only_refusals() -> None:
    with pytest.raises(RefusedError):
        run_program("class A(metaclass=type):\n    pass\n")
    r = run_program("x = 1", seed="not a seed")  # type: ignore[arg-type]
    assert isinstance(r.error, ChainruleError)


def test_checker_bug_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    import chainrule.engine.lang.check as check

    def broken(self):
        raise KeyError("boom")
    monkeypatch.setattr(check._Walker, "resolve", broken)
    r = run_program("x = 1\n")
    assert r.error.kind == "internal"


@pytest.mark.parametrize("body, message", [
    ("y = x * 2\ny.requires_grad = False\n", "you can only change requires_grad flags of leaf"),
    ("t = torch.tensor([1, 2])\nt.requires_grad = True\n",
     "only Tensors of floating point"),
])
def test_setting_requires_grad_follows_pytorch(body: str, message: str) -> None:
    src = "import torch\nx = torch.ones(2, requires_grad=True)\n" + body
    r = run(src)
    assert r.error.kind == "runtime" and r.error.message.startswith(message)
    assert r.error.line == src.count("\n")
    with pytest.raises(RuntimeError, match=message):
        run_in_torch(src, r)


def test_a_number_over_a_tensor_records_what_pytorch_records() -> None:
    """PyTorch 2.13 prints MulBackward0 for `(3 / x).grad_fn` (Tensor.__rtruediv__ is
    x.reciprocal() * 3) and DivBackward0 for `x / 3` and for `x / x`; the values, grads and
    printout must match too."""
    r = assert_matches_torch("""
        import torch
        x = torch.tensor([0.5, -2.0, 4.0], requires_grad=True)
        a = 3 / x
        b = x / 3
        c = 1.5 / x.sum()
        d = x / x
        print(a.grad_fn, b.grad_fn, c.grad_fn, d.grad_fn)
        (a + b + c + d).sum().backward()
    """)
    assert r.variables["a"].grad_fn == "MulBackward0"
    assert [rec.op.name for rec in r.tape.records][:2] == ["reciprocal", "mul"]
