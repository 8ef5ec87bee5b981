"""In-place changes to tensors, with PyTorch's version counters and storage sharing.

A tensor object lives on while its value changes (`y.mul_(2)`, `x += 1`, `x[0] = 5`). The graph
must still show, and backward still use, the value each op saw. So an in-place op first moves
the tensor's current state into a *snapshot*: a new Tensor with the old data, record, name and
version, which takes the old state's place everywhere — the records that consumed it, the
record that produced it, its position and id on the tape. Then the op runs out of place on the
snapshot, and the live tensor becomes the result: new data, the new record (PyTorch's grad_fn
of an in-place op, e.g. MulBackward0), version + 1.

Version counters are PyTorch's: shared by a tensor and its `detach()` (one counter), separate
for `.data` (changing `x.data` in place leaves `x._version` alone). A record that saved a tensor
which is later changed in place is marked (`Record.modified`); backward raises PyTorch's "one
of the variables needed for gradient computation has been modified by an inplace operation"
when it reaches that record.

Storage: `x.data` and `x.detach()` share x's data. Data arrays are never written into (0-d
floats are immutable NumPy scalars, engine/tensor.py); sharing means the new array is given to
every alias. An alias changed without a version bump (x when `x.data` changes) keeps its
object and its consumers, as PyTorch does (they see the new values), unless every record that
used it has already been freed by a backward pass: then a snapshot keeps the old values for the
display and no backward can read them.

Consumers are found through `Tape.uses`, an index built the first time a program changes a
tensor in place and brought up to date from `Tape.uses_upto` after that (linear overall). On a
tape that keeps nothing (`keep=False`, engine code outside a run) consumers are not known.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
from chainrule.engine.errors import BackwardError, ChainruleError, RuntimeProblem
from chainrule.engine.grad_mode import (
    INFERENCE_IN_PLACE,
    inference_depth,
    is_grad_enabled,
    is_inference,
)
from chainrule.engine.tensor import Record, Tape, Tensor, apply, current_tape

LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_IN_PLACE = ("a view of a leaf Variable that requires grad is being used in an "
                         "in-place operation.")
MODIFIED_HINT = ("Hint: enable anomaly detection to find the operation that failed to compute "
                 "its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")

# What PyTorch's backward node saves, by op name: the inputs it keeps ("out" for the result).
# Only a saved tensor changed in place breaks backward (`x + 1` then `x.add_(1)` is fine).
# PyTorch's name() of these nodes is namespaced; their class (and printed) name is not.
QUALIFIED_NAMES = {"CopyBackwards": "torch::autograd::CopyBackwards",
                   "CopySlices": "torch::autograd::CopySlices",
                   "AccumulateGrad": "torch::autograd::AccumulateGrad"}
_BACKWARD = re.compile(r"Backward\d*$")   # MulBackward0 -> Mul, as PyTorch's message says
_SAVES_NOTHING = frozenset({"add", "sub", "neg", "sum", "mean", "reshape", "unsqueeze",
                            "squeeze", "transpose", "index", "zero", "fill", "copy",
                            "setitem"})
SAVES_OUTPUT = frozenset({"exp", "tanh", "sigmoid", "relu", "sqrt", "reciprocal", "softmax",
                           "log_softmax"})
SAVES_FIRST_INPUT = frozenset({"log", "sin", "cos", "abs", "pow", "clamp"})


class Meta:
    """Autograd state a tensor needs only once it is aliased, changed in place, hooked or
    asked to retain its grad (`Tensor.meta`; None for most tensors)."""

    __slots__ = ("version", "counter", "storage", "hooks", "post_hooks", "retains_grad", "live",
                 "node", "view_of", "made_by")

    def __init__(self) -> None:
        self.version = 0              # this object's state's version (a snapshot keeps its own)
        self.counter = [0]            # the version counter, shared with detach() aliases
        self.storage: list[Tensor] | None = None   # tensors sharing the data (x, x.data...)
        self.hooks: list[Callable[[Tensor], Any]] | None = None
        self.post_hooks: list[Callable[[Tensor], Any]] | None = None   # after .grad is set
        self.retains_grad = False
        self.live: Tensor | None = None   # a snapshot of a leaf: where its gradient goes
        # the display-only record that made a leaf's state by hand (`p -= lr * p.grad` under
        # no_grad: the leaf keeps no grad_fn), so the next change gives it the snapshot
        self.made_by: Record | None = None
        self.node: Any = None             # the leaf's AccumulateGrad node (autograd_api)
        self.view_of: tuple | None = None  # (base, op name, attrs): a view changed in place


def meta(t: Tensor) -> Meta:
    m = t.meta
    if m is None:
        m = t.meta = Meta()
    return m


def live(t: Tensor) -> Tensor:
    """The tensor that now holds `t`'s storage: `t` itself unless `t` is a snapshot."""
    m = t.meta
    return t if m is None or m.live is None else m.live


# ---------------------------------------------------------------- aliases


def alias(t: Tensor, share_version: bool) -> Tensor:
    """A tensor sharing `t`'s data, requires_grad False: `x.detach()` (share_version=True,
    one version counter, as PyTorch) or `x.data` (its own counter)."""
    a = object.__new__(Tensor)
    _copy_state(t, a)
    a.requires_grad, a.grad, a.record, a.name, a.origin = False, None, None, None, "detached"
    tape = current_tape()
    a.span, a.scope, a.meta = tape.span, tape.scope, None
    a.id = tape.register(a)
    m, am = meta(t), meta(a)
    if m.storage is None:
        m.storage = [t]
    m.storage.append(a)
    am.storage = m.storage
    if share_version:
        am.counter = m.counter
        am.version = m.counter[0]
    return a


_UNSET = object()
_STATE_SLOTS = tuple(name for name in Tensor.__slots__ if name != "__weakref__")


def _copy_state(src: Tensor, dst: Tensor) -> None:
    """Every slot of `src` onto `dst` (including ones other parts add, such as the dtype)."""
    if type(src) is Tensor or type(src).__slots__ == ():   # a subclass adding no slots
        try:   # each slot is set when the engine makes a tensor (Tensor.__init__, apply)
            (dst.data, dst.requires_grad, dst.grad, dst.record, dst.id, dst.name, dst.origin,
             dst.span, dst.scope, dst.dtype_name, dst.meta) = (
                src.data, src.requires_grad, src.grad, src.record, src.id, src.name,
                src.origin, src.span, src.scope, src.dtype_name, src.meta)
            return
        except AttributeError:
            pass   # a slot never set on `src`: the loop below skips it
    for name in _STATE_SLOTS:
        value = getattr(src, name, _UNSET)
        if value is not _UNSET:   # else a slot never set on `src`
            setattr(dst, name, value)


# ---------------------------------------------------------------- consumers and snapshots


def _consumers(tape: Tape, t: Tensor) -> list[Record]:
    if not tape.keep:
        return []
    uses, records = tape.uses, tape.records
    for rec in records[tape.uses_upto:]:
        for inp in rec.inputs:
            found = uses.get(inp.id)
            if found is None:
                uses[inp.id] = [rec]
            elif found[-1] is not rec:   # x * x: one entry
                found.append(rec)
    tape.uses_upto = len(records)
    return uses.get(t.id, [])


def _snapshot(t: Tensor) -> Tensor:
    """A new tensor holding `t`'s current state (not yet in `t`'s place: see `_install`)."""
    s = object.__new__(Tensor)
    _copy_state(t, s)
    s.grad = None
    sm = s.meta = Meta()
    tm = meta(t)
    sm.version, sm.counter = tm.version, tm.counter
    if t.record is None and t.requires_grad:
        sm.live = t                           # a leaf's gradient still goes to the leaf
    return s


def _install(tape: Tape, t: Tensor, s: Tensor, consumers: list[Record], producer: bool) -> None:
    """The snapshot `s` takes `t`'s place in `consumers` and, with `producer`, as the output of
    the record that made `t` and at `t`'s id and tape position (t gets new ones: `_become`)."""
    for rec in consumers:
        rec.inputs = tuple([s if x is t else x for x in rec.inputs])
    tm = meta(t)
    if t.record is not None and t.requires_grad and tm.hooks:
        s.meta.hooks, tm.hooks = tm.hooks, None   # a non-leaf's hooks stay with its old node
    if producer:
        if t.record is not None:
            t.record.output = s
        elif tm.made_by is not None and tm.made_by.output is t:
            tm.made_by.output = s   # the previous hand-made state is this snapshot
        if tape.keep and t.id < len(tape.tensors) and tape.tensors[t.id] is t:
            tape.tensors[t.id] = s
        t.id = -1
    else:
        s.id = tape.register(s)
        if t.id in tape.uses:
            tape.uses[s.id] = tape.uses.pop(t.id)


def _mark_saved(consumers: list[Record], t: Tensor) -> None:
    """Records that saved `t` for backward remember its version before this change, and how
    PyTorch's message will name it: a saved output by the node that made it ("output 0 of
    Sigmoid"), a saved input by the tensor's grad_fn when backward fails (so `t` itself)."""
    for rec in consumers:
        if rec.modified is None and not rec.freed and _saved(rec, t):
            named = _describe_output(t, rec) if rec.output is t else t
            rec.modified = (meta(t).counter, t.version, named)


def _describe_output(t: Tensor, rec: Record) -> str:
    text = f"[torch.{_dtype_word(t)}Tensor {_shape_text(t.shape)}]"
    if t.requires_grad:
        text += f", which is output 0 of {_node_name(rec)},"
    return text


def _saved(rec: Record, t: Tensor) -> bool:
    name = rec.op.name
    if name in _SAVES_NOTHING:
        return False
    ins = rec.inputs
    if name in SAVES_OUTPUT:
        return rec.output is t
    if name in SAVES_FIRST_INPUT:
        return ins[0] is t
    if name in ("mul", "matmul"):   # each input is kept for the other's gradient
        return any(x is t and ins[1 - i].requires_grad for i, x in enumerate(ins))
    if name == "div":               # a / b keeps b for both gradients, a only for b's
        return (ins[0] is t and ins[1].requires_grad) or \
            (ins[1] is t and (ins[0].requires_grad or ins[1].requires_grad))
    return rec.op.saves and (rec.output is t or any(x is t for x in ins))


def _node_name(rec: Record) -> str:
    name = rec.grad_fn
    return _BACKWARD.sub("", QUALIFIED_NAMES.get(name, name))


def describe(t: Tensor) -> str:
    """How PyTorch names a saved tensor in the modified-by-an-inplace-operation message."""
    text = f"[torch.{_dtype_word(t)}Tensor {_shape_text(t.shape)}]"
    if t.record is not None and t.requires_grad:
        text += f", which is output 0 of {_node_name(t.record)},"
    return text


def check_saved(rec: Record) -> None:
    """Raise PyTorch's error if `rec` saved a tensor that changed in place since."""
    if rec.modified is not None:
        counter, saved, named = rec.modified
        desc = named if isinstance(named, str) else describe(live(named))
        raise BackwardError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {desc} is at version {counter[0]}; expected version {saved} "
            f"instead. {MODIFIED_HINT}")


# ---------------------------------------------------------------- the in-place step


def _shape_text(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


_TYPE_WORDS = {"float32": "Float", "float64": "Double", "int64": "Long", "bool": "Bool"}


def _dtype_word(t: Tensor) -> str:
    name = getattr(t, "dtype_name", None) or ("float32" if t.is_float else "int64")
    return _TYPE_WORDS.get(name, name)


def in_place(t: Tensor, run: Callable[[Tensor], Tensor], *, view: bool = False) -> Tensor:
    """Change `t` in place to `run(old)`, where `run` applies out-of-place ops to the old state
    (a snapshot) and returns the result. Returns `t`, as PyTorch's in-place methods do."""
    grad_on = is_grad_enabled()
    if t.requires_grad and t.record is None and grad_on:
        raise RuntimeProblem(VIEW_OF_LEAF_IN_PLACE if view else LEAF_IN_PLACE)
    relation = _view_base(t)
    if relation is not None and relation[0].requires_grad and relation[0].record is None \
            and grad_on:
        raise RuntimeProblem(VIEW_OF_LEAF_IN_PLACE)
    tape = current_tape()
    if tape.inference and is_inference(t) and not inference_depth():
        raise RuntimeProblem(INFERENCE_IN_PLACE)
    consumers = list(_consumers(tape, t))
    by_hand = t.requires_grad and t.record is None and not grad_on   # p -= lr * p.grad
    # Under no_grad a non-leaf keeps its grad_fn (PyTorch): no new record may take over, so
    # its state is changed where it is, with the version bump that guards saved tensors.
    keep_record = t.record is not None and t.requires_grad and not grad_on
    old = t if keep_record else _snapshot(t)
    n_records, n_events = len(tape.records), len(tape.events)
    try:
        result = run(old)
        if result.shape != t.shape:
            raise RuntimeProblem(f"output with shape {_shape_text(t.shape)} doesn't match the "
                                 f"broadcast shape {_shape_text(result.shape)}")
        if not t.is_float and result.is_float:
            raise RuntimeProblem(f"result type {_dtype_word(result)} can't be cast to the "
                                 f"desired output type {_dtype_word(t)}")
    except ChainruleError:
        del tape.records[n_records:]   # what `run` recorded before failing is not shown
        del tape.events[n_events:]
        raise
    _mark_saved([*consumers, *([t.record] if t.record is not None else [])], t)
    data = result.data
    dtype = t.data.dtype   # an array's, or a float64 scalar's (engine/tensor.py)
    if data.dtype != dtype:
        data = np.asarray(data).astype(dtype)
        data = data[()] if data.ndim == 0 and data.dtype == np.float64 else data
    if keep_record:
        t.data = data
    else:
        _install(tape, t, old, consumers, producer=True)
        _become(tape, t, result, data)
    _bump(t)
    _share(tape, t, data)
    if by_hand:
        _tell_update(tape, t, old, data)
    if relation is not None:
        if relation[0].requires_grad and is_grad_enabled():
            _copy_slices(relation, t)
        else:
            _write_through(tape, relation, data)
    return t


def _copy_slices(relation: tuple, view: Tensor) -> None:
    """A view of a base that needs a gradient changed in place: the base becomes its old value
    with the view's region replaced (PyTorch's CopySlices node), so the gradient reaches the
    old base outside the region and the view's in-place op inside it. The view then shares the
    base's version counter, as in PyTorch (`y._version == v._version`)."""
    from chainrule.engine.inplace_ops import ROWS  # it imports this module
    from chainrule.engine.ops import OPS

    base, kind, attrs = relation
    if kind == "index":
        key, value = attrs["key"], view
    elif kind == "transpose" and len(view.shape) >= 2:
        key, value = Ellipsis, apply(OPS["transpose"], (view,), dim0=attrs.get("dim0", 0),
                                     dim1=attrs.get("dim1", 1))
    else:
        key, value = Ellipsis, apply(OPS["reshape"], (view,), shape=base.shape)
    in_place(base, lambda old: apply(ROWS["setitem"], (old, value), key=key))
    vm, bm = meta(view), meta(base)
    vm.counter, vm.version = bm.counter, bm.counter[0]


# What reshape(), view(), x[i], x[1:3], transpose() return in PyTorch is a view: changing it in
# place changes its base. Followed here for bases that need no gradient (data, as in d2l's
# `X = x.reshape(3, 4); X[1, 2] = 17` changing x), found from the op that made the view.
_VIEW_OPS = frozenset({"reshape", "unsqueeze", "squeeze", "transpose", "index"})


def _view_base(t: Tensor) -> tuple | None:
    m = t.meta
    if m is not None and m.view_of is not None:
        return m.view_of
    rec = t.record
    if rec is None or rec.output is not t or rec.op.name not in _VIEW_OPS:
        return None
    if rec.op.name == "index":
        key = rec.attrs.get("key")
        parts = key if isinstance(key, tuple) else (key,)
        if not all(p is None or p is Ellipsis or isinstance(p, int | slice) for p in parts):
            return None   # indexing with tensors or lists copies
    relation = (rec.inputs[0], rec.op.name, rec.attrs)
    meta(t).view_of = relation
    return relation


def _write_through(tape: Tape, relation: tuple, data: Any) -> None:
    base, kind, attrs = relation
    values = np.asarray(data)
    if kind == "index":
        new = np.array(base.data, copy=True)
        new[attrs["key"]] = values
    elif kind == "transpose" and values.ndim >= 2:
        new = np.swapaxes(values, attrs.get("dim0", 0), attrs.get("dim1", 1)).copy()
    else:
        new = np.reshape(values, base.shape).copy()
    new = new.astype(np.asarray(base.data).dtype)
    if new.ndim == 0 and new.dtype == np.float64:
        new = new[()]
    store(base, new, bump=True, tape=tape)   # a view shares its base's version counter
    _share(tape, base, new)
    above = _view_base(base)
    if above is not None and not above[0].requires_grad:
        _write_through(tape, above, new)


def _become(tape: Tape, t: Tensor, result: Tensor, data: Any) -> None:
    """The live tensor takes the result's place: its data, record, id and tape position."""
    rec = result.record
    t.data = data
    t.id = result.id
    if tape.keep and result.id < len(tape.tensors) and tape.tensors[result.id] is result:
        tape.tensors[result.id] = t
    t.span, t.scope = result.span, result.scope
    if rec is not None:
        rec.output = t
    if is_grad_enabled():
        t.record, t.requires_grad = rec, result.requires_grad
    elif not t.requires_grad:
        t.record = rec   # a no-grad result, kept for the display (as apply does)
    elif rec is not None:
        meta(t).made_by = rec   # a leaf changed by hand: the record is the display's only


def _bump(t: Tensor) -> None:
    m = meta(t)
    m.counter[0] += 1
    m.version = m.counter[0]


def _share(tape: Tape, t: Tensor, data: Any) -> None:
    """Give the new data to every tensor sharing `t`'s storage."""
    m = t.meta
    if m is None or m.storage is None:
        return
    for other in m.storage:
        if other is t:
            continue
        om = meta(other)
        shared = om.counter is m.counter   # detach(): the same counter, already bumped
        store(other, data, bump=False, mark=shared, tape=tape)
        if shared:
            om.version = m.version


def _tell_update(tape: Tape, t: Tensor, old: Tensor, data: Any) -> None:
    """A parameter changed by hand under no_grad (`p -= lr * p.grad`): a `manual_update`
    event, so the page can show it as it shows an optimizer step (engine/training.py)."""
    grad = None if t.grad is None else np.array(t.grad.data, dtype=np.float64)
    tape.emit({"type": "manual_update", "span": tape.span, "param": t,
               "before": np.array(old.data, dtype=np.float64),
               "after": np.array(data, dtype=np.float64), "grad": grad})


def store(t: Tensor, data: Any, *, bump: bool, mark: bool = False,
          tape: Tape | None = None) -> None:
    """Replace `t`'s values without recording an op (accumulating a `.grad`, an alias's
    storage changing): consumers keep seeing `t` (PyTorch: they share its storage) unless all
    of them are freed, in which case a snapshot keeps the old values for the display."""
    tape = tape or current_tape()
    consumers = list(_consumers(tape, t))
    if bump or mark:   # a version change: records that saved t must fail in backward
        _mark_saved(consumers, t)
    if t.record is None and consumers and all(rec.freed for rec in consumers):
        _install(tape, t, _snapshot(t), consumers, producer=False)
    t.data = data
    if bump:
        _bump(t)


def set_data(t: Tensor, value: Tensor) -> None:
    """`x.data = y`: x takes y's values (any shape, as PyTorch), leaving its old aliases."""
    m = t.meta
    if m is not None and m.storage is not None and any(a is value for a in m.storage):
        return   # `x.data -= ...` assigns back the alias it changed: already shared
    if m is not None and m.storage is not None:
        m.storage.remove(t)
        m.storage = None
    store(t, value.data, bump=False)
