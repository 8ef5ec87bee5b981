"""Which loop iteration a run keeps whole for the display (engine/nn/loop_memory.py).

The per-iteration route (app/training_route.py) re-runs the program with this set to k, so
the trace shows iteration k's graph and update step instead of the first's. A context
variable, not an argument: the loop memory is made deep inside the interpreter, and the
server stays stateless (same program + same k = same answer)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

picked_iteration: ContextVar[int | None] = ContextVar("picked_iteration", default=None)


@contextmanager
def picking(iteration: int | None) -> Iterator[None]:
    token = picked_iteration.set(iteration)
    try:
        yield
    finally:
        picked_iteration.reset(token)
