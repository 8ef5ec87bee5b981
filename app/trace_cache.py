"""Answers to the cacheable trace GETs (a permalink code, a gallery example), kept for repeats.

A permalink carries its whole program (source, inputs, seed), and the trace is a function of
that program and of the code that traces it. So an answer is filed under a key made of both:
the *build* (a hash of chainrule's own Python files, the examples, the limits and the versions
of the libraries that shape a trace) and the program. The key doubles as the ETag, so a
revalidation is answered 304 without running anything, by any replica of the same build.

What is kept: a trace (a runtime error in it included) and a refusal (a 400 with line and
column), both decided by the program alone. What is not: an answer whose error is a *limit*
(the time limit depends on how busy the server was) or an internal error; those are answered
`no-store` and traced afresh next time.

The cache lives in the web process (the worker processes only trace), bounded by the bytes it
holds: answers are stored gzipped, as they are sent, so a hit costs no work but the copy to the
socket. Concurrent requests for the same key share one trace (single flight): 300 students
opening one link at 9:00 cause one trace, not 300.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from chainrule.engine.limits import Limits

GZIP_LEVEL = 6                # compressed once, sent many times
THREAD_MIN_BYTES = 128_000    # larger answers are parsed and compressed off the event loop
ENTRY_SHARE = 4               # one answer may fill at most 1/ENTRY_SHARE of the cache
ENTRY_OVERHEAD = 200          # bytes per entry besides its body: key, record, dict slot
UNCACHED_KINDS = ("limit", "internal")
LIBRARIES = ("numpy", "pygraphviz", "latex2mathml")
# The layout's wall time is the one field of a trace that differs between two runs of the same
# program; a cached answer carries 0 there, so that its bytes are a function of its key alone.
_ELAPSED = re.compile(rb'"elapsed_ms":-?[0-9][0-9.eE+-]*')

try:   # optional, as in app/runner.dumps
    import orjson as _orjson
except ImportError:  # pragma: no cover
    _orjson = None


@lru_cache(maxsize=8)
def build_id(limits: Limits) -> str:
    """12 hex digits naming what a trace depends on besides its program: every Python file of
    the engine and the app (the examples included), the limits, and the library versions.
    Replicas of one deployment agree on it; any change to the code gives a new one."""
    from chainrule import app, engine
    return code_digest((Path(engine.__file__).parent, Path(app.__file__).parent), limits)


def code_digest(roots: tuple[Path, ...], limits: Limits) -> str:
    """`build_id` of the Python files under `roots` (their paths and bytes)."""
    h = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            h.update(path.relative_to(root.parent).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    h.update(json.dumps({f.name: getattr(limits, f.name) for f in fields(limits)},
                        sort_keys=True).encode())
    for name in LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=none".encode())
    return h.hexdigest()[:12]


def program_key(build: str, source: str, inputs: dict[str, float] | None,
                seed: int | None) -> str:
    """The cache key (and ETag) of a program under a build. Inputs are read as floats, as the
    engine reads them, so `{"x": 2}` and `{"x": 2.0}` are one program."""
    program = [build, source, sorted((k, float(v)) for k, v in (inputs or {}).items()),
               seed or 0]
    return hashlib.sha256(json.dumps(program, ensure_ascii=False).encode()).hexdigest()[:32]


def etag(key: str, gzipped: bool) -> str:
    """A strong ETag per representation: the gzip bytes and the plain bytes differ."""
    return f'"{key}-gzip"' if gzipped else f'"{key}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110's weak comparison of If-None-Match with our tag (`*` matches anything)."""
    if not if_none_match:
        return False
    bare = tag.removeprefix("W/")
    return any(t.strip() == "*" or t.strip().removeprefix("W/") == bare
               for t in if_none_match.split(","))


@dataclass(frozen=True)
class CachedAnswer:
    status: int
    gzipped: bytes      # the JSON body, gzip-compressed
    keep: bool          # decided by the program alone (not by a limit): may be cached

    @property
    def size(self) -> int:
        return len(self.gzipped) + ENTRY_OVERHEAD

    def plain(self) -> bytes:
        return gzip.decompress(self.gzipped)


def prepare(status: int, body: bytes) -> CachedAnswer:
    """The answer as it is kept and sent: timing zeroed, compressed, judged cacheable."""
    body = _ELAPSED.sub(b'"elapsed_ms":0.0', body)
    return CachedAnswer(status, gzip.compress(body, GZIP_LEVEL, mtime=0),
                        keep=status in (200, 400) and error_kind(body) not in UNCACHED_KINDS)


def error_kind(body: bytes) -> str | None:
    """The `error.kind` of a JSON answer (None without an error); "internal" if unreadable."""
    try:
        data = _orjson.loads(body) if _orjson is not None else json.loads(body)
        error = data.get("error")
        return error.get("kind") if isinstance(error, dict) else None
    except (ValueError, AttributeError):
        return "internal"


class TraceCache:
    """A least-recently-used map of key → CachedAnswer holding at most `max_bytes` (bodies
    plus ENTRY_OVERHEAD each). Used from the event loop only, so it needs no lock."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedAnswer] = OrderedDict()
        self._pending: dict[str, asyncio.Task] = {}
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str) -> CachedAnswer | None:
        answer = self._entries.get(key)
        if answer is not None:
            self._entries.move_to_end(key)
        return answer

    def put(self, key: str, answer: CachedAnswer) -> bool:
        """Keep `answer` (if it may be kept and is not too big), evicting the least recently
        used answers until the total fits. True if it was kept."""
        if not answer.keep or answer.size > self.max_bytes // ENTRY_SHARE:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[key] = answer
        self.bytes += answer.size
        while self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size
        return True

    async def answer(self, key: str,
                     compute: Callable[[], Awaitable[CachedAnswer]]) -> CachedAnswer:
        """The kept answer for `key`, else `compute()`'s, shared with every request for the
        same key that arrives while it runs (it runs on even if its first asker leaves)."""
        hit = self.get(key)
        if hit is not None:
            self.hits += 1
            return hit
        task = self._pending.get(key)
        if task is None:
            self.misses += 1
            task = asyncio.ensure_future(self._fill(key, compute))
            self._pending[key] = task
        return await asyncio.shield(task)

    async def _fill(self, key: str, compute: Callable[[], Awaitable[CachedAnswer]]) \
            -> CachedAnswer:
        try:
            answer = await compute()
            self.put(key, answer)
            return answer
        finally:
            self._pending.pop(key, None)
