"""The Compare view as a worker job: (source, inputs, seed, limits, "compare").

Run where a trace runs (app/workers.run_job), so a slow program is killed past the time limit:
the program once, then each dialect's translation traced (engine/compare.py). The answer is
(status, JSON bytes) and whether the time limit was used up.
"""

from __future__ import annotations

import logging
import time

from chainrule.app.runner import dumps, error_answer, limit_response, refuse_long_source
from chainrule.engine.errors import ChainruleError
from chainrule.engine.limits import Limits

log = logging.getLogger("chainrule.compare")
JOB_KIND = "compare"   # the last item of a worker job tuple that asks for the Compare view


def compare_outcome(source: str, inputs: dict[str, float] | None, seed: int | None,
                    limits: Limits) -> tuple[tuple[int, bytes], bool]:
    """(status, JSON bytes) and whether the time limit was used up. Never raises."""
    from chainrule.engine.compare import compare_program
    started = time.monotonic()
    try:
        refuse_long_source(source, limits)
        body = compare_program(source, inputs, seed or 0, limits)
    except ChainruleError as e:
        return error_answer(e), False
    except (MemoryError, RecursionError):
        return limit_response("the comparison needed more memory or nesting than this server "
                              "allows", limits), False
    except Exception as e:   # an engine bug: answer, log, keep the worker
        log.error("internal error in the Compare view", exc_info=e)
        return (400, dumps({"error": {"kind": "internal", "message": "internal error in "
                                      f"chainrule ({type(e).__name__})", "line": None,
                                      "col": None, "node": None, "hints": []}})), False
    payload = dumps(body)
    if len(payload) > limits.max_answer_bytes:
        return limit_response("the comparison would be larger than the answer limit: compare "
                              "a smaller program", limits), False
    return (200, payload), time.monotonic() - started >= limits.max_seconds
