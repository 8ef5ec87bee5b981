"""The Compare view as a worker job: (source, inputs, seed, limits, "compare").

Run where a trace runs (app/workers.run_job), so a slow program is killed past the time limit:
the program once, then each dialect's translation traced (engine/compare.py). The answer is
(status, JSON bytes) and whether the time limit was used up.
"""

from __future__ import annotations

import logging
import time

from chainrule.app.job_guard import guarded
from chainrule.app.runner import dumps, limit_response
from chainrule.engine.limits import Limits

log = logging.getLogger("chainrule.compare")
JOB_KIND = "compare"   # the last item of a worker job tuple that asks for the Compare view


def compare_outcome(source: str, inputs: dict[str, float] | None, seed: int | None,
                    limits: Limits) -> tuple[tuple[int, bytes], bool]:
    """(status, JSON bytes) and whether the time limit was used up. Never raises."""
    from chainrule.engine.compare import compare_program
    started = time.monotonic()
    body, failed = guarded(lambda: compare_program(source, inputs, seed or 0, limits), source,
                           limits, what="the comparison", log=log, internal=_internal)
    if failed is not None:
        return failed, False
    payload = dumps(body)
    if len(payload) > limits.max_answer_bytes:
        return limit_response("the comparison would be larger than the answer limit: compare "
                              "a smaller program", limits), False
    return (200, payload), time.monotonic() - started >= limits.max_seconds


def _internal(e: BaseException) -> tuple[int, bytes]:
    return 400, dumps({"error": {"kind": "internal", "message": "internal error in chainrule "
                                 f"({type(e).__name__})", "line": None, "col": None,
                                 "node": None, "hints": []}})
