"""The learner's own `class Value` (issue 15): which objects are value nodes, and what a run
records about them for the trace (engine/own_value_trace.py draws it).

A **value node** is an object of a plain class of the program (not an nn.Module) whose
attributes hold `data` (a number), `grad` (a number), `_prev` (a set, tuple, list or frozenset:
its children) and `_op` (a string, '' for a leaf). Those are the attributes micrograd's Value
and the lecture's own Value carry and the ones the lecture's draw_dot reads; the class and its
methods may be named anything. `label` is read when present.

While the program runs, engine/lang/classes.py tells this module:
- `born(obj)`: an object of a program class finished `__init__`; a value node gets its birth
  number and the span of the user's expression that made it (`a*b`, `n(x)`, `Value(2.0)`), the
  outermost operator or method call on a program object, not the line inside `__mul__`.
- `run_backward(obj, fn, ...)`: the program calls a value node's `_backward` closure. Every
  `.grad` the closure assigns is recorded (value before its first write, after the call, the
  span of each writing statement) as one `own_backward` tape event, in the order the
  program's own topological sort calls the closures.
- `grad_assigned(obj, old)`: `.grad` assigned outside any `_backward` closure (the seed
  `self.grad = 1.0`, `p.grad = 0.0`): an `own_grad` tape event.
"""

from __future__ import annotations

import contextvars
from typing import Any

from chainrule.engine.tensor import current_tape

_NUMBER = (int, float)
_CHILDREN = (set, frozenset, tuple, list)
# the span of the outermost operator/method call on a program object now running (see module)
_outer: contextvars.ContextVar[Any] = contextvars.ContextVar("own_value_outer", default=None)
# the `_backward` closures now running, innermost last: {obj: grad before its first write}
_writes: contextvars.ContextVar[tuple] = contextvars.ContextVar("own_value_writes", default=())


def _number(x: Any) -> bool:
    return isinstance(x, _NUMBER) and not isinstance(x, bool)


def is_value_node(obj: Any) -> bool:
    attrs = getattr(obj, "attrs", None)
    if type(attrs) is not dict:
        return False
    return (_number(attrs.get("data")) and _number(attrs.get("grad"))
            and isinstance(attrs.get("_prev"), _CHILDREN) and isinstance(attrs.get("_op"), str))


def children(obj: Any) -> list[Any]:
    """A value node's children that are value nodes, each once, in birth order."""
    seen: dict[int, Any] = {}
    for c in obj.attrs.get("_prev", ()):
        if is_value_node(c):
            seen.setdefault(id(c), c)
    return sorted(seen.values(), key=birth)


def birth(obj: Any) -> int:
    return getattr(obj, "own_birth", 0)


def enter_call() -> Any:
    """At an operator or method call on a program object: remember its span unless an outer
    one is running already. Returns what `leave_call` needs."""
    if _outer.get() is not None:
        return None
    return _outer.set(current_tape().span)


def leave_call(token: Any) -> None:
    if token is not None:
        _outer.reset(token)


# engine/own_value_fd.py re-runs a program with one Value's data moved: (birth number, the
# change, the birth number of the root to watch); the run keeps the root at `tape.own_watched`
nudge: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("own_value_nudge",
                                                                     default=None)


def born(obj: Any) -> None:
    if not is_value_node(obj):
        return
    tape = current_tape()
    if not tape.keep:
        return
    n = obj.own_birth = tape.own_count + 1   # the same in a re-run
    tape.own_count = n
    obj.own_span = _outer.get() or tape.span
    tape.own_last = obj
    moved = nudge.get()
    if moved is not None:
        if n == moved[0]:
            obj.attrs["data"] = moved[1](obj.attrs["data"])
        if n == moved[2]:
            tape.own_watched = obj


def grad_assigned(obj: Any, old: Any) -> None:
    """`obj.grad = …` just happened; `old` is the grad before it (None if it had none)."""
    running = _writes.get()
    if running:
        writes = running[-1]
        if id(obj) not in writes:
            writes[id(obj)] = [obj, old, []]
        writes[id(obj)][2].append(current_tape().span)
        return
    tape = current_tape()
    if tape.keep and is_value_node(obj):
        tape.emit({"type": "own_grad", "node": obj, "before": old,
                   "after": obj.attrs.get("grad"), "span": tape.span})


def run_backward(obj: Any, call: Any) -> Any:
    """Run `call()` (the program's `obj._backward()`), recording the grads it writes."""
    tape = current_tape()
    if not tape.keep:
        return call()
    upstream = obj.attrs.get("grad")
    span = tape.span
    writes: dict[int, list] = {}
    token = _writes.set((*_writes.get(), writes))
    try:
        return call()
    finally:
        _writes.reset(token)
        tape.emit({"type": "own_backward", "node": obj, "upstream": upstream, "span": span,
                   "writes": [(o, before, o.attrs.get("grad"), spans)
                              for o, before, spans in writes.values()]})
