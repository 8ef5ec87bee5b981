"""Who is asking: a per-browser token in a cookie, else the client's address.

The worker pool's fairness (app/workers.py) is by client, not by program text: ten runaways
that differ by a comment are still one client's. The token is issued by the server (a cookie
set on any response to a request without a valid one; the page's own requests carry it back)
and signed, so a client cannot pick a fresh identity per request by inventing tokens: an
unsigned or forged token counts as no token, and the address is used. An address may be a
whole classroom behind one NAT (or every client, behind a proxy that does not forward the
address): the pool never serialises an address (see `Client.shared`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from chainrule.app.workers import Client
from starlette.requests import HTTPConnection

COOKIE = "chainrule_client"
MAX_AGE = 365 * 24 * 3600
# Signing key: CHAINRULE_CLIENT_SECRET when several server processes must accept each other's
# tokens; otherwise one per process (a token from another process is then re-issued).
_KEY = os.environ.get("CHAINRULE_CLIENT_SECRET", "").encode() or secrets.token_bytes(32)


def _sign(ident: str) -> str:
    mac = hmac.new(_KEY, ident.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def new_token() -> str:
    ident = secrets.token_urlsafe(12)
    return f"{ident}.{_sign(ident)}"


def verified(token: str | None) -> str | None:
    """The token's identity if the server signed it, else None."""
    if not token or len(token) > 64:
        return None
    ident, _, mac = token.partition(".")
    return ident if mac and hmac.compare_digest(mac, _sign(ident)) else None


def client_of(conn: HTTPConnection) -> Client:
    ident = verified(conn.cookies.get(COOKIE))
    if ident is not None:
        return Client(f"token:{ident}", shared=False)
    host = conn.client.host if conn.client else "unknown"
    return Client(f"address:{host}", shared=True)


def cookie_header(https: bool) -> bytes:
    """A Set-Cookie value with a fresh token. SameSite=None on HTTPS so an embed on a course
    page (a third-party frame) carries it too; Lax otherwise (None requires Secure)."""
    site = "SameSite=None; Secure" if https else "SameSite=Lax"
    return f"{COOKIE}={new_token()}; Path=/; Max-Age={MAX_AGE}; HttpOnly; {site}".encode()
