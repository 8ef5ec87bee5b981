"""Export routes: GET /api/export.html (a standalone player) and GET /api/export.svg (one step).

Both take the program the same way: a permalink code `p` (see app/permalink.py), an `example`
id, or `source` with `inputs` (a JSON object), `seed` and `step`. The program runs, and is
drawn, in the same worker pool as /api/trace (app/export_job.py), so an export is limited like
a trace and never blocks the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Literal

from chainrule.app.api import run_export
from chainrule.app.gallery import examples
from chainrule.app.permalink import PermalinkError, ProgramState, decode
from chainrule.app.query import MAX_PARAM_CHARS, BadQuery, json_inputs
from chainrule.app.runner import dumps
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

router = APIRouter(tags=["export"])
Theme = Literal["auto", "light", "dark"]


class BadExport(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def program_state(p: str | None, example: str | None, source: str | None, inputs: str | None,
                  seed: int | None, step: int | None) -> ProgramState:
    """The program an export request names; explicit `step`/`seed` override the code's."""
    if p is not None:
        try:
            state = decode(p)
        except PermalinkError as e:
            raise BadExport(str(e)) from e
    elif example is not None:
        found = next((ex for ex in examples() if ex["id"] == example), None)
        if found is None:
            raise BadExport(f"there is no example called {example!r}")
        state = ProgramState(source=found["source"])
    elif source is not None:
        state = ProgramState(source=source, inputs=parse_inputs(inputs))
    else:
        raise BadExport("say which program to export: p (a permalink code), example, or source")
    return replace(state, seed=state.seed if seed is None else seed,
                   step=state.step if step is None else step)


def parse_inputs(raw: str | None) -> dict[str, float]:
    """`inputs` as a JSON object of finite numbers ({"x": 2}), read by pydantic as the body is
    (3,000 `[` are a validation error there, a RecursionError in Python's json)."""
    try:
        return json_inputs(raw)
    except BadQuery as e:
        raise BadExport(str(e)) from None


def _refused(message: str) -> Response:
    body = {"error": {"kind": "request", "message": message, "line": None, "col": None,
                      "node": None, "hints": []}}
    return Response(dumps(body), status_code=400, media_type="application/json")


@dataclass(frozen=True)
class ExportQuery:
    """The query both export routes take (FastAPI reads it as a dependency)."""

    p: str | None = Query(None, max_length=MAX_PARAM_CHARS,
                          description="A permalink code (the page's #p=…).")
    example: str | None = Query(None, max_length=100,
                                description="An example id from /api/examples.")
    source: str | None = Query(None, max_length=MAX_PARAM_CHARS, description=(
        "The program (up to 100,000 characters here; the request head may be up to 128,000 "
        "bytes, longer is a 414): a long program is better sent as a permalink code or to "
        "POST /api/trace."))
    inputs: str | None = Query(None, max_length=10_000,
                               description='Free variables, JSON: {"x": 2}.')
    seed: int | None = Query(None, ge=0, le=2**63 - 1)
    step: int | None = Query(None, ge=-1, le=10**9,
                             description="The step to open at (-1: the start).")
    theme: Theme = Query("auto")


async def _export(request: Request, q: ExportQuery, kind: str, media_type: str,
                  filename: str) -> Response:
    try:
        state = program_state(q.p, q.example, q.source, q.inputs, q.seed, q.step)
    except BadExport as e:
        return _refused(e.message)
    job = (state.source, state.inputs or None, state.seed, request.app.state.settings.limits,
           kind, state.step, q.theme)
    status, body, what = await run_export(request, job)
    if what == "json":
        return Response(body, status_code=status, media_type="application/json")
    return Response(body, media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


@router.get("/api/export.html", summary="A standalone player: one HTML file that plays offline",
            response_class=Response,
            responses={200: {"content": {"text/html": {}}}, 400: {"description": "Refused."}})
async def export_html(request: Request, q: Annotated[ExportQuery, Depends()]) -> Response:
    return await _export(request, q, "html", "text/html; charset=utf-8", "chainrule.html")


@router.get("/api/export.svg", summary="One step of the player as an SVG picture",
            response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}, 400: {"description": "Refused."}})
async def export_svg(request: Request, q: Annotated[ExportQuery, Depends()]) -> Response:
    return await _export(request, q, "svg", "image/svg+xml; charset=utf-8", "chainrule.svg")
