"""HTTP hardening: security headers on every response, and a cap on request bodies."""

from __future__ import annotations

import asyncio
import json
import logging

from chainrule.app.clients import COOKIE, cookie_header, verified
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("chainrule.http")
# A body over the cap is still read (and dropped) up to these bounds before the 413: nginx's
# default client_max_body_size (1 MiB) fits, so a proxy never sees the connection reset.
DRAIN_BYTES = 4_000_000
DRAIN_SECONDS = 2.0

_BASE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
             "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
             "form-action 'self'")
# Only the embed page may be framed (course pages on any origin); everything else may not.
CSP_PAGE = _BASE_CSP + "; frame-ancestors 'none'"
CSP_EMBED = _BASE_CSP + "; frame-ancestors *"


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    embed = path == "/embed"
    headers = [
        (b"content-security-policy", (CSP_EMBED if embed else CSP_PAGE).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if not embed:
        headers.append((b"x-frame-options", b"DENY"))
    return headers


class HardeningMiddleware:
    """Adds security headers; answers 413 for bodies over `max_body_bytes` (read and dropped
    first, within bounds: `_drain`)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"])
        if not scope["path"].startswith("/static/") and not shared_answer(scope) \
                and needs_token(scope):
            extra = [*extra, (b"set-cookie", cookie_header(scope.get("scheme") == "https"))]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in names]
            await send(message)

        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            # A client waiting for "100 Continue" has not sent the body, and one that
            # announces more than we would read and drop gets its answer at once.
            if int(declared) > DRAIN_BYTES or headers.get(b"expect", b"").lower() == \
                    b"100-continue":
                await self._too_large(send_with_headers, close=True)
            else:
                await self._too_large(send_with_headers, close=not await _drain(receive, 0))
            return
        # Read the whole body (at most the cap) before the app sees it: a body without a
        # content-length (chunked) is counted here, so going over is a 413 rather than an
        # exception inside the app's own body parsing (which FastAPI turns into a 400).
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return   # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body_bytes:
                complete = not message.get("more_body", False) or await _drain(receive, seen)
                await self._too_large(send_with_headers, close=not complete)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and _is_json(scope) and (problem := _unreadable_json(body)):
            await self._unreadable(send_with_headers, problem)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            await self.app(scope, replay, send_tracked)
        except Exception:
            # A bug must still answer with the headers: Starlette's own 500 is written outside
            # this middleware, without them. Logged here, not re-raised (nothing could answer).
            log.exception("unhandled error answering %s %s", scope.get("method"), scope["path"])
            if not started:
                await self._internal_error(send_with_headers)

    async def _internal_error(self, send: Send) -> None:
        body = json.dumps({"error": {"kind": "internal", "message": (
            "internal error in chainrule (logged on the server)"),
            "line": None, "col": None, "node": None, "hints": []}}).encode()
        await send({"type": "http.response.start", "status": 500,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _unreadable(self, send: Send, problem: str) -> None:
        """422, as FastAPI answers JSON it can parse but not accept, with the same shape."""
        body = json.dumps({"detail": [{"type": "json_invalid", "loc": ["body"], "msg": problem,
                                       "input": None}]}).encode()
        await send({"type": "http.response.start", "status": 422,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _too_large(self, send: Send, close: bool) -> None:
        """413; `close` when the rest of the body was not read (the connection cannot carry
        another request)."""
        body = json.dumps({"error": {"kind": "limit", "message": (
            f"the request body is over the limit of {self.max_body_bytes:,} bytes"),
            "line": None, "col": None, "node": None, "hints": []}}).encode()
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413,
                    "headers": headers + [(b"connection", b"close")] * close})
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive, dropped: int) -> bool:
    """Read and drop the rest of a request body that will be refused; True once it ended.

    Answering before the body is read makes the server close a connection the client is still
    writing to: the client sees a reset instead of the 413, and nginx answers 502 and takes
    the replica out of rotation. Bounded: DRAIN_BYTES in all, within DRAIN_SECONDS (False
    past either, or if the client went away; the connection is then closed)."""
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while dropped <= DRAIN_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return False
                dropped += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return dropped <= DRAIN_BYTES
    except TimeoutError:
        pass
    return False


def shared_answer(scope: Scope) -> bool:
    """A cacheable trace GET (app/api.py): one answer for every client, so it carries no
    Set-Cookie (a shared cache would hand one client's token to all; nginx would not cache it)."""
    path = scope["path"]
    return scope.get("method") in ("GET", "HEAD") and (
        path.startswith("/api/trace/")
        or (path.startswith("/api/examples/") and path.endswith("/trace")))


def needs_token(scope: Scope) -> bool:
    """A request without a valid client token (app/clients.py): its answer issues one."""
    from starlette.requests import HTTPConnection
    return verified(HTTPConnection(scope).cookies.get(COOKIE)) is None


def _is_json(scope: Scope) -> bool:
    ctype = dict(scope.get("headers", [])).get(b"content-type", b"").split(b";")[0].strip()
    return ctype == b"application/json" or ctype.endswith(b"+json")


def _unreadable_json(body: bytes) -> str | None:
    """Why FastAPI could not even decode this JSON body, or None. FastAPI answers a body that
    is not UTF-8 text, or nests past Python's recursion limit, with a bare 400 "There was an
    error parsing the body" that the OpenAPI document does not describe (its 400 is a refused
    program); other JSON errors FastAPI answers itself with a 422."""
    try:
        json.loads(body)
    except json.JSONDecodeError:
        return None
    except UnicodeDecodeError:
        return "the body is not UTF-8 text"
    except RecursionError:
        return "the body nests too deeply to read"
    except ValueError as e:
        return f"the body cannot be read as JSON ({e})"
    return None
