"""JSON API: POST /api/trace, GET /api/examples, GET /healthz."""

from __future__ import annotations

import math

from chainrule.app.clients import client_of
from chainrule.app.gallery import examples
from chainrule.app.runner import dumps, limit_response, trace_response
from chainrule.app.schemas import Example, Health, RefusedResponse, TraceRequest, TraceResponse
from chainrule.app.workers import GRACE_SECONDS
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

RENDER_SECONDS = 2.0      # an export's drawing, after its program and trace

router = APIRouter()


@router.post(
    "/api/trace", tags=["trace"],
    summary="Run a program and return its graph, timeline, layout and variables",
    responses={200: {"model": TraceResponse,
                     "description": "The trace. A runtime error (non-scalar backward, shape "
                                    "mismatch) is a 200 whose `error` is set, with the graph "
                                    "recorded up to the failing line."},
               400: {"model": RefusedResponse,
                     "description": "Refused before running: syntax, a construct outside the "
                                    "language, or a source over the size limit."}})
async def trace(body: TraceRequest, request: Request) -> Response:
    bad = [name for name, v in (body.inputs or {}).items() if not math.isfinite(v)]
    if bad:   # JSON has no NaN/Infinity; Python's parser reads them (and 1e999) anyway
        detail = [{"type": "finite_number", "loc": ["body", "inputs", name],
                   "msg": "Input should be a finite number", "input": str(body.inputs[name])}
                  for name in bad]
        return Response(dumps({"detail": detail}), status_code=422,
                        media_type="application/json")
    status, payload = await run_trace(request, body.source, body.inputs, body.seed)
    return Response(payload, status_code=status, media_type="application/json")


async def run_trace(request: Request, source: str, inputs: dict[str, float] | None,
                    seed: int | None) -> tuple[int, bytes]:
    """(status, JSON bytes) for one program: in a worker process that is killed past the time
    limit, or in a thread when the app runs without a pool (tests, notebooks)."""
    settings = request.app.state.settings
    job = (source, inputs, seed, settings.limits)
    pool = request.app.state.pool
    if pool is None:
        return await run_in_threadpool(trace_response, *job)
    timeout = settings.limits.max_seconds + GRACE_SECONDS
    outcome = await pool.run_async(job, timeout, client_of(request))
    return outcome or limit_response(
        f"the program ran longer than the {settings.limits.max_seconds:g} s time limit "
        "(or ran out of memory) and was stopped", settings.limits, source=source)


async def run_export(request: Request, job: tuple) -> tuple[int, bytes, str]:
    """(status, body, "svg" | "html" | "json") for an export job (app/export_job.py): the
    program and its drawing in a worker process, or in a thread without a pool — never in
    the event loop. The drawing gets RENDER_SECONDS on top of the trace's time."""
    from chainrule.app.export_job import export_outcome, render_answer

    settings = request.app.state.settings
    pool = request.app.state.pool
    if pool is None:
        answer, _ = await run_in_threadpool(export_outcome, *job)
        return answer
    timeout = settings.limits.max_seconds + GRACE_SECONDS + RENDER_SECONDS
    outcome = await pool.run_async(job, timeout, client_of(request))
    if outcome is not None and len(outcome) == 3:
        return outcome
    # Killed, or refused before running (a trace answer): drawn in a thread, it is small.
    status, body = outcome or limit_response(
        f"the program and its drawing ran longer than the {settings.limits.max_seconds:g} s "
        "time limit (or ran out of memory) and were stopped", settings.limits, source=job[0])
    if status != 200:
        return status, body, "json"
    _, kind, step, theme = job[3:]
    return await run_in_threadpool(render_answer, body, kind, step, theme, settings.limits)


@router.get("/api/examples", tags=["examples"], response_model=list[Example],
            summary="The examples gallery")
async def list_examples() -> list[dict]:
    return examples()


@router.get("/healthz", tags=["ops"], response_model=Health)
async def healthz() -> dict:
    from chainrule.app import __version__
    return {"status": "ok", "version": __version__}
