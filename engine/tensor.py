"""Tensor over NumPy, and the tape that records every op applied while a program runs.

A `Tape` is active for the duration of one trace (`with recording(tape):`). It numbers tensors,
keeps the source span the interpreter is evaluating, checks the resource budget, and collects
the events the timeline turns into steps. Outside any tape, tensors still work (tests, notebooks):
a private default tape numbers them and nothing is kept.
"""

from __future__ import annotations

import contextvars
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from time import monotonic as _monotonic
from types import MappingProxyType
from typing import Any

import numpy as np
from chainrule.engine import collector
from chainrule.engine.edge_event import Events
from chainrule.engine.errors import ChainruleError, LimitError
from chainrule.engine.float32_range import in_float32_range
from chainrule.engine.grad_mode import _enabled as _grad_enabled
from chainrule.engine.limits import Budget, Limits
from chainrule.engine.ops import OPS as _OPS
from chainrule.engine.ops import Ctx, Op

Span = tuple[int, int, int, int]   # line, col, end_line, end_col (1-based columns)


@dataclass(frozen=True, slots=True)
class Scope:
    """Where in the program's control flow something was made: inside a call of a user
    function (`kind="call"`, `label="f(x)"`, the call's span) or an iteration of a loop
    (`kind="loop"`, `label="i = 3"`, the loop statement's span, `iteration` 1-based of
    `of` when known). `Tape.scope` is the stack, outermost first; tensors and records keep
    the stack that was active when they were made (the display groups by it)."""

    kind: str                  # "call" | "loop"
    label: str
    span: Span | None
    iteration: int | None = None
    of: int | None = None
    id: int = 0                # unique per entered scope within one run (same call = same id)
_F64 = np.dtype(np.float64)
# A 0-d float64 tensor holds a NumPy float64 scalar, not a 0-d array: the same float64
# numbers, the same shape/dtype/size/item/astype, but arithmetic on it costs ~35 ns where a
# 0-d array costs ~250-500 ns. Code reading `.data` must accept both (np.asarray gives the
# array back); scalar graphs (micrograd-style MLPs) are the ones where per-op cost dominates.
_F64S = np.float64
_ADD, _SUB, _MUL = _OPS["add"], _OPS["sub"], _OPS["mul"]   # Tensor's + - * Tensor


@dataclass(eq=False, slots=True)
class Record:
    """One applied op: the graph node PyTorch calls `grad_fn`."""

    index: int
    op: Op
    inputs: tuple[Tensor, ...]
    output: Tensor
    attrs: dict
    span: Span | None
    freed: bool = False
    scope: tuple[Scope, ...] = ()
    # Set when a tensor this node saved for backward was changed in place afterwards
    # (engine/inplace.py): (version counter, version when saved, the tensor's description).
    # Backward raises PyTorch's "modified by an inplace operation" when it reaches the node.
    modified: tuple | None = None
    node: Any = None   # the `grad_fn` object the program sees (one per record, engine/autograd_api)

    @property
    def grad_fn(self) -> str:
        return self.op.grad_fn_name(tuple(t.shape for t in self.inputs), self.attrs)

    def ctx(self) -> Ctx:
        return Ctx(tuple([t.data for t in self.inputs]), self.output.data, self.attrs)

    # A record is also its own event on the tape, read as the dict it replaces,
    # {"type": "forward", "record": rec}: one dict fewer per op (a scalar graph's every op).
    def __getitem__(self, key: str) -> Any:
        if key == "type":
            return "forward"
        if key == "record":
            return self
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in _RECORD_EVENT_KEYS else default

    def __contains__(self, key: object) -> bool:
        return key in _RECORD_EVENT_KEYS


_RECORD_EVENT_KEYS = frozenset(("type", "record"))


@dataclass(eq=False)
class Tape:
    """Everything one program run produced, in order."""

    limits: Limits = field(default_factory=Limits)
    keep: bool = True
    tensors: list[Tensor] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    events: Events = field(default_factory=Events)   # edges kept as tuples, read as events
    span: Span | None = None
    scope: tuple[Scope, ...] = ()     # the control-flow stack (engine/lang pushes, see Scope)
    rng: Any = None   # engine.random.state.ProgramRandom, made on first use
    budget: Budget = field(init=False)
    # Which records consumed each tensor (Tensor.id -> records), built only once a program
    # changes a tensor in place (engine/inplace.py), and brought up to date from `uses_upto`.
    uses: dict[int, list[Record]] = field(default_factory=dict)
    uses_upto: int = 0
    inference: list[list] = field(default_factory=list)   # inference_mode() id ranges
    # A long loop forgot iterations it no longer reaches (engine/nn/loop_memory.py): not every
    # state of the leaves is kept (engine/fd_check.py then checks no re-run against them).
    forgot: bool = False
    # Python's `random` for an unseeded program: started from the request's seed
    # (engine/python_random.py), made on first use
    request_seed: int = 0
    python_random: Any = None
    # The framework the narration speaks ("jax", "tensorflow"; None: PyTorch's words), and
    # what the dialects noted for the learner (engine/dialects)
    dialect: str | None = None
    dialect_notes: list[str] = field(default_factory=list)
    dialect_state: dict[str, Any] = field(default_factory=dict)   # a dialect's own, per run
    # The learner's own autograd engine (engine/own_value.py): value nodes made so far, the
    # latest, the one a finite-difference re-run watches, the roots drawn by name
    own_count: int = 0
    own_last: Any = None
    own_watched: Any = None
    own_engine_roots: list = field(default_factory=list)
    instances_made: int = 0   # user-class instances, for their hash order (engine/lang/classes)

    def __post_init__(self) -> None:
        self.budget = Budget(self.limits)
        self._ids = itertools.count()

    def register(self, t: Tensor) -> int:
        n = t.data.size
        limits, budget = self.limits, self.budget
        if n > limits.max_tensor_elements:
            raise LimitError(f"a tensor of {n:,} elements is over the limit of "
                             f"{limits.max_tensor_elements:,} elements per tensor")
        if t.data.ndim > limits.max_tensor_dims:
            raise LimitError(f"a tensor with {t.data.ndim} dimensions is over the limit of "
                             f"{limits.max_tensor_dims} dimensions per tensor")
        budget.elements += n
        if budget.elements > limits.max_total_elements:
            raise LimitError(f"the program created more than {limits.max_total_elements:,} "
                             "tensor elements in total")
        if self.keep:
            self.tensors.append(t)
        return next(self._ids)

    def register_one(self, t: Tensor) -> int:
        """`register` for a tensor of one element (a scalar graph's every tensor), with only
        the checks one element can fail."""
        limits, budget = self.limits, self.budget
        if limits.max_tensor_elements < 1 or budget.elements >= limits.max_total_elements:
            return self.register(t)   # raises its LimitError
        budget.elements += 1
        if self.keep:
            self.tensors.append(t)
        return next(self._ids)

    def restart_ids(self, n: int) -> None:
        """Number the next tensor `n`: after engine/nn/loop_memory.py forgot tensors a long
        loop no longer reaches, positions in `tensors` and ids agree again."""
        self._ids = itertools.count(n)

    def check_time(self) -> None:
        if self.budget.deadline_passed():
            raise LimitError(f"the program ran longer than the {self.limits.max_seconds:g} s "
                             "time limit")

    def add_record(self, rec: Record) -> None:
        budget, limits = self.budget, self.limits
        budget.ops += 1
        if budget.ops > limits.max_ops:
            raise LimitError(f"the program recorded more than {limits.max_ops:,} operations")
        if _monotonic() - budget.started > limits.max_seconds:   # Budget.deadline_passed
            self.check_time()
        if self.keep:
            self.records.append(rec)
            self.events.append(rec)   # its own forward event

    def emit(self, event: dict) -> None:
        if self.keep:
            self.events.append(event)

    def release(self) -> None:
        """Forget what was recorded, once it has been turned into a Trace. A result tensor and
        its Record refer to each other, so a kept tape is otherwise freed only by the cyclic
        garbage collector, whose full passes then walk it (tens of ms for a big graph); with
        the cycles broken, reference counting frees it at once. The tensors stay usable as
        values (no `record`: no grad_fn, no backward through them)."""
        for rec in self.records:
            rec.output.record = None
        self.records.clear()
        self.events.clear()
        self.tensors.clear()
        self.uses.clear()
        self.uses_upto = 0


_default = contextvars.ContextVar("default_tape", default=None)
_active: contextvars.ContextVar[Tape | None] = contextvars.ContextVar("active_tape", default=None)
_record_counter = itertools.count()


def current_tape() -> Tape:
    tape = _active.get()
    if tape is None:
        tape = _default.get()
        if tape is None:
            tape = Tape(limits=Limits(max_ops=10**12, max_tensor_elements=10**12,
                                      max_total_elements=10**18, max_seconds=float("inf"),
                                      max_matmul_flops=10**18), keep=False)
            _default.set(tape)
    return tape


@contextmanager
def recording(tape: Tape) -> Iterator[Tape]:
    """Make `tape` the active one. NumPy's floating-point warnings are off for the whole run
    (one `np.errstate` here instead of one per op: entering it costs more than a scalar op), and
    the cyclic collector walks the growing tape rarely (engine/collector.relaxed)."""
    token = _active.set(tape)
    quiet = _quiet.set(True)
    grad = _grad_enabled.set(True)   # a run starts with grad on, whatever the last run left
    try:
        with np.errstate(all="ignore"), collector.relaxed():   # engine/collector.py
            yield tape
    finally:
        _grad_enabled.reset(grad)
        _quiet.reset(quiet)
        _active.reset(token)


# True inside `recording()`, whose errstate already silences what `apply` would silence.
_quiet: contextvars.ContextVar[bool] = contextvars.ContextVar("quiet_numpy", default=False)


class in_scope:  # noqa: N801 - used as the function it replaced: `with in_scope(scope):`
    """Tensors made and ops recorded inside carry `scope` on top of the active stack.

    A class, not a generator context manager: entering and leaving costs a quarter as much
    (~0.6 µs against ~2.3 µs), and the interpreter enters one per call and per loop."""

    __slots__ = ("scope", "tape", "saved")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def __enter__(self) -> None:
        tape = self.tape = current_tape()
        self.saved = tape.scope
        tape.scope = (*self.saved, self.scope)

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        self.tape.scope = self.saved


class at_span:  # noqa: N801 - used as the function it replaced: `with at_span(span):`
    """Ops recorded inside carry `span`; errors raised inside get it if they have none.

    A class, as in_scope. The interpreter's hottest places (each expression, statement, loop
    step) write these lines out instead: even this costs ~0.45 µs more than a try/finally."""

    __slots__ = ("span", "tape", "saved")

    def __init__(self, span: Span | None) -> None:
        self.span = span

    def __enter__(self) -> None:
        tape = self.tape = current_tape()
        self.saved, tape.span = tape.span, self.span

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        self.tape.span = self.saved
        if isinstance(error, ChainruleError):
            error.at(self.span)


class Tensor:
    """A NumPy array (float64, or int64 for class indices) with autograd bookkeeping."""

    __slots__ = ("data", "requires_grad", "grad", "record", "id", "name", "origin", "span",
                 "scope", "dtype_name", "meta",
                 "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False, record: Record | None = None,
                 origin: str = "leaf") -> None:
        if type(data) is _F64S:
            arr = data
        elif type(data) is float:
            arr = _F64S(data)
        else:
            arr = data if type(data) is np.ndarray else np.asarray(data)
            if arr.dtype is _F64:
                pass
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64, copy=False)
            elif arr.dtype.kind == "b":
                pass   # bool tensors: comparisons and masks
            elif arr.dtype != np.float64:
                arr = arr.astype(np.float64)
            if requires_grad and arr.dtype.kind != "f":
                raise ChainruleError("only floating-point tensors can require gradients "
                                     "(integer tensors are class indices or data)")
            if arr.ndim == 0 and arr.dtype is _F64:
                arr = arr[()]   # see _F64S
        self.data: np.ndarray = arr
        self.requires_grad = requires_grad
        self.grad: Tensor | None = None
        self.record = record
        self.name: str | None = None
        self.origin = origin   # leaf | input | constant | result | detached
        # Autograd state most tensors never need (engine/inplace.py `Meta`): version counter,
        # storage shared with .data/.detach() aliases, hooks, retain_grad. None until needed.
        self.meta: Any = None
        tape = _active.get() or current_tape()
        self.span: Span | None = tape.span
        self.scope = tape.scope
        # PyTorch's dtype where it differs from what the data says (float data is float32
        # unless made float64: engine/printing.py dtype_of); None: read it off the data.
        self.dtype_name: str | None = None
        self.id = tape.register_one(self) if type(arr) is _F64S else tape.register(self)

    # -- what PyTorch exposes
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def is_leaf(self) -> bool:
        return self.record is None or not self.requires_grad

    @property
    def grad_fn(self) -> str | None:
        return self.record.grad_fn if self.record is not None and self.requires_grad else None

    @property
    def version(self) -> int:
        """PyTorch's `x._version`, as this tensor object holds it: bumped by every in-place op.
        A snapshot of an earlier state (engine/inplace.py) keeps the version it had."""
        return 0 if self.meta is None else self.meta.version

    @property
    def is_float(self) -> bool:
        return self.data.dtype.kind == "f"

    def numel(self) -> int:
        return int(self.data.size)

    def item(self) -> float | int:
        if self.data.size != 1:
            raise ChainruleError(f"a Tensor with {self.data.size} elements cannot be converted "
                                 "to a Python number")
        return self.data.reshape(()).item()

    def __repr__(self) -> str:
        from chainrule.engine.printing import tensor_repr
        return tensor_repr(self)

    # -- operators, so tests and notebooks can write x * y directly
    # Two tensors go straight to their op (a scalar graph's every op: engine.functional's
    # wrapper and lift cost a third of a scalar op); a number goes through functional.
    def __add__(self, o: Any) -> Tensor:
        if type(o) is Tensor:
            return _two_tensors(_ADD, self, o)
        return (_functional or _f()).add(self, o)

    def __radd__(self, o: Any) -> Tensor:
        return (_functional or _f()).add(o, self)

    def __sub__(self, o: Any) -> Tensor:
        if type(o) is Tensor:
            return _two_tensors(_SUB, self, o)
        return (_functional or _f()).sub(self, o)

    def __rsub__(self, o: Any) -> Tensor:
        return (_functional or _f()).sub(o, self)

    def __mul__(self, o: Any) -> Tensor:
        if type(o) is Tensor:
            return _two_tensors(_MUL, self, o)
        return (_functional or _f()).mul(self, o)

    def __rmul__(self, o: Any) -> Tensor:
        return (_functional or _f()).mul(o, self)

    def __truediv__(self, o: Any) -> Tensor:
        return (_functional or _f()).div(self, o)

    def __rtruediv__(self, o: Any) -> Tensor:
        return (_functional or _f()).div_operator(o, self)

    def __pow__(self, o: Any) -> Tensor:
        return (_functional or _f()).pow(self, o)

    def __rpow__(self, o: Any) -> Tensor:
        return (_functional or _f()).pow(o, self)

    def __matmul__(self, o: Any) -> Tensor:
        return (_functional or _f()).matmul(self, o)

    def __neg__(self) -> Tensor:
        return (_functional or _f()).neg(self)


def built_tensor(data: Any, requires_grad: bool, origin: str, tape: Tape,
                 dtype_name: str | None = None) -> Tensor:
    """A Tensor of float64 `data` made on `tape`, what Tensor.__init__ makes but for its id
    (the caller registers it) and without its conversions and tape lookup: every op's float64
    result (apply, _apply_scalar) and backward's gradients. One statement per slot: a tuple
    assignment of ten builds and unpacks a tuple."""
    t = object.__new__(Tensor)
    t.data = data
    t.requires_grad = requires_grad
    t.grad = None
    t.record = None
    t.name = None
    t.origin = origin
    t.span = tape.span
    t.scope = tape.scope
    t.meta = None
    t.dtype_name = dtype_name
    return t


def _two_tensors(op: Op, a: Tensor, b: Tensor) -> Tensor:
    """`apply(op, (a, b))`, going straight to the scalar path for two float64 scalars while
    recording (a scalar MLP's every + and *)."""
    x = a.data
    if type(x) is _F64S and type(b.data) is _F64S and _quiet.get():
        return _apply_scalar(op, (a, b), _active.get() or current_tape(), x)
    return apply(op, (a, b))


def _f() -> Any:
    """engine.functional (imported late: it imports this module). Kept after the first call:
    an import statement per operator costs as much as the op's own arithmetic."""
    global _functional
    if _functional is None:
        from chainrule.engine import functional
        _functional = functional
    return _functional


_functional: Any = None


def _float64_wins(t: Tensor, inputs: tuple[Tensor, ...]) -> str | None:
    """PyTorch's promotion: a 0-d float64 tensor does not widen a float32 tensor that has
    dimensions (`torch.tensor(1., dtype=torch.float64) + torch.ones(2)` is float32)."""
    if t.data.ndim:
        return "float64"
    for u in inputs:
        if u.data.ndim and u.data.dtype.kind == "f" and u.dtype_name != "float64":
            return None
    return "float64"


def apply(op: Op, inputs: tuple[Tensor, ...], **attrs: Any) -> Tensor:
    """Run `op` forward on `inputs` and record it on the active tape."""
    tape = _active.get() or current_tape()
    if op.scalar_locals is not None and not attrs:
        x = inputs[0].data
        if type(x) is _F64S and (len(inputs) == 1 or type(inputs[1].data) is _F64S) and \
                _quiet.get():
            return _apply_scalar(op, inputs, tape, x)
    if len(inputs) == 2:   # most ops: no list comprehension for two arrays
        arrays = (inputs[0].data, inputs[1].data)
    else:
        arrays = tuple([t.data for t in inputs])
    if op.check is not None:
        op.check(*arrays, **attrs)
    if _quiet.get():
        out = op.forward(*arrays, **attrs)
    else:
        with np.errstate(all="ignore"):
            out = op.forward(*arrays, **attrs)
    if type(out) is not _F64S:
        out = np.asarray(out)
        if out.dtype.kind == "f" and out.dtype != np.float64:
            out = out.astype(np.float64)
        if out.ndim == 0 and out.dtype is _F64:
            out = out[()]
    requires = False
    for t in inputs:
        if t.requires_grad:
            requires = _grad_enabled.get()   # under no_grad: a result with no grad_fn
            break
    if out.dtype is _F64:   # what Tensor(out, requires, origin="result") does, minus its checks
        # float64 if asked for, or if a float64 tensor took part
        wanted = attrs.get("dtype_name") if attrs else None
        if wanted is None:
            for t in inputs:
                if t.dtype_name == "float64":
                    wanted = _float64_wins(t, inputs)
                    break
        if wanted is None and op.leaves_float32_range:
            out = in_float32_range(out)
        result = built_tensor(out, requires, "result", tape, wanted)
        result.id = tape.register(result)
    else:
        result = Tensor(out, requires_grad=requires and out.dtype.kind == "f", origin="result")
    # Positional: a keyword argument costs a scalar op ~0.1 µs more.
    rec = Record(next(_record_counter), op, inputs, result, attrs, tape.span, False, tape.scope)
    result.record = rec
    tape.add_record(rec)
    return result


# A scalar op's attrs: none, shared by every such record and read-only, so no reader can
# change what the others see (one dict fewer per op).
_NO_ATTRS: Any = MappingProxyType({})


def _apply_scalar(op: Op, inputs: tuple[Tensor, ...], tape: Tape, x: Any) -> Tensor:
    """`apply` for a scalar graph's op (micrograd's add, mul, relu... on float64 scalars: the
    ops with `scalar_locals`) inside a recording: the same tensor, record and event, in the
    same order, without the general path's steps that cannot apply to numbers (broadcast
    check, dtype conversion, float32's range: none of these ops leaves it, and each keeps
    float64 scalars float64 scalars). A scalar MLP is nothing but these ops, and their
    bookkeeping is its cost."""
    if len(inputs) == 2:
        a, b = inputs
        out = op.forward(x, b.data)
        requires = (a.requires_grad or b.requires_grad) and _grad_enabled.get()
        # PyTorch's promotion among 0-d tensors (_float64_wins): float64 if either is
        wanted = "float64" if a.dtype_name == "float64" or b.dtype_name == "float64" else None
    else:
        a = inputs[0]
        out = op.forward(x)
        requires = a.requires_grad and _grad_enabled.get()
        wanted = "float64" if a.dtype_name == "float64" else None
    if type(out) is not _F64S:   # no such row makes anything else; kept honest
        out = np.asarray(out, dtype=np.float64)[()]
    result = built_tensor(out, requires, "result", tape, wanted)
    span, scope = result.span, result.scope
    result.id = tape.register_one(result)
    rec = Record(next(_record_counter), op, inputs, result, _NO_ATTRS, span, False, scope)
    result.record = rec
    # tape.add_record, but for the clock: a scalar op is ~1 µs, so reading it every 64 ops
    # is safe here (a big tensor op could run far past the limit in 64)
    limits, budget = tape.limits, tape.budget
    ops = budget.ops = budget.ops + 1
    if ops > limits.max_ops:
        raise LimitError(f"the program recorded more than {limits.max_ops:,} operations")
    if not ops & 63 and _monotonic() - budget.started > limits.max_seconds:
        tape.check_time()
    if tape.keep:
        tape.records.append(rec)
        tape.events.append(rec)   # its own forward event
    return result
