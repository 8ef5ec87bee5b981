"""A scalar graph's fast recording (engine/tensor._apply_scalar) and its tape's cheap events.

The scalar path is taken inside a recording for the ops with `scalar_locals` on float64
scalars; the general path of `apply` is taken for the same op whenever NumPy's warnings are not
already silenced (`_quiet` false). Tests generated from the op rows run both on the same inputs
and compare everything a reader of the tape can see: the result, its record, the tape's lists,
ids, counters and the limit errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from chainrule.engine import grad_mode
from chainrule.engine.backward import backward
from chainrule.engine.edge_event import EdgeEvent, Events
from chainrule.engine.errors import LimitError
from chainrule.engine.limits import Limits
from chainrule.engine.ops import OPS
from chainrule.engine.tensor import (
    Record,
    Scope,
    Tape,
    Tensor,
    _quiet,
    apply,
    at_span,
    in_scope,
    recording,
)

SCALAR_OPS = sorted(n for n, op in OPS.items() if op.scalar_locals is not None)
_VALUES = (1.5, -2.0, 0.0, -0.0, float("inf"), float("nan"))


def _run(name: str, values: tuple, dtypes: tuple, grads: tuple, grad_on: bool, general: bool,
         limits: Limits | None = None):
    """Record `name` on fresh tensors and return what the tape saw (or the error's text)."""
    tape = Tape()
    with recording(tape):
        token = _quiet.set(False) if general else None
        try:
            with in_scope(Scope("loop", "i = 1", (1, 0, 2, 4), 1, 3, 7)), at_span((1, 4, 1, 9)):
                ins = []
                for v, d, g in zip(values, dtypes, grads, strict=True):
                    t = Tensor(v, requires_grad=g)
                    t.dtype_name = d
                    ins.append(t)
                grad_mode.set_grad_enabled_now(grad_on)
                if limits is not None:   # the inputs were made; the op's result meets these
                    tape.limits = tape.budget.limits = limits
                try:
                    out = apply(OPS[name], tuple(ins))
                except LimitError as e:
                    return ("error", e.message, len(tape.tensors), len(tape.records),
                            tape.budget.ops, tape.budget.elements)
        finally:
            if token is not None:
                _quiet.reset(token)
    rec = out.record
    data = out.data
    return (type(data), np.float64(data).tobytes(), out.requires_grad, out.dtype_name,
            out.origin, out.span, out.scope, out.id, out.grad, out.name, out.meta,
            rec.op is OPS[name], rec.inputs == tuple(ins), rec.output is out, dict(rec.attrs),
            rec.span, rec.scope, rec.freed, rec.modified, rec.node, out.grad_fn,
            tape.tensors[-1] is out, tape.records[-1] is rec, tape.events[-1] is rec,
            len(tape.tensors), len(tape.records), len(tape.events), tape.budget.ops,
            tape.budget.elements)


def _cases(arity: int) -> list:
    values = list(itertools.product(_VALUES, repeat=arity))
    dtypes = list(itertools.product((None, "float64", "float32"), repeat=arity))
    grads = list(itertools.product((False, True), repeat=arity))
    # every value pair with plain inputs, every dtype and grad combination on one pair
    return [(v, (None,) * arity, (True,) * arity) for v in values] + \
        [(values[0], d, g) for d in dtypes for g in grads]


@pytest.mark.parametrize("name", SCALAR_OPS)
def test_the_scalar_path_records_what_the_general_path_records(name):
    arity = len(OPS[name].rules)
    for values, dtypes, grads in _cases(arity):
        for grad_on in (True, False):
            fast = _run(name, values, dtypes, grads, grad_on, general=False)
            slow = _run(name, values, dtypes, grads, grad_on, general=True)
            assert fast == slow, (name, values, dtypes, grads, grad_on)


@pytest.mark.parametrize("name", SCALAR_OPS)
@pytest.mark.parametrize("limit", ["max_ops", "max_total_elements", "max_tensor_elements"])
def test_the_scalar_path_stops_at_each_limit_as_the_general_path(name, limit):
    arity = len(OPS[name].rules)
    # the inputs fit; the op's result is the one over the limit
    at = {"max_ops": 0, "max_total_elements": arity, "max_tensor_elements": 0}[limit]
    limits = Limits(**{limit: at})
    fast = _run(name, (1.5,) * arity, (None,) * arity, (True,) * arity, True, False, limits)
    slow = _run(name, (1.5,) * arity, (None,) * arity, (True,) * arity, True, True, limits)
    assert fast[0] == "error" and fast == slow


def test_a_record_reads_as_the_forward_event_dict_it_replaces():
    tape = Tape()
    with recording(tape):
        y = Tensor(2.0, requires_grad=True) * Tensor(3.0)
    rec = tape.events[-1]
    assert type(rec) is Record and rec is y.record
    assert rec["type"] == "forward" and rec["record"] is rec
    assert rec.get("type") == "forward" and rec.get("span") is None and rec.get("x", 7) == 7
    assert "record" in rec and "type" in rec and "span" not in rec
    with pytest.raises(KeyError):
        rec["span"]


def test_edges_are_kept_as_tuples_and_read_as_edge_events():
    tape = Tape()
    with recording(tape):
        a = Tensor(2.0, requires_grad=True)
        b = Tensor(3.0, requires_grad=True)
        backward(a * b + a)       # d/da = b + 1 = 4, d/db = a = 2
    raw = [ev for ev in list.__iter__(tape.events) if isinstance(ev, tuple)]
    assert raw and all(type(ev) is tuple for ev in raw)
    edges = [ev for ev in tape.events if ev["type"] == "edge"]
    assert len(edges) == len(raw) == 4 and all(type(ev) is EdgeEvent for ev in edges)
    assert [tuple(ev) for ev in edges] == raw
    last = [ev for ev in edges if ev["record"].inputs[ev["input_index"]] is a][-1]
    assert last["total"] == 4.0 and last["complete"] and last["leaf_grad"] == a.grad.data
    # indexing, slicing and reversing read them the same way
    i = next(k for k, ev in enumerate(list.__iter__(tape.events)) if isinstance(ev, tuple))
    assert type(tape.events[i]) is EdgeEvent and tape.events[i] == raw[0]
    assert [type(ev) for ev in tape.events[i:i + 1]] == [EdgeEvent]
    assert [ev for ev in reversed(tape.events) if ev["type"] == "edge"] == edges[::-1]
    assert a.grad.data == 4.0 and b.grad.data == 2.0


def test_events_is_a_list_for_everything_else():
    ev = Events([{"type": "print", "chars": 3}])
    ev.append((None,) * 11)
    ev.extend([{"type": "iteration"}])
    assert len(ev) == 3 and ev[0] == {"type": "print", "chars": 3} and type(ev[1]) is EdgeEvent
    del ev[1:]
    assert list(ev) == [{"type": "print", "chars": 3}]
