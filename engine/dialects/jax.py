"""JAX's way of writing backprop, as tables over chainrule's engine (issue 15).

    import jax, jax.numpy as jnp
    jax.grad(jnp.tanh)(2.0)                 # 0.070650816
    jax.grad(lambda x: x * jnp.ones(3))(2.)   # TypeError: Gradient only defined for
                                            # scalar-output functions. Output had shape: (3,).

JAX differentiates functions, not tapes: `grad(f)(x)` calls `f` on fresh leaves for the
differentiated arguments (`argnums`, pytrees of lists, tuples and dicts), with grad on only
while a transformation runs (outside, as in JAX, operations just compute), and runs the engine's
reverse pass from f's output, which must be a float scalar of shape () (JAX's words otherwise).
A transformation inside another (`grad(grad(f))`, `jacfwd(jacrev(f))`) builds its gradient
differentiably (create_graph), so the outer one differentiates through it. `jacrev`/`jacfwd`
give the same numbers (one reverse pass per output element here; the forward-mode picture is
the display's job), `vjp` a pull-back function, `jvp` the Jacobian times the tangent, `jit` is
the function itself. `jax.random` is JAX's own threefry numbers (jax_random.py).
Arrays print as JAX prints them: NumPy's float32 text, `Array(..., dtype=float32)` as repr, with
`weak_type=True` for an array JAX types weakly (made from a Python number, see `_weak`).
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
from chainrule.engine.dialects.jax_custom import CustomJVP, CustomVJP
from chainrule.engine.dialects.jax_random import RANDOM, Key
from chainrule.engine.errors import ArgumentError, NameProblem, RuntimeProblem
from chainrule.engine.forward_mode import tangent_of
from chainrule.engine.grad_mode import GradMode, set_grad_enabled_now
from chainrule.engine.tensor import Tensor, current_tape

NOT_SCALAR = "Gradient only defined for scalar-output functions. Output had shape: {}."

# ---------------------------------------------------------------- arrays


def _weak_set() -> weakref.WeakSet:
    return current_tape().dialect_state.setdefault("jax_weak", weakref.WeakSet())


def _weak(x: Any) -> bool:
    """JAX's weak type: a Python number, or an array made from Python numbers alone (jnp.array
    of a scalar, an elementwise jnp op whose operands are all weak, the gradient for a weak
    argument). Reductions, jnp.ones and the like are strong; arithmetic operators are not
    tracked here (their result prints as strong)."""
    if isinstance(x, Tensor):
        return x in _weak_set()
    return fn.is_number(x) and not isinstance(x, bool)


def _typed(t: Tensor, weak: bool) -> Tensor:
    if weak:
        _weak_set().add(t)
    return t


def _all_weak(*xs: Any) -> bool:
    return all(_weak(x) for x in xs)


def _shown(t: Tensor) -> np.ndarray:
    arr = np.asarray(t.data)
    if arr.dtype.kind == "f":
        return arr.astype(np.float64 if t.dtype_name == "float64" else np.float32)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int32)
    return arr


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def tensor_text(t: Tensor, as_str: bool) -> str:
    arr = _shown(t)
    if as_str:
        return str(arr[()]) if arr.ndim == 0 else str(arr)
    text = repr(arr)   # "array([...], dtype=float32)": JAX's repr is NumPy's, capitalised
    if "dtype=" not in text:
        text = text[:-1] + f", dtype={arr.dtype})"
    if _weak(t):
        text = text[:-1] + ", weak_type=True)"
    return "A" + text[1:]


def array(object: Any, dtype: Any = None, copy: Any = True) -> Tensor:  # noqa: A002
    if isinstance(object, Tensor):
        t = Tensor(np.array(object.data, copy=True))
        t.dtype_name = object.dtype_name
    else:
        t = fn.tensor(object)
    return _typed(_with_dtype(t, dtype), dtype is None and _weak(object))


def _with_dtype(t: Tensor, dtype: Any) -> Tensor:
    if dtype is None:
        return t
    name = getattr(dtype, "name", None)
    if name is None:
        raise ArgumentError(f"dtype must be a jnp dtype such as jnp.float32, got "
                            f"{fn.describe(dtype)}")
    if name.startswith("float") and not t.is_float:
        t.data = np.asarray(t.data, dtype=np.float64)
    elif name.startswith("int") and t.is_float:
        t.data = np.trunc(np.asarray(t.data)).astype(np.int64)
    return t


@dataclass(frozen=True)
class DType:
    name: str

    def __repr__(self) -> str:
        return f"<class 'jax.numpy.{self.name}'>"


def _lift(x: Any) -> Tensor:
    """JAX's conversion of Python numbers and nested lists: float32 and int32 arrays."""
    return x if isinstance(x, Tensor) else _typed(fn.tensor(x), _weak(x))


def _shape_of(shape: Any) -> tuple[int, ...]:
    dims = (shape,) if fn.is_number(shape) else tuple(shape)
    return fn.sized(tuple(int(d) for d in dims), "array")


def _filled(value: float) -> Callable[..., Tensor]:
    def impl(shape: Any, dtype: Any = None) -> Tensor:
        return _with_dtype(Tensor(np.full(_shape_of(shape), value)), dtype)
    return impl


def _reduction(op: Callable[..., Any]) -> Callable[..., Tensor]:
    def impl(a: Any, axis: Any = None, keepdims: Any = False) -> Tensor:
        t = _lift(a)
        if isinstance(axis, tuple | list):
            for d in sorted((int(d) % max(np.ndim(t.data), 1) for d in axis), reverse=True):
                t = _first(op(t, d, bool(keepdims)))
            return t
        return _first(op(t, axis, bool(keepdims)))
    return impl


def _first(result: Any) -> Tensor:
    return result if isinstance(result, Tensor) else result[0]


def _unary(op: Callable[[Any], Tensor]) -> Callable[..., Tensor]:
    def impl(x: Any) -> Tensor:
        return _typed(op(_lift(x)), _weak(x))
    return impl


def _binary(op: Callable[[Any, Any], Tensor]) -> Callable[..., Tensor]:
    def impl(x1: Any, x2: Any) -> Tensor:
        return _typed(op(_lift(x1), _lift(x2)), _all_weak(x1, x2))
    return impl


def _dot(a: Any, b: Any) -> Tensor:
    x, y = _lift(a), _lift(b)
    scalar = np.ndim(x.data) == 0 or np.ndim(y.data) == 0   # jnp.dot of a scalar multiplies
    return _typed((fn.mul if scalar else fn.matmul)(x, y), _all_weak(a, b))


def _vdot(a: Any, b: Any) -> Tensor:
    product = fn.sum(fn.mul(fn.reshape(_lift(a), -1), fn.reshape(_lift(b), -1)))
    return _typed(product, _all_weak(a, b))


def _tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """`jnp.tensordot`: a's `axes` summed against b's (an int n: a's last n with b's first n),
    written as the engine's ops: move the summed axes together, reshape, matmul, reshape."""
    x, y = _lift(a), _lift(b)
    nx, ny = np.ndim(x.data), np.ndim(y.data)
    if fn.is_number(axes):
        n = int(axes)
        if not 0 <= n <= min(nx, ny):
            raise ArgumentError(f"Number of tensordot axes (axes {n}) exceeds input ranks "
                                f"({x.data.shape} and {y.data.shape})", python_type="TypeError")
        ax, ay = list(range(nx - n, nx)), list(range(n))
    else:
        ax, ay = ([int(i) % max(nd, 1) for i in (side if isinstance(side, list | tuple)
                                                   else [side])]
                  for side, nd in zip(axes, (nx, ny), strict=True))
    sx, sy = tuple(x.data.shape[i] for i in ax), tuple(y.data.shape[i] for i in ay)
    if sx != sy:
        raise ArgumentError("dot_general requires contracting dimensions to have the same "
                            f"shape, got {sx} and {sy}.", python_type="TypeError")
    free_x = [i for i in range(nx) if i not in ax]
    free_y = [i for i in range(ny) if i not in ay]
    k = int(np.prod([x.data.shape[i] for i in ax], dtype=np.int64))
    left = fn.reshape(_permute(x, tuple(free_x + ax)), -1, k)
    right = fn.reshape(_permute(y, tuple(ay + free_y)), k, -1)
    shape = [x.data.shape[i] for i in free_x] + [y.data.shape[i] for i in free_y]
    return _typed(fn.reshape(fn.matmul(left, right), *shape), _all_weak(a, b))


def _reshape(a: Any, shape: Any = None, order: Any = "C", newshape: Any = None) -> Tensor:
    dims = shape if shape is not None else newshape
    dims = (dims,) if fn.is_number(dims) else tuple(dims)
    return fn.reshape(_lift(a), *[int(d) for d in dims])


def _transpose(a: Any, axes: Any = None) -> Tensor:
    t = _lift(a)
    if axes is None:
        axes = tuple(reversed(range(np.ndim(t.data))))
    return _permute(t, tuple(int(d) for d in axes))


def _permute(t: Tensor, axes: tuple[int, ...]) -> Tensor:
    """A permutation as a product of transpositions (the ops the engine has)."""
    order = list(range(len(axes)))
    for i, want in enumerate(axes):
        j = order.index(want)
        if j != i:
            t = fn.transpose(t, i, j)
            order[i], order[j] = order[j], order[i]
    return t


def _allclose(a: Any, b: Any, rtol: Any = 1e-05, atol: Any = 1e-08,
              equal_nan: Any = False) -> Tensor:
    x, y = np.asarray(_lift(a).data, dtype=np.float64), np.asarray(_lift(b).data,
                                                                    dtype=np.float64)
    return Tensor(np.asarray(bool(np.allclose(x, y, float(rtol), float(atol),
                                              bool(equal_nan)))))


def _vstack(tup: Any) -> Tensor:
    rows = [_lift(x) for x in tup]
    rows = [fn.reshape(r, 1, -1) if np.ndim(r.data) < 2 else r for r in rows]
    return fn.cat(rows, 0)


def _arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Tensor:
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    values = np.arange(start, stop, step)
    fn.sized(values.shape, "arange")
    return _with_dtype(Tensor(values), dtype)


def _linspace(start: Any, stop: Any, num: Any = 50) -> Tensor:
    return fn.linspace(float(start), float(stop), num)


def _where(condition: Any, x: Any = None, y: Any = None) -> Tensor:
    return _typed(fn.where(_lift(condition), _lift(x), _lift(y)), _all_weak(x, y))


# ---------------------------------------------------------------- transformations

_depth = [0]   # transformations running now: inside one, gradients stay differentiable


def _invoke(f: Any, args: tuple, kwargs: dict | None = None) -> Any:
    kwargs = kwargs or {}
    if isinstance(f, ns.CALLABLE):
        return ns.call(f, args, kwargs)
    if getattr(f, "user_function", False):
        return f(*args, **kwargs)
    raise ArgumentError(f"Expected a callable value, got {fn.describe(f)}",
                        python_type="TypeError")


def _leaves(value: Any) -> list[Any]:
    """JAX's tree_leaves: lists and tuples in order, dicts by sorted key, None dropped."""
    if isinstance(value, list | tuple):
        return [x for item in value for x in _leaves(item)]
    if isinstance(value, dict):
        return [x for key in sorted(value) for x in _leaves(value[key])]
    return [] if value is None else [value]


def _rebuild(structure: Any, leaves: list[Any]) -> Any:
    items = iter(leaves)

    def build(s: Any) -> Any:
        if isinstance(s, list | tuple):
            return type(s)(build(x) for x in s)
        if isinstance(s, dict):
            return {k: build(s[k]) for k in sorted(s)}
        return None if s is None else next(items)
    return build(structure)


def _input(x: Any, what: str) -> Tensor:
    """A differentiated argument as a leaf: a tensor an outer transformation differentiates
    stays itself (so the outer one sees through), anything else becomes a fresh leaf."""
    t = _lift(x)
    if not t.is_float:
        raise ArgumentError(f"{what} requires real- or complex-valued inputs (input dtype that "
                            f"is a sub-dtype of np.inexact), but got int32. If you want to use "
                            f"Boolean- or integer-valued inputs, use vjp or set allow_int to "
                            f"True.", python_type="TypeError")
    if t.requires_grad:
        return t
    leaf = Tensor(np.array(t.data, copy=True), requires_grad=True)
    leaf.dtype_name = t.dtype_name
    return _typed(leaf, _weak(t))


def _argnums(argnums: Any, n: int) -> tuple[tuple[int, ...], bool]:
    many = isinstance(argnums, tuple | list)
    nums = tuple(int(a) for a in argnums) if many else (int(argnums),)
    for a in nums:
        if not -n <= a < n:
            raise ArgumentError(f"differentiating with respect to argnums={argnums} requires at "
                                f"least {max(nums) + 1} positional arguments to be passed by "
                                f"the caller, but got only {n} positional arguments.",
                                python_type="TypeError")
    return nums, many


class _Running:
    """Grad on while a transformation runs the program's function."""

    def __enter__(self) -> None:
        self.mode = GradMode("jax", True)
        self.mode.enter()
        _depth[0] += 1

    def __exit__(self, *exc: Any) -> None:
        _depth[0] -= 1
        self.mode.exit()


def _parameter_names(f: Any) -> list[str]:
    """The names of a program function's positional parameters (a leaf is shown by its
    parameter's name: grad(f)(2.0) differentiates f's x)."""
    node = getattr(f, "node", None)
    args = getattr(node, "args", None)
    return [a.arg for a in (*args.posonlyargs, *args.args)] if args is not None else []


def _prepare(args: tuple, argnums: Any, what: str, f: Any = None
             ) -> tuple[list[Any], tuple[int, ...], bool, list[list[Tensor]]]:
    nums, many = _argnums(argnums, len(args))
    call_args = list(args)
    inputs: list[list[Tensor]] = []
    names = _parameter_names(f)
    for a in nums:
        leaves = [_input(x, what) for x in _leaves(args[a])]
        for leaf, original in zip(leaves, _leaves(args[a]), strict=True):
            if leaf is not original and not leaf.name and a < len(names):
                leaf.name = names[a]
        call_args[a] = _rebuild(args[a], leaves)
        inputs.append(leaves)
    return call_args, nums, many, inputs


def _gradients(out: Tensor, inputs: list[list[Tensor]], seed: Tensor | None = None
               ) -> list[list[Tensor]]:
    flat = [t for group in inputs for t in group]
    nested = _depth[0] > 1   # this transformation is running (depth 1): inside another?
    grads: tuple[Any, ...] = (None,) * len(flat)
    if out.requires_grad and flat:
        wanted = [t for t in flat if t.requires_grad]
        found = bw.grad([out], wanted, [seed], retain_graph=True, create_graph=nested,
                        allow_unused=True)
        by_id = {id(t): g for t, g in zip(wanted, found, strict=True)}
        grads = tuple(by_id.get(id(t)) for t in flat)
    result, i = [], 0
    for group in inputs:
        row = []
        for t in group:
            g = grads[i]
            i += 1
            if g is None:
                g = Tensor(np.zeros(np.shape(t.data)))
            elif not nested:
                g = fn.detach(g)
            row.append(_typed(g, _weak(t)))   # JAX's cotangent has its primal's type
        result.append(row)
    return result


def _scalar(out: Any, what: str) -> Tensor:
    if not isinstance(out, Tensor):
        out = _lift(out)
    shape = tuple(np.shape(out.data))
    if shape != ():
        raise ArgumentError(NOT_SCALAR.format(_shape_text(shape)), python_type="TypeError")
    if not out.is_float:
        raise ArgumentError(f"{what} requires real-valued outputs (output dtype that is a "
                            f"sub-dtype of np.floating), but got int32. For holomorphic "
                            f"differentiation, pass holomorphic=True. For differentiation of "
                            f"non-holomorphic functions involving complex outputs, use "
                            f"jax.vjp directly.", python_type="TypeError")
    return out


def _pack(args: tuple, nums: tuple[int, ...], many: bool, grads: list[list[Tensor]]) -> Any:
    packed = [_rebuild(args[a], g) for a, g in zip(nums, grads, strict=True)]
    return tuple(packed) if many else packed[0]


@dataclass(eq=False)
class Transformed:
    """What `jax.grad(f)` and friends return: a function of the same arguments."""

    kind: str
    f: Any
    argnums: Any = 0
    has_aux: bool = False
    user_function = True

    @property
    def name(self) -> str:
        return f"{self.kind}({getattr(self.f, 'name', 'f')})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return {"grad": self._grad, "value_and_grad": self._value_and_grad,
                "jacrev": self._jacobian, "jacfwd": self._jacfwd,
                "jit": self._jit}[self.kind](args, kwargs)

    def _run(self, args: tuple, kwargs: dict) -> tuple[Any, ...]:
        call_args, nums, many, inputs = _prepare(args, self.argnums, self.kind, self.f)
        with _Running():
            out = _invoke(self.f, tuple(call_args), kwargs)
            aux = None
            if self.has_aux:
                if not isinstance(out, tuple | list) or len(out) != 2:
                    raise ArgumentError("has_aux=True requires the function to return a pair "
                                        "(output, auxiliary data)", python_type="TypeError")
                out, aux = out
            return out, aux, nums, many, inputs

    def _grad(self, args: tuple, kwargs: dict) -> Any:
        out, aux, nums, many, inputs = self._run(args, kwargs)
        with _Running():
            grads = _gradients(_scalar(out, "grad"), inputs)
        result = _pack(args, nums, many, grads)
        return (result, aux) if self.has_aux else result

    def _value_and_grad(self, args: tuple, kwargs: dict) -> Any:
        out, aux, nums, many, inputs = self._run(args, kwargs)
        with _Running():
            grads = _gradients(_scalar(out, "value_and_grad"), inputs)
        value = out if _depth[0] else fn.detach(out)
        result = _pack(args, nums, many, grads)
        return ((value, aux), result) if self.has_aux else (value, result)

    def _jacobian(self, args: tuple, kwargs: dict) -> Any:
        out, aux, nums, many, inputs = self._run(args, kwargs)
        out = _lift(out)
        with _Running():
            result = _pack(args, nums, many, _jacobian_rows(out, inputs))
        return (result, aux) if self.has_aux else result

    def _jacfwd(self, args: tuple, kwargs: dict) -> Any:
        """Forward mode proper where nothing differentiates through it: one pass per input
        number, its tangent riding along f's own ops (a column of the Jacobian each); the page
        opens in forward mode on those passes. Inside another transformation, rows from
        reverse passes (the outer one differentiates through their ops)."""
        if _depth[0]:
            return self._jacobian(args, kwargs)
        out, aux, nums, many, inputs = self._run(args, kwargs)
        out = _lift(out)
        try:
            rows = self._columns(out, inputs)
        except RuntimeProblem:   # an op without its own rule on the way (jacfwd(jacrev(f)))
            with _Running():
                rows = _jacobian_rows(out, inputs)
        else:
            tape = current_tape()
            if tape.keep:
                tape.events.append({"type": "jacfwd",
                                    "inputs": [t for group in inputs for t in group]})
        result = _pack(args, nums, many, rows)
        return (result, aux) if self.has_aux else result

    @staticmethod
    def _columns(out: Tensor, inputs: list[list[Tensor]]) -> list[list[Tensor]]:
        out_shape = tuple(np.shape(out.data))
        rows: list[list[Tensor]] = []
        for group in inputs:
            row = []
            for t in group:
                shape = tuple(np.shape(t.data))
                fn.sized(out_shape + shape, "jacfwd")
                columns = []
                for k in range(int(np.size(t.data))):
                    unit = np.zeros(int(np.size(t.data)))
                    unit[k] = 1.0
                    columns.append(np.asarray(tangent_of(out, {t.id: unit.reshape(shape)}),
                                              dtype=np.float64).reshape(out_shape))
                jac = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
                row.append(_typed(Tensor(jac.reshape(out_shape + shape)), _weak(out)))
            rows.append(row)
        return rows

    def _jit(self, args: tuple, kwargs: dict) -> Any:
        return _invoke(self.f, args, kwargs)


def _jacobian_rows(out: Tensor, inputs: list[list[Tensor]]) -> list[list[Tensor]]:
    """d out / d input for every input leaf, shaped out.shape + input.shape: one reverse pass
    per element of out, the rows stacked with the engine's own ops (so an outer
    transformation differentiates through them)."""
    shape = tuple(np.shape(out.data))
    n = int(np.prod(shape, dtype=np.int64))
    flat_out = fn.reshape(out, -1) if shape else out
    per_row: list[list[list[Tensor]]] = []
    for i in range(n):
        element = flat_out if not shape else fn.index(flat_out, i)
        per_row.append(_gradients(element, inputs))
    result = []
    for g, group in enumerate(inputs):
        row = []
        for k, t in enumerate(group):
            pieces = [per_row[i][g][k] for i in range(n)]
            stacked = fn.stack(pieces, 0) if pieces else Tensor(np.zeros((0,) + t.shape))
            row.append(_typed(fn.reshape(stacked, *(shape + tuple(np.shape(t.data)))),
                              _weak(t)))
        result.append(row)
    return result


def _transform(kind: str) -> Callable[..., Transformed]:
    def impl(fun: Any, argnums: Any = 0, has_aux: Any = False, holomorphic: Any = False,
             allow_int: Any = False, reduce_axes: Any = ()) -> Transformed:
        return Transformed(kind, fun, argnums, bool(has_aux))
    return impl


def _jit(fun: Any, *args: Any, **kwargs: Any) -> Transformed:
    return Transformed("jit", fun)


def _hessian(fun: Any, argnums: Any = 0, has_aux: Any = False,
             holomorphic: Any = False) -> Transformed:
    return Transformed("jacfwd", Transformed("jacrev", fun, argnums, bool(has_aux)), argnums,
                       bool(has_aux))


@dataclass(eq=False)
class Pullback:
    """The function `jax.vjp` returns: cotangent -> gradients, one per primal."""

    out: Tensor
    inputs: list[list[Tensor]]
    primals: tuple
    user_function = True
    name = "vjp_fun"

    def __call__(self, cotangent: Any) -> tuple:
        seed = _lift(cotangent)
        if tuple(np.shape(seed.data)) != tuple(np.shape(self.out.data)):
            raise ArgumentError(f"unexpected JAX type (e.g. shape/dtype) for argument tangent "
                                f"input. Expected {_shape_text(tuple(np.shape(self.out.data)))}"
                                f", got {_shape_text(tuple(np.shape(seed.data)))}.",
                                python_type="ValueError")
        with _Running():
            grads = _gradients(self.out, self.inputs, seed)
        return tuple(_rebuild(p, g) for p, g in zip(self.primals, grads, strict=True))


def _vjp(fun: Any, *primals: Any, has_aux: Any = False) -> tuple:
    call_args, _, _, inputs = _prepare(primals, tuple(range(len(primals))), "vjp", fun)
    with _Running():
        out = _lift(_invoke(fun, tuple(call_args)))
    value = out if _depth[0] else fn.detach(out)
    return value, Pullback(out, inputs, primals)


def _jvp(fun: Any, primals: Any, tangents: Any, has_aux: Any = False) -> tuple:
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise ArgumentError("primal and tangent arguments to jax.jvp must be tuples or lists; "
                            f"found {type(primals).__name__} and {type(tangents).__name__}.",
                            python_type="TypeError")
    if isinstance(fun, CustomJVP) and fun.rule is not None and not _depth[0]:
        return fun.jvp(tuple(primals), tuple(tangents))   # JAX runs the learner's rule
    call_args, _, _, inputs = _prepare(tuple(primals), tuple(range(len(primals))), "jvp", fun)
    tangent_leaves = [_lift(x) for x in _leaves(list(tangents))]
    leaves = [t for group in inputs for t in group]
    if not _depth[0]:   # forward mode proper: the tangent rides along f's own ops
        with _Running():
            out = _lift(_invoke(fun, tuple(call_args)))
        _record_tangents(leaves, tangent_leaves)
        seed = {t.id: np.asarray(tan.data, dtype=np.float64).reshape(np.shape(t.data))
                for t, tan in zip(leaves, tangent_leaves, strict=True)}
        return fn.detach(out), Tensor(tangent_of(out, seed))
    with _Running():   # inside another transformation: built from reverse passes, which the
        out = _lift(_invoke(fun, tuple(call_args)))   # outer one differentiates through
        rows = _jacobian_rows(out, inputs)
        total: Tensor | None = None
        flat_rows = [r for group in rows for r in group]
        for jac, tangent in zip(flat_rows, tangent_leaves, strict=True):
            k = int(np.size(tangent.data))
            part = fn.matmul(fn.reshape(jac, -1, k), fn.reshape(tangent, k))
            total = part if total is None else fn.add(total, part)
        result = fn.reshape(total, *np.shape(out.data)) if total is not None else \
            Tensor(np.zeros(np.shape(out.data)))
    if not _depth[0]:
        out, result = fn.detach(out), fn.detach(result)
    return out, result


def _record_tangents(leaves: list[Tensor], tangents: list[Tensor]) -> None:
    """The tangents jax.jvp was given, on the tape: forward mode (engine/forward_mode.py)
    seeds its pass with them instead of a unit tangent per input."""
    tape = current_tape()
    if tape.keep and len(leaves) == len(tangents):
        tape.events.append({"type": "jvp", "inputs": leaves,
                            "tangents": [np.array(t.data, dtype=np.float64) for t in tangents]})


@dataclass(eq=False)
class Mapped:
    """What `jax.vmap(f, in_axes)` returns: f over the leading axis of the mapped arguments,
    one call per slice (each call shown as itself), the results stacked."""

    f: Any
    in_axes: Any = 0
    user_function = True
    name = "vmap"

    def __call__(self, *args: Any) -> Any:
        axes = self.in_axes if isinstance(self.in_axes, tuple | list) else \
            (self.in_axes,) * len(args)
        if len(axes) != len(args) or any(a not in (0, None) for a in axes):
            raise RuntimeProblem("chainrule's jax.vmap maps over axis 0 (in_axes=0 or None "
                                 "per argument)")
        sizes = {_mapped_size(a) for a, ax in zip(args, axes, strict=True) if ax == 0}
        if len(sizes) != 1:
            raise ArgumentError("vmap got inconsistent sizes for the array axes to be mapped",
                                python_type="ValueError")
        results = []
        for i in range(sizes.pop()):
            sliced = tuple(((a[i] if isinstance(a, Key) else fn.index(_lift(a), i))
                            if ax == 0 else a) for a, ax in zip(args, axes, strict=True))
            results.append(_invoke(self.f, sliced))
        if results and isinstance(results[0], tuple):
            return tuple(fn.stack([_lift(r[k]) for r in results], 0)
                         for k in range(len(results[0])))
        return fn.stack([_lift(r) for r in results], 0)


def _mapped_size(a: Any) -> int:
    """The length of axis 0 of a vmapped argument (an array, or a key array: jax_random)."""
    shape = a.shape if isinstance(a, Key) else np.shape(_lift(a).data)
    if not shape:
        raise ArgumentError("vmap was requested to map its argument along axis 0, which implies "
                            "that its rank should be at least 1, but is only 0 (its shape is ())",
                            python_type="ValueError")
    return int(shape[0])


def _vmap(fun: Any, in_axes: Any = 0, out_axes: Any = 0, axis_name: Any = None) -> Mapped:
    if out_axes != 0:
        raise RuntimeProblem("chainrule's jax.vmap stacks results on axis 0 (out_axes=0)")
    return Mapped(fun, in_axes)


@dataclass(eq=False)
class _Summed:
    """f's output summed: the scalar check_grads differentiates."""

    f: Any
    user_function = True
    name = "check_grads"

    def __call__(self, *xs: Any) -> Tensor:
        return fn.sum(_lift(_invoke(self.f, xs)))


def _check_grads(f: Any, args: Any, order: Any, modes: Any = ("fwd", "rev"),
                 atol: Any = None, rtol: Any = None, eps: Any = None) -> None:
    """jax.test_util.check_grads, first order: the gradient of f's output (summed) against
    central differences in each argument, as JAX checks (raises AssertionError if apart)."""
    args = tuple(args)
    h = 1e-3 if eps is None else float(eps)
    for a in range(len(args)):
        grads = Transformed("grad", _Summed(f), a)(*args)
        base = _lift(args[a])
        flat = np.asarray(base.data, dtype=np.float64).reshape(-1)
        got = np.asarray(grads.data, dtype=np.float64).reshape(-1)
        for i in range(flat.size):
            shifted = []
            for sign in (1.0, -1.0):
                x = flat.copy()
                x[i] += sign * h
                moved = list(args)
                moved[a] = Tensor(x.reshape(np.shape(base.data)))
                shifted.append(float(np.sum(_lift(_invoke(f, tuple(moved))).data)))
            estimate = (shifted[0] - shifted[1]) / (2 * h)
            if not np.isclose(estimate, got[i], rtol=1e-2, atol=1e-2):
                raise RuntimeProblem(f"Not equal to tolerance rtol=0.01, atol=0.01: gradient "
                                     f"{got[i]}, numerical {estimate}",
                                     python_type="AssertionError")


# ---------------------------------------------------------------- array attributes


TENSOR_METHODS: dict[str, Callable[..., Any]] = {
    "reshape": lambda self, *shape: _reshape(self, shape[0] if len(shape) == 1 else shape),
    "sum": lambda self, axis=None, keepdims=False: _reduction(fn.sum)(self, axis, keepdims),
    "mean": lambda self, axis=None, keepdims=False: _reduction(fn.mean)(self, axis, keepdims),
    "item": lambda self: _shown(self)[()].item() if np.size(self.data) == 1 else
    fn.describe(self),
    "tolist": lambda self: _shown(self).tolist(),
    "transpose": lambda self, *axes: _transpose(self, axes or None),
}
TENSOR_ATTRIBUTES: dict[str, Callable[[Tensor], Any]] = {
    "shape": lambda t: tuple(np.shape(t.data)),
    "ndim": lambda t: int(np.ndim(t.data)),
    "size": lambda t: int(np.size(t.data)),
    "dtype": lambda t: DType(str(_shown(t).dtype)),
    "T": lambda t: _transpose(t),
}


def tensor_attribute(t: Tensor, name: str) -> Any:
    method = TENSOR_METHODS.get(name)
    if method is not None:
        return ns.BoundMethod(ns.Function(name, method, "method"), t)
    attribute = TENSOR_ATTRIBUTES.get(name)
    if attribute is not None:
        return attribute(t)
    raise NameProblem(f"'ArrayImpl' object has no attribute '{name}'",
                      python_type="AttributeError")


def _start() -> None:
    current_tape().dialect = "jax"   # the trace's narration speaks it
    _depth[0] = 0
    set_grad_enabled_now(False)   # outside a transformation operations just compute


# ---------------------------------------------------------------- the module tables


def _f(name: str, impl: Callable[..., Any], kind: str = "function") -> ns.Function:
    return ns.Function(name, impl, kind)


def _table(prefix: str, items: dict[str, Callable[..., Any]]) -> dict[str, ns.Function]:
    return {k: _f(f"{prefix}.{k}", v) for k, v in items.items()}


FLOAT32, INT32 = DType("float32"), DType("int32")
NUMPY = ns.Module("jax.numpy", {
    **_table("jnp", {
        "array": array, "asarray": array, "zeros": _filled(0.0), "ones": _filled(1.0),
        "eye": lambda N, M=None, dtype=None: fn.eye(N, M), "arange": _arange,
        "linspace": _linspace,
        "sin": _unary(fn.sin), "cos": _unary(fn.cos), "tanh": _unary(fn.tanh),
        "exp": _unary(fn.exp), "log": _unary(fn.log), "sqrt": _unary(fn.sqrt),
        "abs": _unary(fn.abs), "square": _unary(lambda x: fn.pow(x, 2)),
        "log1p": _unary(lambda x: fn.log(fn.add(x, 1.0))),
        "add": _binary(fn.add), "subtract": _binary(fn.sub), "multiply": _binary(fn.mul),
        "divide": _binary(fn.div), "power": _binary(fn.pow),
        "maximum": _binary(fn.maximum), "minimum": _binary(fn.minimum),
        "dot": _dot, "matmul": _binary(fn.matmul), "vdot": _vdot, "tensordot": _tensordot,
        "sum": _reduction(fn.sum), "mean": _reduction(fn.mean),
        "max": _reduction(fn.max), "min": _reduction(fn.min),
        "reshape": _reshape, "transpose": _transpose, "where": _where,
        "allclose": _allclose, "vstack": _vstack,
        "stack": lambda arrays, axis=0: _typed(fn.stack([_lift(a) for a in arrays], axis),
                                               _all_weak(*arrays)),
    }),
    "pi": float(np.pi), "e": float(np.e), "inf": float("inf"), "nan": float("nan"),
    "float32": FLOAT32, "int32": INT32,
})
NN = ns.Module("jax.nn", _table("jax.nn", {
    "relu": _unary(fn.relu), "sigmoid": _unary(fn.sigmoid), "tanh": _unary(fn.tanh),
}))
TEST_UTIL = ns.Module("jax.test_util", _table("jax.test_util", {"check_grads": _check_grads}))
JAX = ns.Module("jax", {
    **_table("jax", {
        "grad": _transform("grad"), "value_and_grad": _transform("value_and_grad"),
        "jacrev": _transform("jacrev"), "jacfwd": _transform("jacfwd"),
        "jacobian": _transform("jacrev"), "hessian": _hessian, "jit": _jit,
        "vjp": _vjp, "jvp": _jvp, "vmap": _vmap,
        # the learner's own derivative rules (engine/dialects/jax_custom.py)
        "custom_jvp": lambda fun, nondiff_argnums=(): CustomJVP(fun),
        "custom_vjp": lambda fun, nondiff_argnums=(): CustomVJP(fun),
    }),
    "numpy": NUMPY, "random": RANDOM, "test_util": TEST_UTIL, "nn": NN,
})
MODULES = {"jax": JAX, "jax.numpy": NUMPY, "jax.random": RANDOM, "jax.test_util": TEST_UTIL,
           "jax.nn": NN}

dialects.register("jax", dialects.Hooks(tensor_text=tensor_text,
                                        tensor_attribute=tensor_attribute,
                                        operand=lambda value: value, start=_start))
