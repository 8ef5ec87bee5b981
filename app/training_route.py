"""POST /api/training: one iteration of a training loop, on demand (issue #13).

The trace of a training program holds every iteration's loss and the first iteration's graph
(engine/training.py). When the learner picks iteration k, the page asks here: the program is
run again from the start (deterministic: same source, inputs and seed) and iteration k is kept
whole instead of the first, so the answer is a whole trace whose graph has the first
iteration's shape — the same layout — and whose `training.update` is iteration k's optimizer
step. The server keeps nothing between requests.
"""

from __future__ import annotations

from chainrule.app.finite_inputs import refuse_non_finite
from chainrule.app.pooled import run_pooled
from chainrule.app.runner import dumps
from chainrule.app.schemas import RefusedResponse, TraceResponse
from chainrule.app.training_job import JOB_KIND, training_outcome
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
    if refused := refuse_non_finite(body.inputs):
        return refused
    status, payload = await run_iteration(request, body.source, body.inputs, body.seed,
                                          body.iteration)
    return Response(payload, status_code=status, media_type="application/json")


def _cached_responses() -> dict:
    """GET /api/trace/{code}'s documented answers (200, 304, 400 for a damaged code or a
    refused program) plus 422 for an iteration out of range."""
    from chainrule.app.api import _CACHED_RESPONSES
    return {**_CACHED_RESPONSES, 422: {"description": "The iteration is out of range."}}


async def run_iteration(request: Request, source: str, inputs: dict[str, float] | None,
                        seed: int | None, iteration: int) -> tuple[int, bytes]:
    """(status, JSON bytes) of one iteration's trace, in a worker or a thread."""
    job = (source, inputs, seed, request.app.state.settings.limits, JOB_KIND, iteration)
    return await run_pooled(request, job, lambda: training_outcome(*job[:4], iteration)[0],
                            "the program")


@router.get("/api/training/{code}/{iteration}", tags=["trace"], responses=_cached_responses(),
            summary="Iteration k of the training program a permalink code carries (cacheable)")
async def training_iteration_of_code(code: str, iteration: int, request: Request,
                                     build: str | None = None) -> Response:
    """As POST /api/training for the program a permalink's `#p=` value carries, cached like
    GET /api/trace/{code} (app/trace_cache.py): an ETag, and immutable when `build` is ours."""
    from chainrule.app.api import cached_response
    from chainrule.app.permalink import PermalinkError, decode
    from chainrule.app.trace_cache import THREAD_MIN_BYTES, build_id, prepare, program_key
    if not 1 <= iteration <= MAX_ITERATION:
        return Response(dumps({"detail": [{"type": "range", "loc": ["path", "iteration"],
                                           "msg": f"iteration must be 1 to {MAX_ITERATION}"}]}),
                        status_code=422, media_type="application/json")
    try:
        state = decode(code)
    except PermalinkError as e:
        return Response(dumps({"error": {"kind": "link", "message": str(e), "line": None,
                                         "col": None, "node": None, "hints": []}}),
                        status_code=400, media_type="application/json")
    ours = build_id(request.app.state.settings.limits)
    # keyed apart from every whole-program trace: those have seeds ≥ 0 (and -1, a bad link)
    key = program_key(ours, state.source, state.inputs, -1 - iteration - (state.seed or 0)
                      * (MAX_ITERATION + 1))

    async def compute():   # noqa: ANN202 - app/trace_cache.py's CachedAnswer
        status, body = await run_iteration(request, state.source, state.inputs, state.seed,
                                           iteration)
        if len(body) >= THREAD_MIN_BYTES:
            return await run_in_threadpool(prepare, status, body)
        return prepare(status, body)

    answer = await request.app.state.trace_cache.answer(key, compute)
    return cached_response(request, key, answer, build, ours)
