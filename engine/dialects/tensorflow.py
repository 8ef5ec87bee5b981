"""TensorFlow's way of writing backprop, as tables over chainrule's engine (issue 15).

    import tensorflow as tf
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x**2
    tape.gradient(y, x)          # tf.Tensor(6.0, shape=(), dtype=float32)

TensorFlow computes eagerly and remembers operations only while a `GradientTape` records, so a
TensorFlow program runs with grad off: outside every tape an operation gives a constant (as
TensorFlow's does), inside a recording tape grad is on. A trainable `tf.Variable` is a leaf that
requires grad; `tape.watch(t)` makes a constant one. `tape.gradient(target, sources)` is the
engine's `grad` with TensorFlow's rules: a non-scalar target is summed (PyTorch would refuse,
"grad can be implicitly created only for scalar outputs"), a list or dict of targets is summed,
sources keep their structure, an unconnected or unwatched source gives None (or zeros with
`unconnected_gradients=tf.UnconnectedGradients.ZERO`), an integer source gives None, and a
non-persistent tape answers once. Tensors print as TensorFlow prints them, numbers as float32
through NumPy's own formatting.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from chainrule.engine import backward as bw
from chainrule.engine import dialects
from chainrule.engine import functional as fn
from chainrule.engine import namespace as ns
from chainrule.engine.dialects.tf_custom import CustomGradient, clip_by_norm
from chainrule.engine.dialects.tf_keras import KERAS, LAYERS, LOSSES
from chainrule.engine.errors import ArgumentError, NameProblem, RuntimeProblem
from chainrule.engine.grad_mode import GradMode, is_grad_enabled, set_grad_enabled_now
from chainrule.engine.ops import OPS
from chainrule.engine.tensor import Tensor, apply, current_tape

NON_PERSISTENT = ("A non-persistent GradientTape can only be used to compute one set of "
                  "gradients (or jacobians)")

# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class DType:
    """`tf.float32`, `tf.int32`: what `dtype=` takes and `t.dtype` gives."""

    name: str

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __str__(self) -> str:
        return f"<dtype: '{self.name}'>"


FLOAT32, FLOAT64, INT32, INT64, BOOL = (DType(n) for n in
                                        ("float32", "float64", "int32", "int64", "bool"))
DTYPES = {d.name: d for d in (FLOAT32, FLOAT64, INT32, INT64, BOOL)}


class TensorShape(ns.Size):
    """`t.shape`: prints as TensorFlow's `(3, 2)`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "(" + ", ".join(map(str, self)) + ("," if len(self) == 1 else "") + ")"

    __str__ = __repr__


@dataclass(eq=False)
class VariableInfo:
    name: str
    trainable: bool
    path: str | None = None   # a Keras 3 variable's (`dense/kernel`): it prints and names so


_variables: weakref.WeakKeyDictionary[Tensor, VariableInfo] = weakref.WeakKeyDictionary()


def dtype_of(t: Tensor) -> DType:
    kind = t.data.dtype.kind
    if kind == "b":
        return BOOL
    if kind in "iu":
        return INT64 if t.dtype_name == "int64" else INT32
    return FLOAT64 if t.dtype_name == "float64" else FLOAT32


def _shown(t: Tensor) -> np.ndarray:
    """The array as TensorFlow holds it: float32 unless asked for float64, int32 for ints."""
    arr = np.asarray(t.data)
    d = dtype_of(t)
    return arr.astype({"float32": np.float32, "float64": np.float64, "int32": np.int32,
                       "int64": np.int64, "bool": np.bool_}[d.name])


def _numpy(t: Tensor) -> Any:
    arr = _shown(t)
    return arr[()] if arr.ndim == 0 else arr   # a 0-d tensor's numpy() is a NumPy scalar


def tensor_text(t: Tensor, as_str: bool) -> str:
    arr = _shown(t)
    shape = repr(TensorShape(arr.shape))
    info = _variables.get(t)
    if info is not None and info.path is not None:
        return (f"<Variable path={info.path}, shape={tuple(arr.shape)}, "
                f"dtype={dtype_of(t).name}, value={arr}>")
    if info is not None:
        body = repr(arr[()]) if arr.ndim == 0 else repr(arr)
        if arr.ndim == 0:
            body = str(arr[()])
        sep = "\n" if arr.ndim else ""
        return (f"<tf.Variable '{info.name}:0' shape={shape} dtype={dtype_of(t).name}, "
                f"numpy={sep}{body}>")
    if as_str:
        body = str(arr)
        sep = "\n" if "\n" in body else ""
        return f"tf.Tensor({sep}{body}, shape={shape}, dtype={dtype_of(t).name})"
    body = str(arr[()]) if arr.ndim == 0 else repr(arr)
    sep = "\n" if "\n" in body else ""   # TensorFlow starts a multi-line array on its own line
    return f"<tf.Tensor: shape={shape}, dtype={dtype_of(t).name}, numpy={sep}{body}>"


# ---------------------------------------------------------------- making tensors


def _dtype_arg(dtype: Any) -> DType | None:
    if dtype is None or isinstance(dtype, DType):
        return dtype
    raise ArgumentError(f"dtype must be a tf dtype such as tf.float32, got "
                        f"{fn.describe(dtype)}")


def _as_tensor(value: Any, dtype: DType | None = None) -> Tensor:
    """TensorFlow's conversion: Python floats are float32, ints int32, a tensor stays itself."""
    if isinstance(value, Tensor):
        if dtype is None or dtype == dtype_of(value):
            return value
        t = fn.tensor(value.data)
    else:
        t = fn.tensor(value)
    if dtype is not None:
        if dtype.name.startswith("float") and not t.is_float:
            t.data = np.asarray(t.data, dtype=np.float64)
        elif dtype.name.startswith("int") and t.is_float:
            raise ArgumentError(f"Cannot convert {fn.describe(value)} to EagerTensor of dtype "
                                f"{dtype.name}")
        if dtype.name == "float64":
            t.dtype_name = "float64"
    return t


def constant(value: Any, dtype: Any = None, shape: Any = None, name: Any = None) -> Tensor:
    t = _as_tensor(value, _dtype_arg(dtype))
    if t is value:
        t = fn.tensor(value.data)
        t.dtype_name = value.dtype_name
    if shape is not None:
        t = fn.reshape(t, *[int(s) for s in shape]) if np.size(t.data) > 1 else \
            Tensor(np.broadcast_to(t.data, tuple(int(s) for s in shape)).copy())
    return t


def convert_to_tensor(value: Any, dtype: Any = None, name: Any = None) -> Tensor:
    return _as_tensor(value, _dtype_arg(dtype))


_variable_count = 0


def variable(initial_value: Any = None, trainable: Any = True, name: Any = None,
             dtype: Any = None) -> Tensor:
    """`tf.Variable(value, trainable=True, name=None, dtype=None)`: a leaf of its own."""
    if initial_value is None:
        raise ArgumentError("The initial value must be specified.", python_type="ValueError")
    d = _dtype_arg(dtype)
    if isinstance(initial_value, Tensor):   # the variable's own copy, no node of its own
        data, dtype_name = np.array(initial_value.data, copy=True), initial_value.dtype_name
    elif fn.is_number(initial_value) or fn._nested_numbers(initial_value):
        data, dtype_name = np.asarray(initial_value), None
        fn.sized(data.shape, "Variable")
        if data.dtype.kind == "b":
            data = data.astype(np.int64)
    else:
        raise ArgumentError(f"Attempt to convert a value ({fn.describe(initial_value)}) with "
                            f"an unsupported type to a Tensor.", python_type="ValueError")
    if d is not None and d.name.startswith("float"):
        data = data.astype(np.float64)
    t = Tensor(data)
    t.dtype_name = "float64" if d is not None and d.name == "float64" else dtype_name
    t.requires_grad = bool(trainable) and t.is_float
    _variables[t] = VariableInfo("Variable" if name is None else str(name), bool(trainable))
    return t


def keras_variable(data: np.ndarray, name: str, path: str) -> Tensor:
    """A Keras layer's weight (engine/dialects/tf_keras.py): a trainable float32 variable."""
    t = Tensor(np.asarray(data, dtype=np.float64))
    t.requires_grad = True
    _variables[t] = VariableInfo(name, True, path)
    return t


def _zeros(shape: Any, dtype: Any = FLOAT32, name: Any = None) -> Tensor:
    return _filled(shape, dtype, 0.0)


def _ones(shape: Any, dtype: Any = FLOAT32, name: Any = None) -> Tensor:
    return _filled(shape, dtype, 1.0)


def _filled(shape: Any, dtype: Any, value: float) -> Tensor:
    dims = (shape,) if fn.is_number(shape) else tuple(shape)
    size = fn.sized(tuple(int(d) for d in dims), "zeros")
    d = _dtype_arg(dtype) or FLOAT32
    data = np.full(size, value, dtype=np.float64 if d.name.startswith("float") else np.int64)
    t = Tensor(data)
    if d.name == "float64":
        t.dtype_name = "float64"
    return t


def _like(maker: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def impl(input: Any, dtype: Any = None, name: Any = None) -> Tensor:  # noqa: A002
        t = _as_tensor(input)
        return maker(t.shape, dtype or dtype_of(t))
    return impl


def _linspace(start: Any, stop: Any, num: Any, name: Any = None, axis: Any = 0) -> Tensor:
    return fn.linspace(_number(start), _number(stop), num)


def _number(value: Any) -> float:
    return float(value.data) if isinstance(value, Tensor) else float(value)


def _random_normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: Any = FLOAT32,
                   seed: Any = None, name: Any = None) -> Tensor:
    dims = (shape,) if fn.is_number(shape) else tuple(int(d) for d in shape)
    return fn.add(fn.mul(fn.randn(*dims), float(stddev)), float(mean))


# ---------------------------------------------------------------- operations


def _t(x: Any) -> Tensor:
    return _as_tensor(x)


def _axis(axis: Any) -> Any:
    if axis is None or fn.is_number(axis):
        return axis
    return tuple(int(a) for a in axis)


def _reduce(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def impl(input_tensor: Any, axis: Any = None, keepdims: Any = False,
             name: Any = None) -> Tensor:
        t = _t(input_tensor)
        axis = _axis(axis)
        if isinstance(axis, tuple):
            for a in sorted((a % max(np.ndim(t.data), 1) for a in axis), reverse=True):
                t = op(t, a, bool(keepdims))
            return t
        return op(t, axis, bool(keepdims))
    return impl


def _max(t: Tensor, dim: Any, keepdim: bool) -> Tensor:
    result = fn.max(t, dim, keepdim)
    return result if isinstance(result, Tensor) else result[0]


def _min(t: Tensor, dim: Any, keepdim: bool) -> Tensor:
    result = fn.min(t, dim, keepdim)
    return result if isinstance(result, Tensor) else result[0]


def _unary(op: Callable[[Any], Tensor]) -> Callable[..., Tensor]:
    def impl(x: Any, name: Any = None) -> Tensor:
        return op(_t(x))
    return impl


def _binary(op: Callable[[Any, Any], Tensor]) -> Callable[..., Tensor]:
    def impl(x: Any, y: Any, name: Any = None) -> Tensor:
        return op(_t(x), _t(y))
    return impl


def _square(x: Any, name: Any = None) -> Tensor:
    return fn.pow(_t(x), 2)


def _matmul(a: Any, b: Any, transpose_a: Any = False, transpose_b: Any = False,
            name: Any = None) -> Tensor:
    ta, tb = _t(a), _t(b)
    if transpose_a:
        ta = fn.transpose(ta, -2, -1)
    if transpose_b:
        tb = fn.transpose(tb, -2, -1)
    return fn.matmul(ta, tb)


def _reshape(tensor: Any, shape: Any, name: Any = None) -> Tensor:
    dims = [int(d.data) if isinstance(d, Tensor) else int(d) for d in
            ((shape,) if fn.is_number(shape) or isinstance(shape, Tensor) else shape)]
    return fn.reshape(_t(tensor), *dims)


def _softmax(logits: Any, axis: Any = None, name: Any = None) -> Tensor:
    return fn.softmax(_t(logits), -1 if axis is None else int(axis))


def _softplus(features: Any, name: Any = None) -> Tensor:
    return apply(OPS["softplus"], (_t(features),))


def _stop_gradient(input: Any, name: Any = None) -> Tensor:  # noqa: A002
    return fn.detach(_t(input))


def _norm(tensor: Any, ord: Any = "euclidean", axis: Any = None, keepdims: Any = None,  # noqa: A002
          name: Any = None) -> Tensor:
    return fn.norm(_t(tensor), 2 if ord == "euclidean" else ord, axis, bool(keepdims))


# ---------------------------------------------------------------- the tape


@dataclass(eq=False)
class UnconnectedGradients:
    name: str

    def __repr__(self) -> str:
        return f"<UnconnectedGradients.{self.name}: '{self.name.lower()}'>"


NONE_GRADIENTS, ZERO_GRADIENTS = UnconnectedGradients("NONE"), UnconnectedGradients("ZERO")

_recording: list[GradientTape] = []   # the tapes inside whose `with` the program is


@dataclass(eq=False)
class StopRecording:
    """`with tape.stop_recording():` — grad off for the block."""

    language_context = True

    saved: list[bool] = field(default_factory=list)

    def enter(self) -> None:
        self.saved.append(is_grad_enabled())
        set_grad_enabled_now(False)

    def exit(self) -> None:
        set_grad_enabled_now(self.saved.pop())


@dataclass(eq=False)
class GradientTape:
    """`tf.GradientTape(persistent=False, watch_accessed_variables=True)`."""

    language_context = True

    persistent: bool = False
    watch_accessed_variables: bool = True
    watched: list[Tensor] = field(default_factory=list)
    used: bool = False
    _first: int = 0    # the first record made while this tape recorded (since its reset)
    _mode: GradMode = field(default_factory=lambda: GradMode("GradientTape", True))

    def enter(self) -> GradientTape:
        self._mode.enter()
        _recording.append(self)
        self._first = _next_record_index()
        return self

    def exit(self) -> None:
        self._mode.exit()
        if self in _recording:
            _recording.remove(self)

    # -- methods the program calls
    def watch(self, tensor: Any) -> None:
        for t in _flat(tensor):
            if not isinstance(t, Tensor):
                raise ArgumentError(f"watch() expects tensors, got {fn.describe(t)}")
            if t.is_float and t.record is None:
                t.requires_grad = True
            if all(t is not w for w in self.watched):
                self.watched.append(t)

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: Any = NONE_GRADIENTS) -> Any:
        if self.used and not self.persistent:
            raise RuntimeProblem(NON_PERSISTENT)
        self.used = True
        targets = [_as_tensor(t) for t in _flat(target)]
        flat_sources = _flat(sources)
        seeds = _seeds(targets, output_gradients)
        current_tape().emit({"type": "tf_gradient", "targets": targets,   # for the narration
                             "given": output_gradients is not None})
        for t in targets:
            if output_gradients is None and np.size(t.data) != 1:
                name = t.name or "the target"
                dialects.note(f"tape.gradient summed {name}, a target of shape "
                              f"{_shape_text(np.shape(t.data))}, as TensorFlow does (a seed of "
                              f"ones). PyTorch's {name}.backward() would refuse: \"grad can be "
                              f"implicitly created only for scalar outputs\".")
        wanted = [s for s in flat_sources if isinstance(s, Tensor) and s.is_float
                  and s.requires_grad and self._watches(s)]
        found: dict[int, Tensor | None] = {}
        if wanted:
            differentiable = [(t, g) for t, g in zip(targets, seeds, strict=True)
                              if t.requires_grad]
            if differentiable:
                outer = any(tape is not self for tape in _recording)
                grads = bw.grad([t for t, _ in differentiable], wanted,
                                [g for _, g in differentiable], retain_graph=True,
                                create_graph=outer, allow_unused=True)
                found = {id(s): g for s, g in zip(wanted, grads, strict=True)}
        results = []
        for s in flat_sources:
            g = found.get(id(s))
            if g is None and unconnected_gradients is ZERO_GRADIENTS and isinstance(s, Tensor):
                g = Tensor(np.zeros(np.shape(s.data)))
            results.append(g)
        return _unflatten(sources, results)

    def jacobian(self, target: Any, sources: Any, unconnected_gradients: Any = NONE_GRADIENTS,
                 parallel_iterations: Any = None, experimental_use_pfor: Any = True) -> Any:
        if self.used and not self.persistent:
            raise RuntimeProblem(NON_PERSISTENT)
        self.used = True
        y = _as_tensor(target)
        flat_sources = _flat(sources)
        n = int(np.size(y.data))
        fn.sized((n,) + tuple(np.shape(flat_sources[0].data)) if flat_sources else (n,),
                 "jacobian")
        rows: list[list[np.ndarray]] = [[] for _ in flat_sources]
        for i in range(n):
            seed = np.zeros(n)
            seed[i] = 1.0
            grads = self._row(y, flat_sources, seed.reshape(np.shape(y.data)))
            for k, g in enumerate(grads):
                rows[k].append(g)
        results = []
        for s, per_row in zip(flat_sources, rows, strict=True):
            if all(g is None for g in per_row) and unconnected_gradients is not ZERO_GRADIENTS:
                results.append(None)
                continue
            shape = np.shape(y.data) + np.shape(s.data)
            stacked = np.stack([np.zeros(np.shape(s.data)) if g is None else np.asarray(g.data)
                                for g in per_row]) if per_row else np.zeros(shape)
            results.append(Tensor(stacked.reshape(shape)))
        return _unflatten(sources, results)

    def _row(self, y: Tensor, sources: list[Any], seed: np.ndarray) -> list[Tensor | None]:
        wanted = [s for s in sources if isinstance(s, Tensor) and s.requires_grad
                  and self._watches(s)]
        if not wanted or not y.requires_grad:
            return [None] * len(sources)
        grads = bw.grad([y], wanted, [seed], retain_graph=True, allow_unused=True)
        found = {id(s): g for s, g in zip(wanted, grads, strict=True)}
        return [found.get(id(s)) for s in sources]

    def stop_recording(self) -> StopRecording:
        return StopRecording()

    def reset(self) -> None:
        """TensorFlow: "Clears all information stored in this tape", as if the block were
        entered anew. What the block computed so far becomes a constant to this tape (its
        op stays on the graph, no gradient flows back through it), and what it watched is
        forgotten: variables it reads from now on are watched again."""
        if self not in _recording:
            raise RuntimeProblem("Tape is not recording.", python_type="ValueError")
        for rec in current_tape().records:
            if rec.index >= self._first and rec.output.requires_grad:
                out = rec.output
                out.requires_grad, out.record = False, None
        self.watched.clear()
        self.used = False
        self._first = _next_record_index()

    def watched_variables(self) -> tuple[Tensor, ...]:
        return tuple(t for t in self.watched if t in _variables)

    def _watches(self, t: Tensor) -> bool:
        """TensorFlow differentiates with respect to what the tape watched: tensors it was
        asked to watch, trainable variables (when it watches what it reads), and results
        computed while it recorded."""
        if any(t is w for w in self.watched):
            return True
        info = _variables.get(t)
        if info is not None:
            return self.watch_accessed_variables and info.trainable
        return t.record is not None

    language_methods = {
        "watch": lambda self, tensor: self.watch(tensor),
        "gradient": lambda self, target, sources, output_gradients=None,
        unconnected_gradients=NONE_GRADIENTS: self.gradient(target, sources, output_gradients,
                                                           unconnected_gradients),
        "jacobian": lambda self, target, sources, unconnected_gradients=NONE_GRADIENTS,
        parallel_iterations=None, experimental_use_pfor=True: self.jacobian(
            target, sources, unconnected_gradients),
        "stop_recording": lambda self: self.stop_recording(),
        "reset": lambda self: self.reset(),
        "watched_variables": lambda self: self.watched_variables(),
    }

    def __repr__(self) -> str:
        return "<tensorflow.python.eager.backprop.GradientTape object>"


def _next_record_index() -> int:
    records = current_tape().records
    return records[-1].index + 1 if records else 0


def _gradient_tape(persistent: Any = False, watch_accessed_variables: Any = True) -> GradientTape:
    return GradientTape(bool(persistent), bool(watch_accessed_variables))


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _flat(value: Any) -> list[Any]:
    """TensorFlow's nest.flatten: lists and tuples in order, dicts by sorted key."""
    if isinstance(value, list | tuple):
        return [x for item in value for x in _flat(item)]
    if isinstance(value, dict):
        return [x for key in sorted(value) for x in _flat(value[key])]
    return [value]


def _unflatten(structure: Any, flat: list[Any]) -> Any:
    items = iter(flat)

    def build(s: Any) -> Any:
        if isinstance(s, list | tuple):
            return type(s)(build(x) for x in s)
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        return next(items)
    return build(structure)


def _seeds(targets: list[Tensor], output_gradients: Any) -> list[Any]:
    if output_gradients is None:   # TensorFlow sums a non-scalar target: a seed of ones
        return [np.ones(np.shape(t.data)) for t in targets]
    given = [_as_tensor(g) for g in _flat(output_gradients)]
    if len(given) != len(targets):
        raise ArgumentError("output_gradients must have one gradient per target")
    return given


# ---------------------------------------------------------------- tensor attributes


def _assign(op: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., Tensor]:
    def impl(self: Tensor, value: Any, use_locking: Any = None, name: Any = None,
             read_value: Any = True) -> Tensor:
        if self not in _variables:
            raise NameProblem("'tensorflow.python.framework.ops.EagerTensor' object has no "
                              "attribute 'assign'", python_type="AttributeError")
        new = op(np.asarray(self.data), np.asarray(_as_tensor(value).data, dtype=np.float64))
        self.data = new[()] if np.ndim(new) == 0 else new.astype(self.data.dtype)
        return self
    return impl


TENSOR_METHODS: dict[str, Callable[..., Any]] = {
    "numpy": lambda self: _numpy(self),
    "assign": _assign(lambda old, new: np.broadcast_to(new, np.shape(old)).copy()),
    "assign_add": _assign(lambda old, new: old + new),
    "assign_sub": _assign(lambda old, new: old - new),
    "get_shape": lambda self: TensorShape(np.shape(self.data)),
}
TENSOR_ATTRIBUTES: dict[str, Callable[[Tensor], Any]] = {
    "shape": lambda t: TensorShape(np.shape(t.data)),
    "dtype": dtype_of,
    "ndim": lambda t: int(np.ndim(t.data)),
    "name": lambda t: _variable_name(t),
    "trainable": lambda t: _variables[t].trainable if t in _variables else _no_attribute(
        t, "trainable"),
}


def _variable_name(t: Tensor) -> str:
    info = _variables.get(t)
    if info is None:
        _no_attribute(t, "name")
    return info.name if info.path is not None else f"{info.name}:0"


def _no_attribute(t: Tensor, name: str) -> Any:
    kind = ("tensorflow.python.ops.resource_variable_ops.ResourceVariable" if t in _variables
            else "tensorflow.python.framework.ops.EagerTensor")
    raise NameProblem(f"'{kind}' object has no attribute '{name}'", python_type="AttributeError")


def tensor_attribute(t: Tensor, name: str) -> Any:
    method = TENSOR_METHODS.get(name)
    if method is not None:
        return ns.BoundMethod(ns.Function(name, method, "method"), t)
    attribute = TENSOR_ATTRIBUTES.get(name)
    if attribute is not None:
        return attribute(t)
    return _no_attribute(t, name)


def operand(value: Any) -> Any:
    """TensorFlow converts Python lists and NumPy arrays meeting a tensor in an operator."""
    if isinstance(value, list | tuple | np.ndarray):
        return _as_tensor(value)
    return value


def _start() -> None:
    current_tape().dialect = "tensorflow"   # the trace's narration speaks it
    _recording.clear()
    set_grad_enabled_now(False)   # no tape records yet: operations give constants


# ---------------------------------------------------------------- the module tables


def _f(name: str, impl: Callable[..., Any], kind: str = "function") -> ns.Function:
    return ns.Function(name, impl, kind)


def _table(prefix: str, items: dict[str, Callable[..., Any]]) -> dict[str, ns.Function]:
    return {k: _f(f"{prefix}.{k}", v) for k, v in items.items()}


_MATH = {
    "sin": _unary(fn.sin), "cos": _unary(fn.cos), "exp": _unary(fn.exp), "log": _unary(fn.log),
    "tanh": _unary(fn.tanh), "sigmoid": _unary(fn.sigmoid), "sqrt": _unary(fn.sqrt),
    "abs": _unary(fn.abs), "square": _square, "negative": _unary(fn.neg),
    "add": _binary(fn.add), "subtract": _binary(fn.sub), "multiply": _binary(fn.mul),
    "divide": _binary(fn.div), "pow": _binary(fn.pow), "maximum": _binary(fn.maximum),
    "minimum": _binary(fn.minimum),
    "reduce_sum": _reduce(fn.sum), "reduce_mean": _reduce(fn.mean),
    "reduce_max": _reduce(_max), "reduce_min": _reduce(_min), "reduce_prod": _reduce(fn.prod),
    "softplus": _softplus,
}
MATH = ns.Module("tensorflow.math", _table("tf.math", _MATH))
NN = ns.Module("tensorflow.nn", _table("tf.nn", {
    "relu": _unary(fn.relu), "sigmoid": _unary(fn.sigmoid), "tanh": _unary(fn.tanh),
    "softmax": _softmax, "softplus": _softplus,
}))
RANDOM = ns.Module("tensorflow.random", _table("tf.random", {"normal": _random_normal}))
TF = ns.Module("tensorflow", {
    **_table("tf", {k: v for k, v in _MATH.items() if k not in ("softplus",)}),
    **_table("tf", {
        "constant": constant, "convert_to_tensor": convert_to_tensor,
        "zeros": _zeros, "ones": _ones, "zeros_like": _like(_zeros), "ones_like": _like(_ones),
        "linspace": _linspace, "matmul": _matmul, "reshape": _reshape,
        "stop_gradient": _stop_gradient, "norm": _norm, "clip_by_norm": clip_by_norm,
        # the learner's own gradient (engine/dialects/tf_custom.py)
        "custom_gradient": CustomGradient,
    }),
    "Variable": _f("tf.Variable", variable, "class"),
    "GradientTape": _f("tf.GradientTape", _gradient_tape, "class"),
    "UnconnectedGradients": ns.Module("tensorflow.UnconnectedGradients",
                                      {"NONE": NONE_GRADIENTS, "ZERO": ZERO_GRADIENTS}),
    "math": MATH, "nn": NN, "random": RANDOM, "keras": KERAS,
    **DTYPES,
})
MODULES = {"tensorflow": TF, "tensorflow.math": MATH, "tensorflow.nn": NN,
           "tensorflow.random": RANDOM, "tensorflow.keras": KERAS,
           "tensorflow.keras.losses": LOSSES, "tensorflow.keras.layers": LAYERS}

dialects.register("tensorflow", dialects.Hooks(tensor_text=tensor_text,
                                               tensor_attribute=tensor_attribute,
                                               operand=operand, start=_start,
                                               # an EagerTensor is an array to NumPy, watched
                                               # or not (the tape does not see NumPy's work)
                                               as_numpy=_numpy))
