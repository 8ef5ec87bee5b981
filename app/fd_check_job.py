"""The finite-difference check as a worker job: (source, inputs, seed, limits, "fd_check").

Run in a worker process (app/workers.run_job) like a trace, so a slow program is killed past the
time limit; its answer is (status, JSON bytes) and whether the time limit was used up.
"""

from __future__ import annotations

import logging

from chainrule.app.job_guard import guarded
from chainrule.app.runner import dumps
from chainrule.engine.limits import Limits

log = logging.getLogger("chainrule.fd_check")
JOB_KIND = "fd_check"    # the last item of a worker job tuple that asks for this check


def fd_outcome(source: str, inputs: dict[str, float] | None, seed: int | None,
               limits: Limits) -> tuple[tuple[int, bytes], bool]:
    """(status, JSON bytes) and whether the time limit was used up. Never raises."""
    from chainrule.engine.fd_check import check_gradients
    check, failed = guarded(lambda: check_gradients(source, inputs, seed or 0, limits), source,
                            limits, what="the check", log=log, internal=_internal)
    if failed is not None:
        return failed, False
    body = check.to_dict()
    if body["error"] is not None:
        body["error"] = {**body["error"], "node": None, "hints": []}
    return (200, dumps(body)), check.seconds >= limits.max_seconds


def _internal(e: BaseException) -> tuple[int, bytes]:
    return 200, dumps({"leaves": [], "runs": 0, "seconds": 0.0, "tolerance": 0.0, "step": 0.0,
                       "note": None, "error": {"kind": "internal", "message": "internal error in "
                                               f"chainrule ({type(e).__name__})", "line": None,
                                               "col": None}})
