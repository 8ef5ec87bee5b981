"""POST /api/fd_check: the finite-difference check of every leaf's gradient (engine/fd_check.py).

The page asks for it on request (a learner presses "Check numerically" beside a leaf's
gradient): it re-runs the program twice per element, so it is never part of /api/trace. It
runs where a trace runs — in a worker process killed past the time limit, or in a thread when
the app has no pool — and all its runs share one time limit.
"""

from __future__ import annotations

from chainrule.app.fd_check_job import JOB_KIND, fd_outcome
from chainrule.app.finite_inputs import refuse_non_finite
from chainrule.app.pooled import run_pooled
from chainrule.app.schemas import ErrorInfo, Nested, RefusedResponse, TraceRequest
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

router = APIRouter()


class LeafCheckInfo(BaseModel):
    node: str = Field(description="The leaf's node id in the trace of the same program.")
    label: str
    shape: list[int]
    mode: str = Field(description="`elements`: arrays shaped like the leaf, one estimate per "
                                  "element; `direction`: a leaf over 64 elements, checked "
                                  "along one ±1 direction v (numbers are Σ gradient·v).")
    h: float = Field(description="The largest step used (h = 1e-6 · max(1, |x|)).")
    gradient: Nested = Field(description="The chain-rule gradient (backward's).")
    estimate: Nested = Field(description="(f(x+h) − f(x−h)) / 2h; null where not checked.")
    difference: Nested = Field(description="estimate − gradient.")
    max_difference: float | None
    agrees: bool | None = Field(description="Every checked |difference| ≤ tolerance · "
                                            "max(1, |gradient|).")
    checked: int
    elements: int
    note: str | None


class FdCheckResponse(BaseModel):
    leaves: list[LeafCheckInfo]
    runs: int = Field(description="How many times the program was run again.")
    seconds: float
    tolerance: float
    step: float
    note: str | None = Field(description="Why nothing, or not everything, was checked.")
    error: ErrorInfo | None = Field(description="The program's own error (its first run).")


@router.post(
    "/api/fd_check", tags=["trace"],
    summary="Check each leaf's gradient against a central finite difference",
    responses={200: {"model": FdCheckResponse,
                     "description": "One entry per leaf that received a gradient from a "
                                    "backward() call: the chain-rule gradient, the estimate "
                                    "(f(x+h) − f(x−h)) / 2h computed by re-running the program "
                                    "with the leaf moved, and their difference."},
               400: {"model": RefusedResponse,
                     "description": "Refused before running, as for /api/trace."}})
async def fd_check(body: TraceRequest, request: Request) -> Response:
    if refused := refuse_non_finite(body.inputs):
        return refused
    job = (body.source, body.inputs, body.seed, request.app.state.settings.limits, JOB_KIND)
    status, payload = await run_pooled(request, job, lambda: fd_outcome(*job[:4])[0],
                                       "the check")
    return Response(payload, status_code=status, media_type="application/json")
