"""One way every route runs a job: in the worker pool, killed past its time, or in a thread.

A route's job is a tuple a worker understands (app/workers.run_job); without a pool (tests,
notebooks) the same work runs in a thread, never in the event loop. A job the pool had to kill
(time or memory) is answered with the limit response naming what was stopped.
"""

from __future__ import annotations

from collections.abc import Callable

from chainrule.app.clients import client_of
from chainrule.app.runner import limit_response
from chainrule.app.workers import GRACE_SECONDS
from fastapi import Request
from fastapi.concurrency import run_in_threadpool


async def run_pooled(request: Request, job: tuple, in_thread: Callable[[], tuple[int, bytes]],
                     stopped: str, runs: int = 1) -> tuple[int, bytes]:
    """(status, JSON bytes) of `job`. `in_thread()` is the same work for an app without a pool;
    `stopped` says what was stopped past the time limit ("the program", "the check"); `runs`:
    how many programs the job runs, each within the time limit."""
    settings = request.app.state.settings
    pool = request.app.state.pool
    if pool is None:
        return await run_in_threadpool(in_thread)
    seconds = runs * (settings.limits.max_seconds + GRACE_SECONDS)
    outcome = await pool.run_async(job, seconds, client_of(request))
    if outcome is not None:
        return outcome
    limit = (f"than the {settings.limits.max_seconds:g} s time limit" if runs == 1 else
             f"than {seconds:g} s (its {runs} runs)")
    return limit_response(f"{stopped} ran longer {limit} (or ran out of memory) and was stopped",
                          settings.limits, source=job[0])
