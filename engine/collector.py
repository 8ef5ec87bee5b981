"""Python's cyclic garbage collector while chainrule runs a program or builds its trace.

Recording allocates objects the collector tracks at a high rate (a Tensor, a Record and an
event per op, a tuple per backward edge) and keeps nearly all of them alive until the trace is
built: the collector's passes walk them and find almost nothing. Two policies:

- `relaxed()` while a program runs (engine/tensor.recording): the youngest generation is
  collected every RELAXED_THRESHOLD allocations instead of 700, so the live tape is walked
  rarely, while real cyclic garbage (a learner's objects that refer to each other, a long loop's
  forgotten graphs) is still collected — memory stays bounded.
- `paused()` while a trace is built (engine/trace.py): nothing the build allocates becomes
  cyclic garbage before it ends, so the collector is off until the last concurrent build ends.

Both nest and work across threads: the first to enter sets the policy, the last to leave
restores what was there before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

RELAXED_THRESHOLD = 50_000   # allocations between young collections (CPython's default: 700)

_lock = threading.Lock()
_paused = {"depth": 0, "was_enabled": False}
_relaxed = {"depth": 0, "thresholds": gc.get_threshold()}


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic garbage collection inside (a trace's build: its full passes walked the whole
    heap three times per 3,000-node trace, ~140 ms of ~620, and found nothing)."""
    with _lock:
        if _paused["depth"] == 0:
            _paused["was_enabled"] = gc.isenabled()
            gc.disable()
        _paused["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _paused["depth"] -= 1
            if _paused["depth"] == 0 and _paused["was_enabled"]:
                gc.enable()


@contextmanager
def relaxed() -> Iterator[None]:
    """Young collections every RELAXED_THRESHOLD allocations inside (a program's run)."""
    with _lock:
        if _relaxed["depth"] == 0:
            _relaxed["thresholds"] = gc.get_threshold()
            first, *rest = _relaxed["thresholds"]
            gc.set_threshold(max(first, RELAXED_THRESHOLD), *rest)
        _relaxed["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _relaxed["depth"] -= 1
            if _relaxed["depth"] == 0:
                gc.set_threshold(*_relaxed["thresholds"])
