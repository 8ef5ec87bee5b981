"""Export routes: GET /api/export.html (a standalone player) and GET /api/export.svg (one step).

Both take the program the same way: a permalink code `p` (see app/permalink.py), an `example`
id, or `source` with `inputs` (a JSON object), `seed` and `step`. The program runs through the
same worker pool as /api/trace, so an export is limited like a trace.
"""

from __future__ import annotations

import json
import math
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.api import run_trace
from app.gallery import examples
from app.permalink import PermalinkError, ProgramState, decode
from app.runner import dumps

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
    return ProgramState(source=state.source, inputs=state.inputs,
                        seed=state.seed if seed is None else seed,
                        step=state.step if step is None else step)


def parse_inputs(raw: str | None) -> dict[str, float]:
    """`inputs` as a JSON object of finite numbers ({"x": 2})."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as e:
        raise BadExport("inputs must be a JSON object such as {\"x\": 2}") from e
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, int | float) and not isinstance(v, bool)
            and math.isfinite(v) for k, v in value.items()):
        raise BadExport("inputs must be a JSON object of finite numbers, such as {\"x\": 2}")
    return {k: float(v) for k, v in value.items()}


def _refused(message: str) -> Response:
    body = {"error": {"kind": "request", "message": message, "line": None, "col": None,
                      "node": None, "hints": []}}
    return Response(dumps(body), status_code=400, media_type="application/json")


async def _traced(request: Request, state: ProgramState) -> tuple[dict | None, Response | None]:
    status, payload = await run_trace(request, state.source, state.inputs or None, state.seed)
    if status != 200:
        return None, Response(payload, status_code=status, media_type="application/json")
    return json.loads(payload), None


_ARGS = dict(
    p=Query(None, max_length=200_000, description="A permalink code (the page's #p=…)."),
    example=Query(None, max_length=100, description="An example id from /api/examples."),
    source=Query(None, max_length=200_000, description="The program."),
    inputs=Query(None, max_length=10_000, description='Free variables, JSON: {"x": 2}.'),
    seed=Query(None, ge=0, le=2**63 - 1),
    step=Query(None, ge=-1, le=10**9, description="The step to open at (-1: the start)."),
    theme=Query("auto"),
)


@router.get("/api/export.html", summary="A standalone player: one HTML file that plays offline",
            response_class=Response,
            responses={200: {"content": {"text/html": {}}}, 400: {"description": "Refused."}})
async def export_html(request: Request, p: str | None = _ARGS["p"],
                      example: str | None = _ARGS["example"],
                      source: str | None = _ARGS["source"], inputs: str | None = _ARGS["inputs"],
                      seed: int | None = _ARGS["seed"], step: int | None = _ARGS["step"],
                      theme: Theme = _ARGS["theme"]) -> Response:
    from app.standalone import build_html
    try:
        state = program_state(p, example, source, inputs, seed, step)
    except BadExport as e:
        return _refused(e.message)
    trace, refused = await _traced(request, state)
    if refused is not None:
        return refused
    html = build_html(trace, step=state.step, theme=theme)
    return Response(html, media_type="text/html; charset=utf-8", headers={
        "content-disposition": 'attachment; filename="chainrule.html"'})


@router.get("/api/export.svg", summary="One step of the player as an SVG picture",
            response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}, 400: {"description": "Refused."}})
async def export_svg(request: Request, p: str | None = _ARGS["p"],
                     example: str | None = _ARGS["example"],
                     source: str | None = _ARGS["source"], inputs: str | None = _ARGS["inputs"],
                     seed: int | None = _ARGS["seed"], step: int | None = _ARGS["step"],
                     theme: Theme = _ARGS["theme"]) -> Response:
    from app.svg_export import render_svg
    try:
        state = program_state(p, example, source, inputs, seed, step)
    except BadExport as e:
        return _refused(e.message)
    trace, refused = await _traced(request, state)
    if refused is not None:
        return refused
    svg = render_svg(trace, step=state.step, theme=theme)
    return Response(svg, media_type="image/svg+xml; charset=utf-8", headers={
        "content-disposition": 'attachment; filename="chainrule.svg"'})
