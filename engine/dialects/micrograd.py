"""micrograd's way of writing backprop, as a table over chainrule's engine (issue 15).

    from micrograd.engine import Value
    a = Value(-4.0); b = Value(2.0)
    g = (a * b + b**3).relu()
    g.backward()             # a.grad, b.grad: micrograd's numbers (float64, like ours)

A `Value` is a scalar float64 tensor of the engine, of its own class so it prints, reads and
writes as micrograd's does: `Value(data=..., grad=...)`, `.data` a float, `.grad` a number that
every node has (0 until a backward pass), `_prev` its children, `_op` micrograd's op text.
Operators compose as micrograd composes them (`a - b` is `a + (-b)`, `-b` is `b * -1`, `a / b`
is `a * b**-1`), so the graph and the numbers are micrograd's. `backward()` always seeds 1.0 —
micrograd has no notion of an implicit gradient for non-scalar outputs, every Value is a
scalar — and, as micrograd's does, sets the root's grad to 1 and adds into every other node's.
`micrograd.nn` (Neuron, Layer, MLP) draws its weights with Python's `random.uniform(-1, 1)`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from chainrule.engine import backward as bw
from chainrule.engine import dialects
from chainrule.engine import functional as fn
from chainrule.engine import namespace as ns
from chainrule.engine.errors import ArgumentError, NameProblem
from chainrule.engine.grad_mode import GradMode
from chainrule.engine.python_random import generator as python_generator
from chainrule.engine.tensor import Tensor

_OP_TEXT = {"add": "+", "mul": "*", "relu": "ReLU", "tanh": "tanh", "exp": "exp"}


class Value(Tensor):
    """micrograd's Value over an engine tensor (no slots of its own: the engine's ops make
    Tensors, and `_value` re-classes their results)."""

    __slots__ = ()

    # -- how the language treats it (operators, attributes, printing, calls)
    @staticmethod
    def language_binary(sym: str, a: Any, b: Any) -> Any:
        return binary(sym, a, b)

    @staticmethod
    def language_unary(sym: str, a: Any) -> Any:
        if sym == "-":
            return _mul(a, -1)
        if sym == "+":
            raise ArgumentError("bad operand type for unary +: 'Value'", python_type="TypeError")
        raise ArgumentError(f"bad operand type for unary {sym}: 'Value'",
                            python_type="TypeError")

    def language_text(self, as_str: bool) -> str:
        return f"Value(data={_data(self)!r}, grad={_grad_text(self)})"


_grads: weakref.WeakKeyDictionary[Tensor, Any] = weakref.WeakKeyDictionary()
_labels: weakref.WeakKeyDictionary[Tensor, str] = weakref.WeakKeyDictionary()
_given_ops: weakref.WeakKeyDictionary[Tensor, str] = weakref.WeakKeyDictionary()
_int_data: weakref.WeakSet[Tensor] = weakref.WeakSet()   # Value(0): micrograd keeps the int


def _py(data: Any) -> float:
    return float(np.asarray(data))


def _data(v: Tensor) -> int | float:
    return int(np.asarray(v.data)) if v in _int_data else _py(v.data)


def _grad_text(v: Tensor) -> str:
    g = _grads.get(v, 0)
    return repr(g)


def _value(t: Tensor) -> Value:
    """Make an engine result (or a new leaf) a micrograd Value: float64, requires grad."""
    t.__class__ = Value
    t.dtype_name = "float64"
    return t  # type: ignore[return-value]


def make_value(data: Any, _children: Any = (), _op: Any = "", label: Any = "") -> Value:
    """`Value(data, _children=(), _op='')` (and the lecture's `label=`)."""
    if isinstance(data, Tensor) or not fn.is_number(data) or isinstance(data, bool):
        raise ArgumentError(f"Value() takes a number, got {fn.describe(data)}",
                            python_type="TypeError")
    v = _value(Tensor(np.float64(data), requires_grad=True))
    if isinstance(data, int):
        _int_data.add(v)
    if label:
        _labels[v] = str(label)
    if _op:
        _given_ops[v] = str(_op)
    return v


def _lift(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if fn.is_number(x) and not isinstance(x, bool):
        return make_value(float(x))   # micrograd wraps a number in a Value of its own
    raise ArgumentError(f"unsupported operand: a Value and {fn.describe(x)}",
                        python_type="TypeError")


def _recorded(make: Callable[[], Tensor]) -> Value:
    """micrograd always builds its graph: grad on for the op, whatever the mode outside."""
    mode = GradMode("micrograd", True)
    mode.enter()
    try:
        return _value(make())
    finally:
        mode.exit()


def _add(a: Any, b: Any) -> Value:
    return _recorded(lambda: fn.add(_lift(a), _lift(b)))


def _mul(a: Any, b: Any) -> Value:
    return _recorded(lambda: fn.mul(_lift(a), _lift(b)))


def _pow(a: Any, p: Any) -> Value:
    if isinstance(p, bool) or not isinstance(p, int | float):
        raise ArgumentError("only supporting int/float powers for now",
                            python_type="AssertionError")
    return _recorded(lambda: fn.pow(_lift(a), p))


def binary(sym: str, a: Any, b: Any) -> Any:
    """micrograd's operator methods, composed as micrograd composes them."""
    if sym == "+":
        return _add(a, b)
    if sym == "*":
        return _mul(a, b)
    if sym == "-":   # a + (-b); a number minus a Value is -b + a
        return _add(a, _mul(b, -1)) if isinstance(a, Value) else _add(_mul(b, -1), a)
    if sym == "/":   # a * b**-1; a number over a Value is b**-1 * a
        return _mul(a, _pow(b, -1)) if isinstance(a, Value) else _mul(_pow(b, -1), a)
    if sym == "**" and isinstance(a, Value):
        return _pow(a, b)
    left = "Value" if isinstance(a, Value) else type(a).__name__
    right = "Value" if isinstance(b, Value) else type(b).__name__
    raise ArgumentError(f"unsupported operand type(s) for {sym}: '{left}' and '{right}'",
                        python_type="TypeError")


# ---------------------------------------------------------------- backward


def _nodes(root: Value) -> list[Tensor]:
    """Every Value the root's graph reaches (micrograd's topological set)."""
    seen: dict[int, Tensor] = {}
    for record in bw.reachable_records(root):
        for t in (record.output, *record.inputs):
            if isinstance(t, Value) and t.requires_grad:
                seen.setdefault(id(t), t)
    seen.pop(id(root), None)
    return list(seen.values())


def backward(self: Value) -> None:
    """micrograd's `backward()`: the root's grad set to 1, every other node's increased by
    d root / d node (one reverse pass of the engine, seeded with 1.0)."""
    dialects.note("micrograd's backward() always seeds the output's grad with 1.0: every Value "
                  "is a scalar, so PyTorch's rule that grad can be implicitly created only for "
                  "scalar outputs never comes up.")
    nodes = _nodes(self)
    if nodes:
        grads = bw.grad([self], nodes, [None], retain_graph=True,
                        allow_unused=True)
        for node, g in zip(nodes, grads, strict=True):
            if g is not None:
                _grads[node] = _grads.get(node, 0) + _py(g.data)
    _grads[self] = 1


def _relu(self: Value) -> Value:
    return _recorded(lambda: fn.relu(self))


def _prev(v: Value) -> set:
    record = v.record
    if record is None:
        return set()
    return {t for t in record.inputs if isinstance(t, Value)}


def _op(v: Value) -> str:
    if v in _given_ops:
        return _given_ops[v]
    record = v.record
    if record is None:
        return ""
    name = record.op.name
    if name == "pow":
        exponent = record.attrs.get("p", record.attrs.get("exponent"))
        return f"**{exponent}" if exponent is not None else "**"
    return _OP_TEXT.get(name, name)


def _set_data(v: Value, value: Any) -> None:
    if isinstance(value, bool) or not fn.is_number(value):
        raise ArgumentError(f"Value.data must be a number here, got {fn.describe(value)}")
    v.data = np.float64(value)
    if isinstance(value, int):
        _int_data.add(v)
    else:
        _int_data.discard(v)


def _set_grad(v: Value, value: Any) -> None:
    if isinstance(value, bool) or not fn.is_number(value):
        raise ArgumentError(f"Value.grad must be a number here, got {fn.describe(value)}")
    _grads[v] = value


Value.language_methods = {
    "backward": lambda self: backward(self),
    "relu": lambda self: _relu(self),
}
Value.language_grad = staticmethod(lambda v: float(_grads.get(v, 0)))
Value.language_attributes = {
    "data": _data,
    "grad": lambda v: _grads.get(v, 0),
    "_prev": _prev,
    "_op": _op,
    "label": lambda v: _labels.get(v, ""),
}
_SETTERS: dict[str, Callable[[Value, Any], None]] = {
    "data": _set_data, "grad": _set_grad,
    "label": lambda v, text: _labels.__setitem__(v, str(text)),
}


def set_attribute(v: Value, name: str, value: Any) -> None:
    setter = _SETTERS.get(name)
    if setter is None:
        raise NameProblem(f"'Value' object attribute '{name}' cannot be set in chainrule",
                          python_type="AttributeError")
    setter(v, value)


Value.language_set_attribute = staticmethod(set_attribute)


# ---------------------------------------------------------------- micrograd.nn


@dataclass(eq=False)
class Neuron:
    w: list[Value]
    b: Value
    nonlin: bool = True

    def language_call(self, x: Any) -> Value:
        act = self.b
        for wi, xi in zip(self.w, x, strict=False):   # sum((wi*xi ...), self.b), in order
            act = _add(act, _mul(wi, xi))
        return _relu(act) if self.nonlin else act

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


def _neuron(nin: Any, nonlin: Any = True) -> Neuron:
    n = int(nin)
    fn.sized((n,), "Neuron")
    rng = python_generator()
    return Neuron([make_value(rng.uniform(-1, 1)) for _ in range(n)], make_value(0),
                  bool(nonlin))


@dataclass(eq=False)
class Layer:
    neurons: list[Neuron]

    def language_call(self, x: Any) -> Any:
        out = [n.language_call(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


def _layer(nin: Any, nout: Any, nonlin: Any = True) -> Layer:
    return Layer([_neuron(nin, nonlin) for _ in range(int(nout))])


@dataclass(eq=False)
class MLP:
    layers: list[Layer]

    def language_call(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer.language_call(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def _mlp(nin: Any, nouts: Any) -> MLP:
    sizes = [int(nin), *[int(n) for n in nouts]]
    return MLP([_layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1)
                for i in range(len(nouts))])


def _zero_grad(module: Any) -> None:
    for p in module.parameters():
        _grads[p] = 0


for _cls in (Neuron, Layer, MLP):
    _cls.language_methods = {"parameters": lambda self: self.parameters(),
                             "zero_grad": _zero_grad}


def draw_dot(root: Any, format: Any = "svg", rankdir: Any = "LR") -> None:  # noqa: A002
    """micrograd's notebook helper: in chainrule the page draws the graph, so it means
    "show this" and returns None."""
    return None


ENGINE = ns.Module("micrograd.engine", {"Value": ns.Function("Value", make_value, "class")})
NN = ns.Module("micrograd.nn", {
    "Neuron": ns.Function("Neuron", _neuron, "class"),
    "Layer": ns.Function("Layer", _layer, "class"),
    "MLP": ns.Function("MLP", _mlp, "class"),
})
MICROGRAD = ns.Module("micrograd", {"engine": ENGINE, "nn": NN})
MODULES = {"micrograd": MICROGRAD, "micrograd.engine": ENGINE, "micrograd.nn": NN}
