"""The HTTP protocol `chainrule serve` runs: uvicorn's h11 protocol with three guards added.

uvicorn closes a connection idle *between* requests (keep-alive timeout), but one that sends
half a request head, or a body byte every few seconds, stays open for good; 1,030 of them used
up a 1,024-descriptor limit and `/healthz` stopped answering. Here:

- a request must arrive whole (head and body) within `request_seconds` of the connection
  opening or of the previous answer, else the connection is closed (408 when nothing was read);
- at most `max_connections` connections are open (kept under the descriptor limit): a new one
  over the cap closes the connection that has waited longest for its request to arrive, or is
  answered 503 if every connection is busy with a request;
- a request head longer than HEAD_BYTES is answered 414 with a message. uvicorn answered 400
  and closed at once while the client was still sending, so the client saw a reset, not an
  answer: here the rest of the head is read and dropped (for up to LINGER_SECONDS) first.
"""

from __future__ import annotations

import json
import os
import resource
import time
from dataclasses import dataclass

import h11
from chainrule.app.security import security_headers
from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD_BYTES = 128_000     # request line and headers (uvicorn's default, 16 KiB, cut permalinks)
LINGER_SECONDS = 2.0
LINGER_BYTES = 4_000_000        # read and dropped after a 414 at most, then the socket closes
RESERVED_DESCRIPTORS = 128      # worker pipes, static files, logs


@dataclass(frozen=True)
class ServerLimits:
    request_seconds: float = 10.0
    max_connections: int = 1_000

    @classmethod
    def from_env(cls) -> ServerLimits:
        return cls(request_seconds=float(os.environ.get("CHAINRULE_REQUEST_SECONDS",
                                                        cls.request_seconds)),
                   max_connections=int(os.environ.get("CHAINRULE_MAX_CONNECTIONS",
                                                      cls.max_connections)))

    def connection_cap(self) -> int:
        """`max_connections`, kept RESERVED_DESCRIPTORS under this process's descriptor limit."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(16, min(self.max_connections, soft - RESERVED_DESCRIPTORS))


LIMITS = ServerLimits.from_env()


def uvicorn_options() -> dict:
    """What `chainrule serve` passes to uvicorn.run for this protocol."""
    return {"http": "chainrule.app.server:GuardedH11Protocol",
            "h11_max_incomplete_event_size": HEAD_BYTES}


class GuardedH11Protocol(H11Protocol):
    limits = LIMITS

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._draining = False
        self._dropped = 0
        self._head_seen, self._head_tail = 0, b""
        self._request_timer = None
        self._arm()
        if len(self.connections) > self.limits.connection_cap():
            self._make_room()

    # -- a whole request within request_seconds ------------------------------------------

    def _arm(self) -> None:
        """Start the clock for the next request (from now)."""
        self._waiting_since = time.monotonic()
        if self._request_timer is not None:
            self._request_timer.cancel()
        self._request_timer = self.loop.call_later(self.limits.request_seconds, self._late)

    def _reading(self) -> bool:
        """Still waiting for (part of) a request: its head or its body."""
        return self.conn.their_state in (h11.IDLE, h11.SEND_BODY)

    def _late(self) -> None:
        self._request_timer = None
        if self.transport.is_closing() or not self._reading():
            return
        if self.conn.their_state is h11.IDLE and self.cycle is None:
            self._answer(408, "the request did not arrive within "
                         f"{self.limits.request_seconds:g} s", linger=False)
        else:   # a body still arriving: the app waits in receive(); closing ends it
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None
        super().connection_lost(exc)

    # -- the connection cap ----------------------------------------------------------------

    def _make_room(self) -> None:
        """Close the connection that has waited longest for a request still not read whole
        (this one, being new, is the last candidate); 503 when every other is being served."""
        waiting = [c for c in self.connections
                   if c is not self and isinstance(c, GuardedH11Protocol) and c._reading()
                   and (c.cycle is None or c.conn.their_state is h11.SEND_BODY)
                   and not c.transport.is_closing()]
        if waiting:
            oldest = min(waiting, key=lambda c: c._waiting_since)
            self.logger.warning("connection cap reached: closing the one waiting longest")
            oldest.transport.abort()
            return
        self._answer(503, "the server has too many open connections: try again in a moment",
                     linger=False)

    # -- 414 for a head over HEAD_BYTES --------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._draining:
            self._dropped += len(data)
            if self._dropped > LINGER_BYTES:
                self.transport.close()
            return
        if self.conn.their_state is h11.IDLE and self._head_too_long(data):
            self._too_long()
            return
        super().data_received(data)

    def _head_too_long(self, data: bytes) -> bool:
        """Counts the bytes of the head being received (h11 checks its own limit only while a
        head is incomplete, so a long head arriving in one read would pass)."""
        end = (self._head_tail + data).find(b"\r\n\r\n")
        if end >= 0:
            size = self._head_seen + end - len(self._head_tail) + 4
            self._head_seen, self._head_tail = 0, b""
            return size > HEAD_BYTES
        self._head_seen += len(data)
        self._head_tail = data[-3:]
        return self._head_seen > HEAD_BYTES

    def _too_long(self) -> None:
        self._answer(414, f"the address and headers are over {HEAD_BYTES:,} bytes: send a long "
                     "program in the body of POST /api/trace, or as a permalink code (#p=…, "
                     "compressed)", linger=True)

    def send_400_response(self, msg: str) -> None:
        buffered = len(self.conn.trailing_data[0])
        if self.conn.their_state is h11.ERROR and buffered >= HEAD_BYTES:
            self._too_long()
            return
        super().send_400_response(msg)

    def _answer(self, status: int, message: str, linger: bool) -> None:
        """A JSON error written directly (h11 may already be in its error state), with the
        security headers; then close, after reading what the client still sends if `linger`."""
        body = json.dumps({"error": {"kind": "limit", "message": message, "line": None,
                                     "col": None, "node": None, "hints": []}}).encode()
        reason = {408: b"Request Timeout", 414: b"URI Too Long",
                  503: b"Service Unavailable"}[status]
        head = [b"HTTP/1.1 %d %s" % (status, reason), b"content-type: application/json",
                b"content-length: %d" % len(body), b"connection: close",
                *(k + b": " + v for k, v in security_headers("/"))]
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        if linger and self.transport.can_write_eof():
            self._draining = True
            self.transport.write_eof()      # the client reads the answer, then closes
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
