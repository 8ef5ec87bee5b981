"""torch.autograd.grad, higher-order gradients (create_graph), hooks, retain_grad, grad_fn
nodes, Variable, jacobian and hessian — every value, shape and message against real PyTorch,
run side by side in the test."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from chainrule.engine import autograd_api as api
from chainrule.engine import backward as bw
from chainrule.engine import functional as F
from chainrule.engine import namespace as ns
from chainrule.engine.autograd_functional import hessian, jacobian
from chainrule.engine.errors import ChainruleError
from chainrule.engine.graph import build_graph
from chainrule.engine.limits import Limits
from chainrule.engine.ops import Op, Rule
from chainrule.engine.tensor import Tape, Tensor, apply, recording


class UserFunction:
    """Stands in for the interpreter's function objects: the interface engine code relies on
    is `user_function = True` and a plain `__call__` (BRIEF: interfaces)."""

    user_function = True

    def __init__(self, fn) -> None:
        self.fn = fn

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


class Ours:
    """engine.functional under torch's spelling, so one formula runs on both."""

    def __getattr__(self, name):
        return getattr(F, name)

    @staticmethod
    def reshape(x, shape):
        return F.reshape(x, *shape)

    @staticmethod
    def index(x, key):
        return F.index(x, key)


class Theirs:
    def __getattr__(self, name):
        return getattr(torch, name)

    @staticmethod
    def index(x, key):
        return x[key]


OURS, THEIRS = Ours(), Theirs()


def leaf(values, requires_grad=True) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def tleaf(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def close(ours, theirs) -> None:
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(np.asarray(ours.data, dtype=np.float64),
                                   theirs.detach().double().numpy(), rtol=1e-9, atol=1e-12)


def message(fn) -> str:
    with pytest.raises((RuntimeError, TypeError)) as e:
        fn()
    return str(e.value)


@pytest.fixture
def tape():
    with recording(Tape(limits=Limits(max_seconds=120))) as t:
        yield t


# ---------------------------------------------------------------- higher-order gradients

CASES = {
    "cube": (lambda m, x, y: m.pow(x, 3), [1.5, -0.5], [0.3, 0.7]),
    "sin": (lambda m, x, y: m.sin(x), [0.3, 2.0], [1.0, 1.0]),
    "tanh": (lambda m, x, y: m.tanh(m.mul(x, y)), [0.3, -0.8], [1.2, 0.5]),
    "exp_xy": (lambda m, x, y: m.exp(m.mul(x, y)), [0.3, -0.8], [1.2, 0.5]),
    "sigmoid_log": (lambda m, x, y: m.log(m.add(m.sigmoid(x), y)), [0.3, -0.8], [1.2, 0.5]),
    "div_sqrt": (lambda m, x, y: m.div(m.sqrt(x), m.sub(y, m.neg(x))), [0.3, 2.0], [1.2, 0.5]),
    "cos_abs_relu": (lambda m, x, y: m.add(m.mul(m.cos(x), m.abs(y)), m.mul(m.relu(x), x)),
                     [0.3, -2.0], [1.2, -0.5]),
    "matmul": (lambda m, x, y: m.matmul(m.reshape(m.mul(x, y), (2, 1)),
                                        m.reshape(m.pow(x, 2), (1, 2))), [0.3, -2.0], [1.2, 2.5]),
    "mean_sum": (lambda m, x, y: m.mul(m.mean(m.pow(x, 3)), m.sum(m.mul(y, x))),
                 [0.3, -2.0], [1.2, 2.5]),
    "shapes": (lambda m, x, y: m.transpose(m.unsqueeze(m.pow(m.index(m.mul(x, y), 1), 2), 0)
                                           * m.squeeze(m.unsqueeze(x, 1), 1), 0, 0),
               [0.3, -2.0], [1.2, 2.5]),
    "softmax": (lambda m, x, y: m.mul(m.softmax(m.mul(x, y), 0), x), [0.3, -2.0], [1.2, 2.5]),
    "cat_stack_clone": (lambda m, x, y: m.mul(m.cat([m.mul(x, x), m.clone(y)], 0),
                                              m.reshape(m.stack([m.sin(x), y], 0), (4,))),
                        [0.3, -2.0], [1.2, 2.5]),
    "where_cumsum": (lambda m, x, y: m.cumsum(m.where(m.gt(x, 0), m.mul(x, x), m.mul(y, x)), 0),
                     [0.3, -2.0], [1.2, 2.5]),
    "scalar_broadcast": (lambda m, x, y: m.mul(m.sum(x), m.pow(y, 2)), [0.3, -2.0], [1.2, 2.5]),
}


@pytest.mark.parametrize("name", CASES)
def test_second_and_third_derivatives_match_torch(tape, name):
    f, xv, yv = CASES[name]
    results = []
    for m, make in ((OURS, leaf), (THEIRS, tleaf)):
        x, y = make(xv), make(yv)
        out = f(m, x, y)
        s = m.sum(out)
        g = bw.grad if m is OURS else torch.autograd.grad
        gx, gy = g([s] if m is OURS else s, [x, y], create_graph=True, allow_unused=True)
        gxx, gxy = g([m.sum(gx)] if m is OURS else gx.sum(), [x, y], create_graph=True,
                     allow_unused=True)
        gxxx = None
        if gxx is not None and gxx.requires_grad:
            gxxx, = g([m.sum(gxx)] if m is OURS else gxx.sum(), [x], allow_unused=True)
        results.append((gx, gy, gxx, gxy, gxxx))
    for ours, theirs in zip(*results, strict=True):
        if theirs is None and ours is not None:   # an unused input: zero in ours is wrong
            pytest.fail("a gradient torch leaves unused came back")
        close(ours, theirs)
    build_graph(tape, "")


def test_backward_create_graph_then_backward_of_the_grad(tape):
    w_t = torch.tensor(2.0, requires_grad=True)
    (w_t ** 3).backward(create_graph=True)
    first_fn = type(w_t.grad.grad_fn).__name__
    first = w_t.grad.detach().clone()
    w_t.grad.backward()

    w = leaf(2.0)
    bw.backward(F.pow(w, 3), create_graph=True)
    assert w.grad.requires_grad and w.grad.grad_fn == first_fn == "CopyBackwards"
    close(Tensor(w.grad.data), first)
    api.tensor_backward(w.grad)
    close(w.grad, w_t.grad)


def test_create_graph_through_an_op_without_a_graph_vjp_names_it(tape):
    cube = Op("cube", "CubeBackward0", lambda a: a ** 3,
              (Rule(vjp=lambda g, c: g * 3 * c.a ** 2, latex="3$a^2", text="3·$a²"),),
              saves=True)
    x = leaf([1.0, 2.0])
    y = apply(cube, (x,))
    gx, = bw.grad([F.sum(y)], [x])   # first order works
    assert gx.data.tolist() == [3.0, 12.0]
    with pytest.raises(ChainruleError) as e:
        bw.grad([F.sum(apply(cube, (x,)))], [x], create_graph=True)
    assert "higher-order gradients through cube are not supported yet" in e.value.message


# ---------------------------------------------------------------- autograd.grad


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone(tape):
    x_t = tleaf(3.0)
    expected = torch.autograd.grad(x_t ** 2, x_t)
    x = leaf(3.0)
    got = api.autograd_grad(F.pow(x, 2), x)
    assert isinstance(got, tuple) and len(got) == 1
    close(got[0], expected[0])
    assert x.grad is None and x_t.grad is None
    assert not got[0].requires_grad


def test_grad_errors_are_pytorchs(tape):
    x_t, v_t = tleaf(3.0), tleaf(1.0)
    y_t = x_t ** 2
    unused = message(lambda: torch.autograd.grad(y_t, [x_t, v_t], retain_graph=True))
    no_grad_input = message(lambda: torch.autograd.grad(y_t, [torch.tensor(1.)]))
    no_grad_output = message(lambda: torch.autograd.grad(torch.tensor(1.), x_t))
    not_scalar = message(lambda: torch.autograd.grad(x_t * torch.ones(2), x_t))
    torch.autograd.grad(y_t, x_t)
    second = message(lambda: torch.autograd.grad(y_t, x_t))

    x, v = leaf(3.0), leaf(1.0)
    y = F.pow(x, 2)
    cases = [
        (lambda: api.autograd_grad(y, [x, v], retain_graph=True), unused),
        (lambda: api.autograd_grad(y, [Tensor(np.float64(1.0))]), no_grad_input),
        (lambda: api.autograd_grad(Tensor(np.float64(1.0)), x), no_grad_output),
        (lambda: api.autograd_grad(F.mul(x, Tensor(np.ones(2))), x), not_scalar),
    ]
    for call, expected in cases:
        with pytest.raises(ChainruleError) as e:
            call()
        assert e.value.message == expected
    api.autograd_grad(y, x)
    with pytest.raises(ChainruleError) as e:
        api.autograd_grad(y, x)
    assert e.value.message == second


def test_grad_allow_unused_materialize_and_grad_outputs(tape):
    x_t, v_t = tleaf([1.0, 2.0]), tleaf(1.0)
    y_t = x_t * 3
    a = torch.autograd.grad(y_t, [x_t, v_t], grad_outputs=torch.tensor([1., 10.]),
                            retain_graph=True, allow_unused=True)
    b = torch.autograd.grad(y_t, [x_t, v_t], grad_outputs=[torch.tensor([2., 1.])],
                            materialize_grads=True)
    x, v = leaf([1.0, 2.0]), leaf(1.0)
    y = F.mul(x, 3)
    a2 = api.autograd_grad(y, [x, v], grad_outputs=leaf([1., 10.], False), retain_graph=True,
                           allow_unused=True)
    b2 = api.autograd_grad(y, [x, v], grad_outputs=[leaf([2., 1.], False)],
                           materialize_grads=True)
    for ours, theirs in zip((*a2, *b2), (*a, *b), strict=True):
        close(ours, theirs)


def test_grad_with_respect_to_a_non_leaf_and_two_outputs(tape):
    x_t = tleaf([1.0, 2.0])
    h_t = x_t.sin()
    out1, out2 = (h_t * h_t).sum(), (h_t * x_t).sum()
    expected = torch.autograd.grad([out1, out2], [h_t, x_t])
    x = leaf([1.0, 2.0])
    h = F.sin(x)
    got = api.autograd_grad([F.sum(F.mul(h, h)), F.sum(F.mul(h, x))], [h, x])
    for ours, theirs in zip(got, expected, strict=True):
        close(ours, theirs)


def test_backward_inputs_accumulates_only_there(tape):
    a_t, b_t = tleaf(2.0), tleaf(3.0)
    (a_t * b_t).backward(inputs=[a_t])
    empty = message(lambda: (a_t * 2).backward(inputs=[]))
    a, b = leaf(2.0), leaf(3.0)
    api.tensor_backward(F.mul(a, b), inputs=[a])
    close(a.grad, a_t.grad)
    assert b.grad is None and b_t.grad is None
    with pytest.raises(ChainruleError) as e:
        api.tensor_backward(F.mul(a, 2), inputs=[])
    assert e.value.message == empty


def test_autograd_backward_of_several_tensors(tape):
    x_t = tleaf([1.0, 2.0])
    torch.autograd.backward([(x_t ** 2).sum(), x_t * 3], [None, torch.tensor([1., 2.])])
    x = leaf([1.0, 2.0])
    api.autograd_backward([F.sum(F.pow(x, 2)), F.mul(x, 3)], [None, leaf([1., 2.], False)])
    close(x.grad, x_t.grad)


# ---------------------------------------------------------------- hooks and retain_grad


def test_hooks_replace_gradients_and_retain_grad_sees_the_result(tape):
    seen_t = []
    x_t = tleaf([1.0, 2.0])
    y_t = x_t * 3
    y_t.register_hook(lambda g: seen_t.append(g.clone()))
    y_t.retain_grad()
    y_t.register_hook(lambda g: g * 10)
    x_t.register_hook(lambda g: g + 1)
    (y_t * y_t).sum().backward()

    seen = []
    x = leaf([1.0, 2.0])
    y = F.mul(x, 3)
    api.TENSOR_METHODS["register_hook"](y, UserFunction(lambda g: seen.append(g)))
    api.TENSOR_METHODS["retain_grad"](y)
    api.TENSOR_METHODS["register_hook"](y, UserFunction(lambda g: F.mul(g, 10)))
    api.TENSOR_METHODS["register_hook"](x, UserFunction(lambda g: F.add(g, 1)))
    bw.backward(F.sum(F.mul(y, y)))
    close(seen[0], seen_t[0])
    close(y.grad, y_t.grad)
    close(x.grad, x_t.grad)
    assert api.TENSOR_ATTRIBUTES["retains_grad"](y) is y_t.retains_grad is True
    assert api.TENSOR_ATTRIBUTES["retains_grad"](x) is x_t.retains_grad is False
    hooks = [e for e in tape.events if e["type"] == "hook"]
    assert [h["tensor"] for h in hooks] == [y, y, x]
    assert hooks[0]["result"] is None and hooks[1]["result"].tolist() == [60.0, 120.0]


def test_hook_errors(tape):
    x_t = tleaf([1.0, 2.0])

    def bad(g):
        return torch.ones(3, dtype=torch.float64)
    y_t = x_t * 2
    y_t.register_hook(bad)
    size = message(lambda: y_t.sum().backward())
    y_t = x_t * 2
    y_t.register_hook(lambda g: 5)
    kind = message(lambda: y_t.sum().backward())
    no_grad = message(lambda: torch.ones(2).register_hook(lambda g: g))
    retain = message(lambda: torch.ones(2).retain_grad())

    x = leaf([1.0, 2.0])
    bad_fn = UserFunction(lambda g: Tensor(np.ones(3)))
    bad_fn.name = "bad"
    y = F.mul(x, 2)
    api.TENSOR_METHODS["register_hook"](y, bad_fn)
    for call, expected in [
        (lambda: bw.backward(F.sum(y)), size),
        (lambda: api.TENSOR_METHODS["register_hook"](Tensor(np.ones(2)), bad_fn), no_grad),
        (lambda: api.TENSOR_METHODS["retain_grad"](Tensor(np.ones(2))), retain),
    ]:
        with pytest.raises(ChainruleError) as e:
            call()
        assert e.value.message == expected
    y = F.mul(x, 2)
    api.TENSOR_METHODS["register_hook"](y, UserFunction(lambda g: 5))
    with pytest.raises(ChainruleError) as e:
        bw.backward(F.sum(y))
    assert e.value.message == kind and e.value.python_type == "TypeError"


def test_hook_handle_remove(tape):
    x = leaf([1.0, 2.0])
    handle = api.TENSOR_METHODS["register_hook"](x, UserFunction(lambda g: F.mul(g, 0)))
    ns.call(ns.get_attribute(handle, "remove"), (), {})
    bw.backward(F.sum(F.mul(x, 2)))
    assert x.grad.data.tolist() == [2.0, 2.0]


# ---------------------------------------------------------------- grad_fn nodes, Variable


def test_grad_fn_nodes_names_identity_and_next_functions(tape):
    a_t = tleaf([1.0, 2.0])
    y_t = a_t * 2
    z_t = (y_t * a_t).sum()
    x = leaf([1.0, 2.0])
    y = F.mul(x, 2)
    z = F.sum(F.mul(y, x))
    node = api.TENSOR_ATTRIBUTES["grad_fn"]
    assert node(z) is node(z)
    assert node(z).name == type(z_t.grad_fn).__name__ == "SumBackward0"
    (mul_node, _), = node(z).next_functions
    (y_node, i), (acc, j) = mul_node.next_functions
    (t_y, _), (t_acc, _) = z_t.grad_fn.next_functions[0][0].next_functions
    assert y_node is node(y) and y_node.name == type(t_y).__name__
    assert acc.name == type(t_acc).__name__ == "AccumulateGrad" and acc.variable is x
    assert acc.qualified_name() == t_acc.name()
    assert (i, j) == (0, 0)
    (_, _), (none, _) = node(y).next_functions   # the constant 2
    assert none is None and y_t.grad_fn.next_functions[1][0] is None
    assert node(x) is None


def test_variable_is_a_new_tensor_sharing_data(tape):
    a_t = tleaf([1.0])
    v_t = torch.autograd.Variable(a_t)
    w_t = torch.autograd.Variable(torch.ones(2), requires_grad=True)
    bad = message(lambda: torch.autograd.Variable([1.0]))
    a = leaf([1.0])
    v = api.variable(a)
    w = api.variable(Tensor(np.ones(2)), requires_grad=True)
    assert (v is a) is (v_t is a_t) is False
    assert v.requires_grad is v_t.requires_grad is False
    assert w.requires_grad and w.is_leaf and w_t.is_leaf
    with pytest.raises(ChainruleError) as e:
        api.variable([1.0])
    assert e.value.message == bad


# ---------------------------------------------------------------- jacobian and hessian


def _both(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs, strict=True):
            _both(o, t)
    else:
        close(ours, theirs)
        assert not ours.requires_grad


FUNCTIONAL = {
    "square": (lambda m: lambda t: m.pow(t, 2), ([1.0, 2.0],)),
    "to_scalar": (lambda m: lambda t: m.sum(m.pow(t, 2)), ([1.0, 2.0],)),
    "scalar_in": (lambda m: lambda t: m.sin(t), (0.5,)),
    "two_inputs": (lambda m: lambda a, b: m.mul(a, b), ([1.0, 2.0], [3.0, 4.0])),
    "constant_out": (lambda m: lambda t: m.mul(m.sum(m.mul(t, 0.0)), 0.0), ([1.0, 2.0],)),
    "matrix": (lambda m: lambda t: m.matmul(m.reshape(t, (2, 2)), m.reshape(t, (2, 2))),
               ([1.0, 2.0, 3.0, 4.0],)),
}


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_jacobian_matches_torch(tape, name):
    make, args = FUNCTIONAL[name]
    ours_in = tuple(leaf(a, False) for a in args)
    theirs_in = tuple(torch.tensor(a, dtype=torch.float64) for a in args)
    pack = (lambda xs: xs) if len(args) > 1 else (lambda xs: xs[0])
    expected = torch.autograd.functional.jacobian(make(THEIRS), pack(theirs_in))
    got = jacobian(UserFunction(make(OURS)), pack(ours_in))
    _both(got, expected)


def test_jacobian_of_a_tuple_of_outputs(tape):
    ins_t = (torch.tensor([1., 2.], dtype=torch.float64),) * 2
    expected = torch.autograd.functional.jacobian(lambda a, b: (a * b, a.sum()), ins_t)
    ins = (leaf([1., 2.], False), leaf([1., 2.], False))
    got = jacobian(UserFunction(lambda a, b: (F.mul(a, b), F.sum(a))), ins)
    _both(got, expected)


@pytest.mark.parametrize("name, f, args", [
    ("cube", lambda m: lambda t: m.sum(m.pow(t, 3)), ([1.0, 2.0],)),
    ("exp_xy", lambda m: lambda a, b: m.sum(m.exp(m.mul(a, b))), ([0.1, 0.2], [0.3, -0.4])),
    ("tanh_mean", lambda m: lambda t: m.mean(m.tanh(t)), ([0.1, 0.2, -1.0],)),
    ("scalar", lambda m: lambda t: m.mul(t, t), (0.5,)),
])
def test_hessian_matches_torch(tape, name, f, args):
    ours_in = tuple(leaf(a, False) for a in args)
    theirs_in = tuple(torch.tensor(a, dtype=torch.float64) for a in args)
    pack = (lambda xs: xs) if len(args) > 1 else (lambda xs: xs[0])
    expected = torch.autograd.functional.hessian(f(THEIRS), pack(theirs_in))
    got = hessian(UserFunction(f(OURS)), pack(ours_in))
    _both(got, expected)


def test_functional_errors(tape):
    x_t = torch.ones(2)
    not_single = message(lambda: torch.autograd.functional.hessian(lambda t: t * 2, x_t))
    bad_out = message(lambda: torch.autograd.functional.jacobian(lambda t: 3.0, x_t))
    bad_in = message(lambda: torch.autograd.functional.jacobian(lambda t: t, [x_t]))
    x = Tensor(np.ones(2))
    for call, expected in [
        (lambda: hessian(UserFunction(lambda t: F.mul(t, 2)), x), not_single),
        (lambda: jacobian(UserFunction(lambda t: 3.0), x), bad_out),
        (lambda: jacobian(UserFunction(lambda t: t), [x]), bad_in),
    ]:
        with pytest.raises(ChainruleError) as e:
            call()
        assert e.value.message == expected
