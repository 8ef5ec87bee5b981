"""GET /handout: a program's steps as a page to print (app/handout.py builds it).

The program is named as for the exports (a permalink code `p`, an `example`, or `source` with
`inputs` and `seed`); `steps` chooses pages ("1-3,7", 1-based; every step by default), `paper`
is a4 or letter. The program runs in the worker pool as a trace does; the pictures are drawn
in a thread, bounded by app/handout.py's page and time limits.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from chainrule.app.api import run_trace
from chainrule.app.exports import BadExport, program_state
from chainrule.app.handout import BadSteps, Handout, build_handout, parse_steps
from chainrule.app.pages import TEMPLATES
from chainrule.app.query import MAX_PARAM_CHARS
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from markupsafe import Markup

router = APIRouter(include_in_schema=False)


PROGRAM_PARAMS = ("p", "example", "source", "inputs", "seed", "theme")


def _page(request: Request, handout: Handout | None, paper: str, theme: str,
          problem: str = "", status: int = 200) -> HTMLResponse:
    pages = [] if handout is None else [
        {**vars(p), "svg": Markup(p.svg)} for p in handout.pages]
    # the page's own form re-asks for the same program with other steps or paper
    program = {k: v for k, v in request.query_params.items() if k in PROGRAM_PARAMS}
    return TEMPLATES.TemplateResponse(request, "handout.html", {
        "handout": handout, "pages": pages, "paper": paper, "theme": theme,
        "problem": problem, "program": program,
        "steps": request.query_params.get("steps", "")}, status_code=status)


@router.get("/handout", response_class=HTMLResponse)
async def handout(
        request: Request,
        p: Annotated[str | None, Query(max_length=MAX_PARAM_CHARS)] = None,
        example: Annotated[str | None, Query(max_length=100)] = None,
        source: Annotated[str | None, Query(max_length=MAX_PARAM_CHARS)] = None,
        inputs: Annotated[str | None, Query(max_length=10_000)] = None,
        seed: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
        steps: Annotated[str | None, Query(max_length=200)] = None,
        paper: Literal["a4", "letter"] = "a4",
        theme: Literal["light", "dark"] = "light") -> HTMLResponse:
    try:
        state = program_state(p, example, source, inputs, seed, None)
    except BadExport as e:
        return _page(request, None, paper, theme, e.message, 400)
    status, body = await run_trace(request, state.source, state.inputs or None, state.seed)
    data = json.loads(body)
    if status != 200:
        err = data.get("error") or {}
        where = f" (line {err['line']}, column {err['col']})" if err.get("line") else ""
        return _page(request, None, paper, theme,
                     f"The program was refused{where}: {err.get('message', '')}", status)
    try:
        chosen = parse_steps(steps, len(data.get("steps") or []))
    except BadSteps as e:
        return _page(request, None, paper, theme, str(e), 400)
    built = await run_in_threadpool(build_handout, data, chosen, theme)
    return _page(request, built, paper, theme)
