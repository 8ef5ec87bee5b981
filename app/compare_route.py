"""The Compare view (issue 15): POST /api/compare and the page at /compare.

One computation written in PyTorch, TensorFlow, JAX and micrograd (engine/compare.py), each
traced by our engine, their graphs on the same positions, and how each treats the output. The
page names its program with `?example=<gallery id>` (the seed's non-scalar example first) or
carries it in `#p=` like the player's permalinks.
"""

from __future__ import annotations

from chainrule.app.compare_job import JOB_KIND, compare_outcome
from chainrule.app.finite_inputs import refuse_non_finite
from chainrule.app.gallery import examples
from chainrule.app.pages import TEMPLATES
from chainrule.app.pooled import run_pooled
from chainrule.app.schemas import RefusedResponse, TraceRequest
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter()

# The gallery's Compare entries, first the seed's non-scalar example (the text chainrule grew
# from is about how the engines treat a non-scalar output)
RUNS = 5   # the program, then one translation per dialect
COMPARE_EXAMPLES = ["06_non_scalar_backward", "04_free_variables", "05_neuron", "13_relu_mlp"]


@router.post(
    "/api/compare", tags=["trace"],
    summary="The program written in PyTorch, TensorFlow, JAX and micrograd, each traced",
    responses={200: {"description": "`output` (shape, scalar) and `dialects`: per dialect its "
                                    "`source` (null where it cannot be written, with `reason`), "
                                    "`treatment` (how it treats the output), `trace` (as "
                                    "/api/trace answers it) and `aligned` (laid out on the "
                                    "PyTorch version's positions)."},
               400: {"model": RefusedResponse,
                     "description": "Refused before running, as for /api/trace."}})
async def compare(body: TraceRequest, request: Request) -> Response:
    if refused := refuse_non_finite(body.inputs):
        return refused
    job = (body.source, body.inputs, body.seed, request.app.state.settings.limits, JOB_KIND)
    # the program once, then up to four translations: each within the time limit
    status, payload = await run_pooled(request, job, lambda: compare_outcome(*job[:4])[0],
                                       "the comparison", runs=RUNS)
    return Response(payload, status_code=status, media_type="application/json")


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
async def compare_page(request: Request) -> HTMLResponse:
    by_id = {e["id"]: e for e in examples()}
    listed = [by_id[i] for i in COMPARE_EXAMPLES if i in by_id]
    return TEMPLATES.TemplateResponse(request, "compare.html", {"examples": listed})
