"""The finite-difference check as a worker job: (source, inputs, seed, limits, "fd_check").

Run in a worker process (app/workers.run_job) like a trace, so a slow program is killed past the
time limit; its answer is (status, JSON bytes) and whether the time limit was used up.
"""

from __future__ import annotations

import logging

from chainrule.app.runner import dumps, error_answer, limit_response, refuse_long_source
from chainrule.engine.errors import ChainruleError
from chainrule.engine.limits import Limits

log = logging.getLogger("chainrule.fd_check")
JOB_KIND = "fd_check"    # the last item of a worker job tuple that asks for this check


def fd_outcome(source: str, inputs: dict[str, float] | None, seed: int | None,
               limits: Limits) -> tuple[tuple[int, bytes], bool]:
    """(status, JSON bytes) and whether the time limit was used up. Never raises."""
    from chainrule.engine.fd_check import check_gradients
    try:
        refuse_long_source(source, limits)
        check = check_gradients(source, inputs, seed or 0, limits)
    except ChainruleError as e:   # refused or stopped before the check could start
        return error_answer(e), False
    except (MemoryError, RecursionError):
        return limit_response("the check needed more memory or nesting than this server "
                              "allows", limits), False
    except Exception as e:   # an engine bug: answer, log, keep the worker
        log.error("internal error in the finite-difference check", exc_info=e)
        return (200, dumps({"leaves": [], "runs": 0, "seconds": 0.0, "tolerance": 0.0,
                            "step": 0.0, "note": None,
                            "error": {"kind": "internal", "message": "internal error in "
                                      f"chainrule ({type(e).__name__})", "line": None,
                                      "col": None}})), False
    body = check.to_dict()
    if body["error"] is not None:
        body["error"] = {**body["error"], "node": None, "hints": []}
    return (200, dumps(body)), check.seconds >= limits.max_seconds
