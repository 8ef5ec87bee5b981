"""POST /api/training: one iteration of a training loop, on demand (issue #13).

The trace of a training program holds every iteration's loss and the first iteration's graph
(engine/training.py). When the learner picks iteration k, the page asks here: the program is
run again from the start (deterministic: same source, inputs and seed) and iteration k is kept
whole instead of the first, so the answer is a whole trace whose graph has the first
iteration's shape — the same layout — and whose `training.update` is iteration k's optimizer
step. The server keeps nothing between requests.
"""

from __future__ import annotations

import math

from chainrule.app.clients import client_of
from chainrule.app.runner import dumps, limit_response
from chainrule.app.schemas import RefusedResponse, TraceResponse
from chainrule.app.training_job import JOB_KIND, training_outcome
from chainrule.app.workers import GRACE_SECONDS
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

router = APIRouter()
MAX_ITERATION = 10**7   # beyond any loop the time limit lets run


class IterationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    source: str = Field(..., description="The program, as for POST /api/trace.")
    inputs: dict[str, float] | None = None
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    iteration: int = Field(..., ge=1, le=MAX_ITERATION,
                           description="Which iteration of the program's first top-level "
                                       "loop to keep whole (1-based).")


@router.post(
    "/api/training", tags=["trace"],
    summary="The trace of a training program with iteration k's graph and update step",
    responses={200: {"model": TraceResponse,
                     "description": "The trace, as POST /api/trace answers, except that the "
                                    "loop's iteration `iteration` is the one kept whole: its "
                                    "graph (same shape and layout as the first's) and "
                                    "`training.update` (its optimizer step)."},
               400: {"model": RefusedResponse, "description": "Refused before running."}})
async def training_iteration(body: IterationRequest, request: Request) -> Response:
    bad = [name for name, v in (body.inputs or {}).items() if not math.isfinite(v)]
    if bad:
        detail = [{"type": "finite_number", "loc": ["body", "inputs", name],
                   "msg": "Input should be a finite number", "input": str(body.inputs[name])}
                  for name in bad]
        return Response(dumps({"detail": detail}), status_code=422,
                        media_type="application/json")
    settings = request.app.state.settings
    job = (body.source, body.inputs, body.seed, settings.limits, JOB_KIND, body.iteration)
    pool = request.app.state.pool
    if pool is None:
        (status, payload), _ = await run_in_threadpool(training_outcome, *job[:4], job[5])
    else:
        outcome = await pool.run_async(job, settings.limits.max_seconds + GRACE_SECONDS,
                                       client_of(request))
        status, payload = outcome or limit_response(
            f"the program ran longer than the {settings.limits.max_seconds:g} s time limit "
            "(or ran out of memory) and was stopped", settings.limits, source=body.source)
    return Response(payload, status_code=status, media_type="application/json")
