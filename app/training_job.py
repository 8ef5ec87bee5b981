"""A training program's trace with iteration k kept whole (engine/training_pick.py): what the
per-iteration route runs, in a worker process or a thread, like any trace."""

from __future__ import annotations

from chainrule.app.runner import trace_outcome
from chainrule.engine.limits import Limits
from chainrule.engine.training_pick import picking

JOB_KIND = "training"


def training_outcome(source: str, inputs: dict[str, float] | None, seed: int | None,
                     limits: Limits, iteration: int) -> tuple[tuple[int, bytes], bool]:
    with picking(iteration):
        status, body, timed_out = trace_outcome(source, inputs, seed, limits)
    return (status, body), timed_out
