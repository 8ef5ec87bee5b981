"""A training run's graph is the picked iteration's (issue #13).

After a training loop the tape holds more than one iteration: the one kept whole (the first,
or the one the page picked, engine/training_pick.py), the last one (the program can still
reach its `loss`), and each parameter's live tensor, whose state is the one after the last
step. Drawn as they are, the picked iteration's graph sat beside the last iteration's and
beside four unconnected nodes labelled `0.weight (step 100)` with the final weights: the
learner who picked iteration 50 read iteration 100's numbers. `focus` keeps, for the display:

- every record made outside the loop, and the picked iteration's records;
- any record those need (a state carried from iteration to iteration stays connected);
- the tensors the kept records use or make, and every other tensor except those made in another
  iteration of the loop and the states of a parameter (its live tensor, its snapshots after
  other steps) that no kept record uses.

Events about what is dropped go too (the other iteration's forward and backward steps); the
summary events (`iteration`, `optimizer_step`, `manual_update`, `print`) stay. Only a run the
page shows as training — a loop whose parameters are updated and whose loss is charted — is
focused: any other loop's every iteration stays on the graph.
"""

from __future__ import annotations

from typing import Any

from chainrule.engine.inplace import live

_RECORD_FIELDS = ("record",)
_TENSOR_FIELDS = ("root", "tensor")


def focus(tape: Any, picked: int, loop_span: Any) -> dict[int, int]:
    """Drop from `tape` (records, tensors, events) what belongs to iterations other than
    `picked` of the loop at `loop_span`. Returns {live parameter's id: the id of the state
    the picked iteration used}, for parameters whose live tensor left the graph (the update
    step names that state's node)."""
    records = tape.records
    dropped = {id(r) for r in records if _iteration(r.scope, loop_span) not in (None, picked)}
    # a kept record's ancestors stay, wherever they were made
    stack = [r for r in records if id(r) not in dropped]
    seen: set[int] = set()
    while stack:
        rec = stack.pop()
        if id(rec) in seen:
            continue
        seen.add(id(rec))
        dropped.discard(id(rec))
        stack.extend(i.record for i in rec.inputs if i.record is not None)
    kept_records = [r for r in records if id(r) not in dropped]
    used: set[int] = set()
    for rec in kept_records:
        used.add(id(rec.output))
        used.update(id(i) for i in rec.inputs)
    used_states = {id(live(t)) for t in tape.tensors if id(t) in used}

    def keep(t: Any) -> bool:
        if id(t) in used:
            return True
        if _iteration(t.scope, loop_span) not in (None, picked):
            return False
        # a state of a parameter the kept graph shows in another state
        is_state = t.meta is not None and (t.meta.live is not None or t.meta.version > 0)
        return not (is_state and id(live(t)) in used_states)

    tensors = [t for t in tape.tensors if keep(t)]
    kept_tensors = {id(t) for t in tensors}
    events = [e for e in tape.events if _event_kept(e, dropped, kept_tensors)]
    tape.records[:] = kept_records
    tape.tensors[:] = tensors
    tape.events[:] = events
    return _stand_ins(tensors)


def training_loop(events: list[dict]) -> Any:
    """The span of the loop a training run charts: its first top-level loop."""
    for e in events:
        if e["type"] == "iteration":
            return e["span"]
    return None


def _stand_ins(tensors: list) -> dict[int, int]:
    """{parameter's id: its earliest state on the graph}, for parameters whose earliest state
    is a snapshot: the state the picked iteration's forward pass read."""
    first: dict[int, Any] = {}
    for t in tensors:
        p = live(t)
        version = t.meta.version if t.meta is not None else 0
        if id(p) not in first or version < first[id(p)][0]:
            first[id(p)] = (version, t, p)
    return {p.id: t.id for _, t, p in first.values() if t is not p}


def _iteration(scope: tuple, loop_span: Any) -> int | None:
    """Which iteration of the loop at `loop_span` something was made in (None: outside)."""
    for s in scope or ():
        if s.kind == "loop" and s.span == loop_span:
            return s.iteration
    return None


def _event_kept(event: dict, dropped: set[int], tensors: set[int]) -> bool:
    for field in _RECORD_FIELDS:
        rec = event.get(field)
        if rec is not None and id(rec) in dropped:
            return False
    for field in _TENSOR_FIELDS:
        t = event.get(field)
        if t is not None and hasattr(t, "meta") and id(t) not in tensors:
            return False
    return True
