"""HTTP hardening: security headers on every response, and a cap on request bodies."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    """Adds security headers; answers 413 for bodies over `max_body_bytes`."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in names]
            await send(message)

        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send_with_headers)
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
                await self._too_large(send_with_headers)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps({"error": {"kind": "limit", "message": (
            f"the request body is over the limit of {self.max_body_bytes:,} bytes"),
            "line": None, "col": None, "node": None, "hints": []}}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
