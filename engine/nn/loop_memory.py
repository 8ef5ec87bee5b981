"""What a long loop keeps on the tape: a 2,000-iteration training loop is a normal program.

Every op is recorded for the display, so a loop that builds a fresh graph each iteration would
grow the tape (and hit the op and element limits) N times over, although its earlier graphs are
garbage in PyTorch. `LoopMemory` watches one top-level loop (not inside a function or another
loop: there the program's own variables are every root there is). The first iteration is kept
whole (the display animates it); after each later iteration, the ops, tensors and events made
since the first one that the program can no longer reach are forgotten:

- roots: every tensor reachable from the program's variables (through lists, dicts, modules,
  optimizers, user objects, closures, `.grad`);
- kept: the roots, the records their graphs pass through (back to the loop's start), and those
  records' inputs; events about forgotten records or tensors go too, so the last iteration's
  graph and backward pass stay displayable next to the first's;
- the budget's op and element counts go down by what was forgotten: the op limit counts what
  is shown; the time limit still counts all the work.

Every iteration after the first leaves one small `iteration` event on the tape (the loop's
span, its number, and the program's scalar tensors by name: the loss), the per-iteration
summary a loss chart needs. A pass runs once the records since the first iteration doubled,
or before the next iteration could reach the op or element limit, and when the loop ends: its
cost stays linear in the loop's work. A graph the program keeps alive (`losses.append(loss)`)
is kept, as PyTorch keeps it in memory, and counts against the limits.

Picked iteration (engine/training.py, `picked_iteration`): the page asks for iteration k's
graph by re-running the program; then the loop keeps iteration k whole instead of the first:
what iterations before k made is forgotten when k starts, and the boundary moves to k's end.
The graph then has the same shape as the first iteration's, so its layout is reused.

The tape numbers tensors by their position in `tape.tensors` (engine/inplace.py relies on it):
the kept tensors after the boundary are renumbered in order, so that stays true.
"""

from __future__ import annotations

from typing import Any

from chainrule.engine.tensor import Record, Scope, Tape, Tensor
from chainrule.engine.training_pick import picked_iteration

_MIN_NEW = 200   # records a loop may add before the first forgetting pass
_ATOMS = (int, float, str, bool, type(None), complex, bytes, range)
# Events that name a record or tensor, and which field does.
_RECORD_EVENTS = ("forward", "edge")
_TENSOR_EVENTS = {"backward": "root", "backward_end": "root", "leaf_seed": "tensor",
                  "hook": "tensor"}


class LoopMemory:
    def __init__(self, interp: Any, tape: Tape) -> None:
        self.interp = interp
        self.tape = tape
        self.boundary: tuple[int, int, int] | None = None   # tensors, records, events lengths
        self.first_record = 0   # Record.index from which records may be forgotten
        self.iteration_events = 0   # len(tape.events) when the current iteration started
        self.kept = 0           # records kept after the boundary by the last pass
        self.started = (0, 0)   # the budget's ops and elements when the iteration started
        self.passes = 0         # forgetting passes run so far
        self.count = 0          # iterations started
        self.picked_start: tuple[int, int] | None = None   # tensors, next record at k's start
        self.picked = picked_iteration.get()   # the iteration to keep whole (None: the first)
        if self.picked is not None and self.picked <= 1:
            self.picked = None

    def before(self) -> None:
        tape, budget = self.tape, self.tape.budget
        self.count += 1
        if self.picked is not None and tape.keep:
            if self.boundary is None:   # waiting for the picked iteration: forget from here
                self.boundary = (len(tape.tensors), len(tape.records), len(tape.events))
                self.first_record = _next_index(tape)
            elif self.count == self.picked:
                self.picked_start = (len(tape.tensors), _next_index(tape))
        self.iteration_events = len(tape.events)
        self.started = (budget.ops, budget.elements)

    def after(self, scope: Scope) -> None:
        tape = self.tape
        if not tape.keep:
            return
        tape.emit(self.summary(scope))
        if self.boundary is None or self.count == self.picked:
            # the end of the first (or the picked) iteration: kept whole; before the picked
            # one, what the program no longer reaches goes (the previous iteration's graph)
            if self.picked_start is not None:
                self.forget(self.picked_start)
            self.boundary = (len(tape.tensors), len(tape.records), len(tape.events))
            self.first_record = _next_index(tape)
            self.kept = 0
            return
        # A pass costs what it walks (the kept graph and the new records): passes wait until
        # the records since the boundary doubled, so a graph the program keeps growing
        # (`y = y.sin()` in a loop) costs linear time in all, not quadratic.
        budget, limits = tape.budget, tape.limits
        ops, elements = budget.ops - self.started[0], budget.elements - self.started[1]
        if len(tape.records) - self.boundary[1] > 2 * self.kept + _MIN_NEW or \
                budget.ops + 2 * ops > limits.max_ops or \
                budget.elements + 2 * elements > limits.max_total_elements:
            self.forget()

    def finish(self) -> None:
        """The loop ended (or broke out): forget what the last iterations left, unless the
        loop was short (no pass ran and it made few records): a three-step loop stays whole,
        so every state of its leaves can be shown and checked."""
        if self.boundary is None or not self.tape.keep:
            return
        if self.passes == 0 and len(self.tape.records) - self.boundary[1] <= _MIN_NEW:
            return
        self.iteration_events = len(self.tape.events)
        self.forget()

    def forget(self, whole: tuple[int, int] | None = None) -> None:
        """Drop what the program cannot reach since the boundary; `whole` (tensors' position,
        record index) marks where the iteration that stays whole began."""
        tape = self.tape
        self.passes += 1
        tape.forgot = True   # engine/fd_check.py: this run's leaves are not all kept
        n_tensors, n_records, n_events = self.boundary
        if len(tape.records) == n_records and len(tape.tensors) == n_tensors:
            return
        roots = reachable_tensors(self.interp.env.values())
        keep_records: set[int] = set()
        stack = [t.record for t in roots if t.record is not None]
        first = self.first_record
        while stack:
            rec = stack.pop()
            if rec.index < first or rec.index in keep_records:
                continue
            keep_records.add(rec.index)
            stack.extend(i.record for i in rec.inputs if i.record is not None)
        records = tape.records[n_records:]
        if whole is not None:
            keep_records.update(r.index for r in records if r.index >= whole[1])
        kept_records = [r for r in records if r.index in keep_records]
        keep_tensors = {id(t) for t in roots}
        if whole is not None:
            keep_tensors.update(id(t) for t in tape.tensors[whole[0]:])
        for rec in kept_records:
            keep_tensors.add(id(rec.output))
            keep_tensors.update(id(i) for i in rec.inputs)
        tensors = tape.tensors[n_tensors:]
        kept_tensors = [t for t in tensors if id(t) in keep_tensors]
        forgotten = [t for t in tensors if id(t) not in keep_tensors]
        # A forgotten result and its record refer to each other: broken here, reference
        # counting frees them now (as Tape.release does), not the cyclic collector later,
        # which runs rarely while a program records (engine/collector.relaxed).
        for rec in records:
            if rec.index not in keep_records and id(rec.output) not in keep_tensors:
                rec.output.record = None
        tape.budget.ops -= len(records) - len(kept_records)
        tape.budget.elements -= sum(t.data.size for t in forgotten)
        self.kept = len(kept_records)
        # Iteration summaries move before the boundary: later passes need not read them again.
        summaries, events = [], []
        # the raw list (engine/edge_event.Events): forgotten edges are never made EdgeEvents
        for i, e in enumerate(list.__getitem__(tape.events, slice(n_events, None)), n_events):
            if isinstance(e, tuple):   # an edge, most events: its record is first
                if tuple.__getitem__(e, 0).index in keep_records:
                    events.append(e)
            elif e["type"] == "iteration":
                summaries.append(e)
            elif _kept_event(e, keep_records, keep_tensors, i >= self.iteration_events):
                events.append(e)
        del tape.records[n_records:]
        tape.records.extend(kept_records)
        del tape.events[n_events:]
        tape.events.extend(summaries)
        tape.events.extend(events)
        n_events += len(summaries)
        self.boundary = (n_tensors, n_records, n_events)
        del tape.tensors[n_tensors:]
        for position, t in enumerate(kept_tensors, n_tensors):
            t.id = position
            tape.tensors.append(t)
        tape.restart_ids(len(tape.tensors))
        tape.uses.clear()        # engine/inplace.py rebuilds who consumes what from the records
        tape.uses_upto = 0

    def summary(self, scope: Scope) -> dict:
        values = {}
        for name, value in self.interp.env.items():
            if isinstance(value, Tensor) and value.data.size == 1 and value.is_float:
                values[name] = float(value.data.reshape(()).item())
            elif isinstance(value, float):
                values[name] = value
        return {"type": "iteration", "span": scope.span, "iteration": scope.iteration,
                "values": values}


def _next_index(tape: Tape) -> int:
    return tape.records[-1].index + 1 if tape.records else 0


def _kept_event(event: dict, records: set[int], tensors: set[int], current: bool) -> bool:
    kind = event["type"]
    if kind in _RECORD_EVENTS:
        return event["record"].index in records
    field = _TENSOR_EVENTS.get(kind)
    if field is not None:
        return id(event[field]) in tensors
    return current   # optimizer steps & co: the latest iteration's only


def reachable_tensors(values: Any) -> list[Tensor]:
    """Every tensor the program can reach from `values` (its variables)."""
    from chainrule.engine.lang.classes import BoundUserMethod, Instance, UserClass
    from chainrule.engine.lang.functions import Frame, UserFunction
    from chainrule.engine.nn.function import FunctionCtx
    from chainrule.engine.nn.module import Module
    from chainrule.engine.nn.optim import Optimizer
    found: list[Tensor] = []
    seen: set[int] = set()
    stack = [v for v in values if not isinstance(v, _ATOMS)]
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if isinstance(v, Tensor):
            found.append(v)
            if v.grad is not None:
                stack.append(v.grad)
            m = v.meta
            if m is not None:
                if m.storage:
                    stack.extend(m.storage)
                if m.live is not None:
                    stack.append(m.live)
            continue
        if isinstance(v, list | tuple | set | frozenset):
            stack.extend([x for x in v if not isinstance(x, _ATOMS)])
        elif isinstance(v, dict):
            stack.extend([x for x in (*v.keys(), *v.values()) if not isinstance(x, _ATOMS)])
        elif isinstance(v, Module):
            stack.append(v._attrs)
            if v._parameters is not None:
                stack.extend([v._parameters, v._modules])
        elif isinstance(v, Optimizer):
            stack.extend([v.param_groups, list(v.state.values())])
        elif isinstance(v, Instance):
            stack.append(v.attrs)
        elif isinstance(v, UserClass):
            stack.append(v.namespace)
        elif isinstance(v, UserFunction):
            stack.extend([v.closure, v.defaults, v.kw_defaults])
        elif isinstance(v, Frame):
            stack.extend([v.vars, v.parent])
        elif isinstance(v, BoundUserMethod):
            stack.append(v.self_value)
        elif isinstance(v, FunctionCtx):
            stack.extend([v.attrs, v.saved])
        else:
            record = getattr(v, "record", None)   # a grad_fn object the program holds
            if isinstance(record, Record):
                stack.append(record.output)
    return found
