"""In-place ops, version counters, `.data` / `.detach()` sharing and grad modes, each checked
against the same steps run in real PyTorch (the oracle) inside the test."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from chainrule.engine import autograd_api as api
from chainrule.engine import functional as F
from chainrule.engine import grad_mode
from chainrule.engine.backward import backward
from chainrule.engine.errors import ChainruleError
from chainrule.engine.graph import build_graph
from chainrule.engine.lang import run_program
from chainrule.engine.limits import Limits
from chainrule.engine.tensor import Tape, Tensor, recording


def leaf(values, requires_grad=True) -> Tensor:
    return Tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def method(name):
    return api.TENSOR_METHODS[name]


def torch_error(fn) -> str:
    with pytest.raises(RuntimeError) as e:
        fn()
    return str(e.value)


def close(ours: Tensor | None, theirs: torch.Tensor | None) -> None:
    assert (ours is None) == (theirs is None)
    if ours is not None:
        np.testing.assert_allclose(np.asarray(ours.data, dtype=np.float64),
                                   theirs.detach().double().numpy(), rtol=1e-5, atol=1e-6)


@pytest.fixture
def tape():
    with recording(Tape(limits=Limits(max_seconds=120))) as t:
        yield t


# ---------------------------------------------------------------- version counter errors


def test_modified_saved_output_raises_pytorch_message(tape):
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    b = a.sigmoid()
    c = b * 2
    b.add_(1)
    expected = torch_error(lambda: c.sum().backward())

    x = leaf([1., 2., 3.])
    y = F.sigmoid(x)
    z = F.mul(y, 2)
    method("add_")(y, 1)
    with pytest.raises(ChainruleError) as ours:
        backward(F.sum(z))
    assert ours.value.message == expected
    assert y.version == b._version == 1


def test_modified_leaf_saved_by_sin_under_no_grad(tape):
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    z = a.sin()
    with torch.no_grad():
        a.add_(1)
    expected = torch_error(lambda: z.sum().backward())

    x = leaf([1., 2., 3.])
    s = F.sin(x)
    mode = grad_mode.no_grad()
    mode.enter()
    method("add_")(x, 1)
    mode.exit()
    with pytest.raises(ChainruleError) as ours:
        backward(F.sum(s))
    assert ours.value.message == expected
    assert "which is output" not in expected   # a leaf has no grad_fn to name


def test_unsaved_input_may_change_and_gradients_match(tape):
    # y*3 keeps only the number 3, so changing y afterwards is allowed; z's gradient flows
    # through the old y (MulBackward0 of a*2), not through the in-place mul_.
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    y = a * 2
    z = y * 3
    y.mul_(2)
    z.sum().backward()

    x = leaf([1., 2., 3.])
    yy = F.mul(x, 2)
    zz = F.mul(yy, 3)
    method("mul_")(yy, 2)
    backward(F.sum(zz))
    close(x.grad, a.grad)
    close(yy, y)
    assert yy.grad_fn == y.grad_fn.name() == "MulBackward0"
    assert yy.version == y._version == 1


def test_in_place_chain_gradient_matches(tape):
    a = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = a * 1
    y.mul_(a)
    y.add_(a, alpha=3)
    y.sub_(1)
    y.div_(2)
    y.pow_(2)
    y.exp_()
    y.sum().backward()

    x = leaf([0.5, -1.0, 2.0])
    t = F.mul(x, 1)
    method("mul_")(t, x)
    method("add_")(t, x, alpha=3)
    method("sub_")(t, 1)
    method("div_")(t, 2)
    method("pow_")(t, 2)
    method("exp_")(t)
    backward(F.sum(t))
    close(t, y)
    close(x.grad, a.grad)
    assert t.version == y._version == 6


def test_leaf_in_place_is_refused_outside_no_grad(tape):
    a = torch.tensor([1., 2.], requires_grad=True)
    expected = torch_error(lambda: a.add_(1))
    view = torch_error(lambda: a.__setitem__(0, 5.))
    x = leaf([1., 2.])
    with pytest.raises(ChainruleError) as e1:
        method("add_")(x, 1)
    with pytest.raises(ChainruleError) as e2:
        api.augmented(x, "-", 1)
    with pytest.raises(ChainruleError) as e3:
        api.setitem(x, 0, 5.0)
    assert e1.value.message == e2.value.message == expected
    assert e3.value.message == view
    assert x.version == 0 and np.array_equal(x.data, [1., 2.])


def test_sgd_step_under_no_grad_and_grad_zero(tape):
    w_t = torch.tensor([1., 2.], requires_grad=True)
    x_t = torch.tensor([3., 4.])
    history = []
    for _ in range(3):
        loss = ((w_t * x_t).sum() - 1) ** 2
        loss.backward()
        with torch.no_grad():
            w_t -= 0.01 * w_t.grad
        history.append(w_t.grad.clone())
        w_t.grad.zero_()

    w = leaf([1., 2.])
    x = leaf([3., 4.], requires_grad=False)
    ours = []
    for _ in range(3):
        loss = F.pow(F.sub(F.sum(F.mul(w, x)), 1), 2)
        backward(loss)
        mode = grad_mode.no_grad()
        mode.enter()
        assert api.augmented(w, "-", F.mul(0.01, w.grad)) is w
        mode.exit()
        ours.append(Tensor(w.grad.data))
        method("zero_")(w.grad)
    close(w, w_t)
    for o, t in zip(ours, history, strict=True):
        close(o, t)
    close(w.grad, w_t.grad)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w.version == w_t._version == 3
    build_graph(tape, "")   # every tensor an op used is a node (no KeyError)


def test_grad_accumulates_in_place(tape):
    a = torch.tensor([1., 2.], requires_grad=True)
    (a * 3).sum().backward()
    g = a.grad
    (a * a).sum().backward()
    assert g is a.grad

    x = leaf([1., 2.])
    backward(F.sum(F.mul(x, 3)))
    g_ours = x.grad
    backward(F.sum(F.mul(x, x)))
    assert g_ours is x.grad
    close(g_ours, g)
    assert g_ours.version == g._version


def test_data_shares_storage_without_version(tape):
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    out = a.sigmoid()
    c = out.data
    c.zero_()
    out.sum().backward()          # wrong gradients, silently: .data escapes autograd

    x = leaf([1., 2., 3.])
    o = F.sigmoid(x)
    cc = api.TENSOR_ATTRIBUTES["data"](o)
    assert not cc.requires_grad and cc.grad_fn is None
    method("zero_")(cc)
    backward(F.sum(o))
    close(o, out)
    close(x.grad, a.grad)
    assert (o.version, cc.version) == (out._version, c._version) == (0, 1)


def test_detach_shares_storage_and_version(tape):
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    z = a.sin()
    d = a.detach()
    d.zero_()
    expected = torch_error(lambda: z.sum().backward())

    x = leaf([1., 2., 3.])
    s = F.sin(x)
    dd = method("detach")(x)
    method("zero_")(dd)
    close(x, a)
    assert (x.version, dd.version) == (a._version, d._version) == (1, 1)
    with pytest.raises(ChainruleError) as e:
        backward(F.sum(s))
    assert e.value.message == expected


def test_data_assignment_back_keeps_training_working(tape):
    # `w.data -= lr * w.grad`: Python runs w.data.__isub__(...) and assigns the result back.
    w_t = torch.tensor([1., -1.], requires_grad=True)
    for _ in range(2):
        (w_t ** 2).sum().backward()
        w_t.data -= 0.1 * w_t.grad
        w_t.grad = None

    w = leaf([1., -1.])
    for _ in range(2):
        backward(F.sum(F.pow(w, 2)))
        d = api.TENSOR_ATTRIBUTES["data"](w)
        api.set_attribute(w, "data", api.augmented(d, "-", F.mul(0.1, w.grad)))
        api.set_attribute(w, "grad", None)
    close(w, w_t)
    assert w.grad is None and w.version == w_t._version == 0


# ---------------------------------------------------------------- other in-place methods


@pytest.mark.parametrize("name, args, kwargs", [
    ("zero_", (), {}), ("fill_", (2.5,), {}), ("clamp_", (0.0, 1.5), {}),
    ("clamp_", (), {"min": 0.5}), ("neg_", (), {}), ("sigmoid_", (), {}), ("relu_", (), {}),
    ("tanh_", (), {}), ("abs_", (), {}),
])
def test_unary_in_place_value_grad_fn_and_gradient(tape, name, args, kwargs):
    a = torch.tensor([-1.0, 0.25, 2.0], requires_grad=True)
    y = a * 2
    getattr(y, name)(*args, **kwargs)
    (y * torch.tensor([1., 2., 3.])).sum().backward()

    x = leaf([-1.0, 0.25, 2.0])
    t = F.mul(x, 2)
    method(name)(t, *args, **kwargs)
    backward(F.sum(F.mul(t, leaf([1., 2., 3.], requires_grad=False))))
    close(t, y)
    close(x.grad, a.grad)
    assert t.grad_fn == y.grad_fn.name()


def test_copy_broadcasts_and_passes_gradient_to_source(tape):
    a = torch.tensor([1., 2.], requires_grad=True)
    b = torch.tensor(3., requires_grad=True)
    y = a * 1
    y.copy_(b * 2)
    (y * torch.tensor([1., 5.])).sum().backward()

    x, s = leaf([1., 2.]), leaf(3.)
    t = F.mul(x, 1)
    method("copy_")(t, F.mul(s, 2))
    backward(F.sum(F.mul(t, leaf([1., 5.], requires_grad=False))))
    close(t, y)
    close(x.grad, a.grad)
    close(s.grad, b.grad)
    assert y.grad_fn.name() == "torch::autograd::CopyBackwards"


def test_in_place_errors_shape_and_dtype(tape):
    bad_shape = torch_error(lambda: torch.zeros(3).add_(torch.ones(2, 3)))
    bad_cast = torch_error(lambda: torch.tensor([1, 2]).add_(1.5))
    with pytest.raises(ChainruleError) as e1:
        method("add_")(Tensor(np.zeros(3)), Tensor(np.ones((2, 3))))
    i = Tensor(np.array([1, 2]))
    with pytest.raises(ChainruleError) as e2:
        api.augmented(i, "+", 1.5)
    assert e1.value.message == bad_shape
    assert e2.value.message == bad_cast
    assert i.version == 0 and i.data.tolist() == [1, 2]
    # a failed in-place op leaves nothing half-recorded: the graph still builds
    build_graph(tape, "")


def test_integer_in_place_stays_integer(tape):
    i_t = torch.tensor([1, 2])
    i_t += 1
    i_t *= 2
    i = Tensor(np.array([1, 2]))
    api.augmented(i, "+", 1)
    api.augmented(i, "*", 2)
    assert i.data.tolist() == i_t.tolist() and i.data.dtype == np.int64


# ---------------------------------------------------------------- item assignment


def test_setitem_on_non_leaf_copy_slices(tape):
    a = torch.tensor([1., 2., 3.], requires_grad=True)
    b = torch.tensor(4., requires_grad=True)
    y = a * 2
    y[0] = b * 3
    y[1:] = 7.0
    (y * torch.tensor([1., 2., 3.])).sum().backward()

    x, v = leaf([1., 2., 3.]), leaf(4.)
    t = F.mul(x, 2)
    api.setitem(t, 0, F.mul(v, 3))
    api.setitem(t, slice(1, None), 7.0)
    backward(F.sum(F.mul(t, leaf([1., 2., 3.], requires_grad=False))))
    close(t, y)
    close(x.grad, a.grad)
    close(v.grad, b.grad)
    assert t.grad_fn == "CopySlices" and t.version == y._version == 2


def test_setitem_with_mask_and_into_plain_tensor(tape):
    a = torch.tensor([1., -2., 3.], requires_grad=True)
    y = a * 1
    y[y < 0] = 0.0
    z = torch.zeros(2)
    z[1] = a[2]
    (y.sum() + z.sum() * 2).backward()

    x = leaf([1., -2., 3.])
    t = F.mul(x, 1)
    mask = Tensor(np.zeros(3))
    mask.data = np.asarray(t.data) < 0   # a bool tensor, as `t < 0` gives
    api.setitem(t, mask, 0.0)
    zz = Tensor(np.zeros(2))
    api.setitem(zz, 1, F.index(x, 2))
    backward(F.add(F.sum(t), F.mul(F.sum(zz), 2)))
    close(t, y)
    close(zz, z)
    close(x.grad, a.grad)
    assert t.grad_fn == y.grad_fn.name() == "IndexPutBackward0"
    assert zz.requires_grad and not zz.is_leaf and z.requires_grad and not z.is_leaf


def test_setitem_errors(tape):
    expected = torch_error(lambda: torch.zeros(3).__setitem__(slice(0, 2), torch.ones(3)))
    with pytest.raises(ChainruleError) as e:
        api.setitem(Tensor(np.zeros(3)), slice(0, 2), Tensor(np.ones(3)))
    assert e.value.message == expected
    with pytest.raises(IndexError) as t_err:
        torch.zeros(3)[5] = 1.0
    with pytest.raises(ChainruleError) as e2:
        api.setitem(Tensor(np.zeros(3)), 5, 1.0)
    assert e2.value.message == str(t_err.value)
    assert e2.value.python_type == "IndexError"


# ---------------------------------------------------------------- grad modes


def test_grad_modes_nest_and_set_grad_enabled_switches_when_called(tape):
    assert grad_mode.is_grad_enabled()
    outer = grad_mode.no_grad()
    outer.enter()
    inner = grad_mode.enable_grad()
    inner.enter()
    assert grad_mode.is_grad_enabled()
    inner.exit()
    assert not grad_mode.is_grad_enabled()
    outer.exit()
    # torch.set_grad_enabled(False) as a statement: off until changed
    grad_mode.set_grad_enabled(False)
    assert not grad_mode.is_grad_enabled()
    x = leaf([1.])
    assert not F.mul(x, 2).requires_grad
    grad_mode.set_grad_enabled(True)
    # used with `with`: the call switches, the exit restores
    mode = grad_mode.set_grad_enabled(False)
    assert not grad_mode.is_grad_enabled()
    mode.enter()
    mode.exit()
    assert grad_mode.is_grad_enabled()
    # inference_mode(False) leaves grad on
    m = grad_mode.inference_mode(False)
    m.enter()
    assert grad_mode.is_grad_enabled()
    m.exit()


def test_set_grad_enabled_as_decorator_undoes_its_switch(tape):
    mode = grad_mode.set_grad_enabled(False)
    per_call = mode.decorator()
    assert grad_mode.is_grad_enabled()
    per_call.enter()
    assert not grad_mode.is_grad_enabled()
    per_call.exit()
    assert grad_mode.is_grad_enabled()


def test_a_run_starts_with_grad_enabled():
    grad_mode.set_grad_enabled_now(False)
    try:
        with recording(Tape(limits=Limits(max_seconds=120))):
            assert grad_mode.is_grad_enabled()
        assert not grad_mode.is_grad_enabled()
    finally:
        grad_mode.set_grad_enabled_now(True)


@pytest.mark.parametrize("name", ["neg_", "sin_", "relu_", "zero_", "exp_"])
@pytest.mark.parametrize(("value", "literal"), [("0", 0), ("2.5", 2.5), ("None", None),
                                              ("[1.0]", [1.0])])
def test_torch_in_place_functions_take_a_tensor(name, value, literal):
    """torch.neg_(0) is PyTorch's TypeError, in its words (the fuzzer found an internal error
    here: the in-place machinery read `.requires_grad` off an int)."""
    with pytest.raises(TypeError) as want:
        getattr(torch, name)(literal)
    result = run_program(f"import torch\ny = torch.{name}({value})\n")
    assert result.error is not None and result.error.kind != "internal"
    assert result.error.python_type == "TypeError"
    assert result.error.message == str(want.value)
    assert (result.error.line, result.error.col) == (2, 5)
