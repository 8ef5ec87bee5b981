"""A least-recently-used cache bounded in bytes, for pure functions of user-chosen text.

`functools.lru_cache(maxsize=16384)` bounds entries, not memory: the timeline's MathML rows and
formulas are keyed by labels a program chooses, so long fresh identifiers grew a worker by
~0.8–1.4 MB per request until its 2 GiB cap (issue 11). Here each entry is charged an estimate
of what its key and value hold, and the least recently used entries go once the total passes
`max_bytes`. Drop-in for the decorator lines: positional, hashable arguments; `__wrapped__`,
`cache_clear()` and `cache_info()` as lru_cache has them.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
ENTRY_OVERHEAD = 120     # the OrderedDict's node and slot, the tuple of arguments


class CacheInfo(NamedTuple):
    misses: int
    entries: int
    bytes: int
    max_bytes: int


def size_of(obj: object) -> int:
    """Bytes `obj` holds, estimated: strings and bytes by their length, containers by their
    items (one level of tuple/list/dict nesting is what the cached functions return)."""
    if isinstance(obj, str | bytes):
        return sys.getsizeof(obj)
    if isinstance(obj, tuple | list | frozenset | set):
        return sys.getsizeof(obj) + sum(size_of(x) for x in obj)
    if isinstance(obj, dict):
        return sys.getsizeof(obj) + sum(size_of(k) + size_of(v) for k, v in obj.items())
    return sys.getsizeof(obj)


def bounded_cache(max_bytes: int) -> Callable[[F], F]:
    """Decorator: remember `fn`'s results, at most about `max_bytes` of keys and values."""
    def decorate(fn: F) -> F:
        entries: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        lock = threading.Lock()
        stats = {"misses": 0, "bytes": 0}
        get, move_to_end = entries.get, entries.move_to_end

        @functools.wraps(fn)
        def cached(*args: Any) -> Any:
            # A hit takes no lock (it is most calls): each OrderedDict operation is atomic
            # under the GIL, and an entry another thread drops meanwhile only fails
            # move_to_end. Hits are not counted: it would cost every call.
            hit = get(args)
            if hit is not None:
                try:  # noqa: SIM105 - contextlib.suppress would cost every hit
                    move_to_end(args)
                except KeyError:
                    pass
                return hit[0]
            stats["misses"] += 1
            value = fn(*args)
            cost = ENTRY_OVERHEAD + size_of(args) + size_of(value)
            if cost > max_bytes:
                return value          # never kept: it would push everything else out
            with lock:
                old = entries.pop(args, None)
                if old is not None:
                    stats["bytes"] -= old[1]
                entries[args] = (value, cost)
                stats["bytes"] += cost
                while stats["bytes"] > max_bytes:
                    _, (_, dropped) = entries.popitem(last=False)
                    stats["bytes"] -= dropped
            return value

        def cache_clear() -> None:
            with lock:
                entries.clear()
                stats.update(misses=0, bytes=0)

        def cache_info() -> CacheInfo:
            with lock:
                return CacheInfo(stats["misses"], len(entries), stats["bytes"], max_bytes)

        cached.cache_clear = cache_clear      # type: ignore[attr-defined]
        cached.cache_info = cache_info        # type: ignore[attr-defined]
        cached.max_bytes = max_bytes          # type: ignore[attr-defined]
        return cached  # type: ignore[return-value]

    return decorate
