"""JSON API: POST /api/trace, the cacheable trace GETs, GET /api/examples, GET /healthz.

POST /api/trace runs whatever program it is sent. A program that a URL names whole — a
permalink code (`GET /api/trace/{code}`) or a gallery example (`GET /api/examples/{name}/trace`)
— is answered through app/trace_cache.py: kept in this process for repeats, with a strong ETag
and, when the request names this server's build (`?build=`, the `x-chainrule-build` header of
/api/examples), a year-long immutable Cache-Control, so browsers and a reverse proxy carry a
class (docs/deployment.md).
"""

from __future__ import annotations

from chainrule.app.clients import client_of
from chainrule.app.finite_inputs import refuse_non_finite
from chainrule.app.gallery import examples
from chainrule.app.permalink import PermalinkError, decode
from chainrule.app.pooled import run_pooled
from chainrule.app.runner import dumps, limit_response, trace_response
from chainrule.app.schemas import Example, Health, RefusedResponse, TraceRequest, TraceResponse
from chainrule.app.trace_cache import (
    THREAD_MIN_BYTES,
    CachedAnswer,
    build_id,
    etag,
    matches,
    prepare,
    program_key,
)
from chainrule.app.workers import GRACE_SECONDS
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

RENDER_SECONDS = 2.0      # an export's drawing, after its program and trace
BUILD_HEADER = "x-chainrule-build"
# Cache-Control of a cacheable answer: for a year when the URL names this build (the same URL
# can then never mean another answer), for ten minutes when it names none (a new deployment
# may answer it differently); `no-store` when it names another build (this answer must not be
# filed under that build's URL) or when the answer hit a limit (it may not happen next time).
IMMUTABLE = "public, max-age=31536000, immutable"
UNVERSIONED = "public, max-age=600"
NO_STORE = "no-store"

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
    if refused := refuse_non_finite(body.inputs):
        return refused
    status, payload = await run_trace(request, body.source, body.inputs, body.seed)
    return Response(payload, status_code=status, media_type="application/json")


async def run_trace(request: Request, source: str, inputs: dict[str, float] | None,
                    seed: int | None) -> tuple[int, bytes]:
    """(status, JSON bytes) for one program: in a worker process that is killed past the time
    limit, or in a thread when the app runs without a pool (tests, notebooks)."""
    job = (source, inputs, seed, request.app.state.settings.limits)
    return await run_pooled(request, job, lambda: trace_response(*job), "the program")


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


_CACHED_RESPONSES = {
    200: {"model": TraceResponse,
          "description": "The trace, as POST /api/trace answers the same program (a runtime "
                         "error is a 200 whose `error` is set); `layout.elapsed_ms` is 0. "
                         "Headers: a strong `ETag` (one per build and program, `-gzip` for the "
                         "gzip bytes); `Cache-Control: public, max-age=31536000, immutable` "
                         "when `build` is this server's build, `public, max-age=600` without "
                         "`build`, `no-store` for another build or an answer whose error is a "
                         "limit or internal (traced afresh each time)."},
    304: {"description": "`If-None-Match` holds this answer's ETag: nothing is run."},
    400: {"model": RefusedResponse,
          "description": "Refused before running: syntax, a construct outside the language, a "
                         "source over the size limit (with line and column), or a damaged "
                         "permalink (kind `link`, no line). Cached like a trace: the same "
                         "program under the same build is always refused the same way."}}
_BUILD_QUERY = Query(None, max_length=64, description=(
    "The build the caller expects (the `x-chainrule-build` header of GET /api/examples): "
    "when it is this server's, the answer may be cached for good."))


@router.get("/api/trace/{code}", tags=["trace"], responses=_CACHED_RESPONSES,
            summary="The trace of the program a permalink code carries (cacheable)")
async def trace_of_code(code: str, request: Request, build: str | None = _BUILD_QUERY) \
        -> Response:
    """`code` is the permalink's `#p=` value (app/permalink.py): source, inputs and seed; its
    step does not change the trace."""
    try:
        state = decode(code)
    except PermalinkError as e:
        answer = prepare(400, dumps({"error": {
            "kind": "link", "message": str(e), "line": None, "col": None, "end_line": None,
            "end_col": None, "node": None, "hints": []}}))
        ours = build_id(request.app.state.settings.limits)
        # keyed as no program can be (seed -1), so its ETag is no trace's
        return cached_response(request, program_key(ours, code, None, -1), answer, build,
                               ours)
    return await cached_trace(request, state.source, state.inputs, state.seed, build)


@router.get("/api/examples/{name}/trace", tags=["trace", "examples"],
            responses={**_CACHED_RESPONSES, 404: {"model": RefusedResponse,
                                                  "description": "No example of that name."}},
            summary="The trace of a gallery example (cacheable)")
async def trace_of_example(name: str, request: Request, build: str | None = _BUILD_QUERY) \
        -> Response:
    found = next((ex for ex in examples() if ex["id"] == name), None)
    if found is None:
        return Response(dumps({"error": {
            "kind": "name", "message": f"there is no example called {name[:100]!r}",
            "line": None, "col": None, "node": None, "hints": []}}),
            status_code=404, media_type="application/json")
    return await cached_trace(request, found["source"], {}, 0, build)


async def cached_trace(request: Request, source: str, inputs: dict[str, float] | None,
                       seed: int | None, build: str | None) -> Response:
    """The answer for a program a URL names: 304 if the client holds it, else from the cache,
    else traced (once, however many ask at the same time) and kept if it may be."""
    ours = build_id(request.app.state.settings.limits)
    key = program_key(ours, source, inputs, seed)
    if matches(request.headers.get("if-none-match"), etag(key, accepts_gzip(request))):
        return not_modified(key, build, ours, accepts_gzip(request))

    async def compute() -> CachedAnswer:
        status, body = await run_trace(request, source, inputs, seed)
        if len(body) >= THREAD_MIN_BYTES:
            return await run_in_threadpool(prepare, status, body)
        return prepare(status, body)

    answer = await request.app.state.trace_cache.answer(key, compute)
    return cached_response(request, key, answer, build, ours)


def not_modified(key: str, build: str | None, ours: str, gz: bool) -> Response:
    return Response(status_code=304, headers=cache_headers(key, build, ours, True, gz))


def cached_response(request: Request, key: str, answer: CachedAnswer, build: str | None,
                    ours: str) -> Response:
    gz = accepts_gzip(request)
    if answer.keep and matches(request.headers.get("if-none-match"), etag(key, gz)):
        return not_modified(key, build, ours, gz)
    headers = cache_headers(key, build, ours, answer.keep, gz)
    if gz:
        headers["content-encoding"] = "gzip"
        return Response(answer.gzipped, status_code=answer.status, headers=headers,
                        media_type="application/json")
    return Response(answer.plain(), status_code=answer.status, headers=headers,
                    media_type="application/json")


def cache_headers(key: str, build: str | None, ours: str, keep: bool, gz: bool) \
        -> dict[str, str]:
    headers = {"vary": "Accept-Encoding", BUILD_HEADER: ours}
    if not keep:
        headers["cache-control"] = NO_STORE
        return headers
    headers["etag"] = etag(key, gz)
    headers["cache-control"] = (IMMUTABLE if build == ours else
                                UNVERSIONED if build is None else NO_STORE)
    return headers


def accepts_gzip(request: Request) -> bool:
    """gzip is acceptable unless the client says otherwise (`gzip;q=0`) or names none."""
    for part in request.headers.get("accept-encoding", "").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


@router.get("/api/examples", tags=["examples"], response_model=list[Example],
            summary="The examples gallery",
            responses={200: {"description": f"The gallery. The `{BUILD_HEADER}` header names "
                                            "this server's build, for the cacheable GETs."}})
async def list_examples(request: Request, response: Response) -> list[dict]:
    response.headers[BUILD_HEADER] = build_id(request.app.state.settings.limits)
    return examples()


@router.get("/healthz", tags=["ops"], response_model=Health)
async def healthz() -> dict:
    from chainrule.app import __version__
    return {"status": "ok", "version": __version__}
