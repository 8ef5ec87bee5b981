"""Trace worker processes: a runaway program is stopped for real, by killing its process.

Each worker runs one trace at a time under a memory cap (RLIMIT_AS). The parent waits for the
answer up to the time limit plus a grace period; past that it kills the worker, starts a fresh
one, and answers with a limit error. Other requests keep flowing through the other workers;
a program that already ran slow waits in its own lane, so that one runaway sent again and
again cannot take every worker (see `run_async`).
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing as mp
import os
import queue
import resource
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import anyio
import anyio.to_thread

from engine.limits import Limits

GRACE_SECONDS = 1.5       # layout and serialisation after the program's own time limit
SLOW_SOURCES = 4096       # sources remembered as slow (their hashes), least recent dropped
PRELOAD = ["engine.trace", "engine.lang", "engine.layout", "app.runner", "numpy"]


def _worker_main(conn: Connection, memory_bytes: int) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from app.runner import trace_response

    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            answer = trace_response(*job)
        except MemoryError:
            answer = memory_error_response(job[3])
        except Exception as e:   # trace_response never raises; if it did, keep the worker
            answer = internal_error_response(e, job[3])
        conn.send(answer)


def memory_error_response(limits: Limits) -> tuple[int, bytes]:
    from app.runner import limit_response
    return limit_response("the program needed more memory than this server allows", limits)


def internal_error_response(e: Exception, limits: Limits) -> tuple[int, bytes]:
    from app.runner import internal_response
    return internal_response(e, limits)


@dataclass
class _Worker:
    process: Any
    conn: Connection


class WorkerPool:
    """A fixed set of worker processes, handed out one request at a time."""

    def __init__(self, size: int, memory_bytes: int) -> None:
        self.size = size
        self.memory_bytes = memory_bytes
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(PRELOAD)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._limiter: anyio.CapacityLimiter | None = None
        self._slow_limiter: anyio.CapacityLimiter | None = None
        self._slow: OrderedDict[bytes, None] = OrderedDict()   # sources that ran slow, LRU
        self.restarts = 0
        for _ in range(size):
            self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self.memory_bytes),
                                 daemon=True, name="chainrule-trace")
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def run(self, job: tuple, timeout: float) -> tuple[int, bytes] | None:
        """Run `job` on an idle worker; None when it had to be killed (time or crash)."""
        worker = self._idle.get()
        try:
            worker.conn.send(job)
            if worker.conn.poll(timeout):
                result = worker.conn.recv()
                self._idle.put(worker)
                return result
        except (EOFError, OSError, BrokenPipeError):
            pass
        self._replace(worker)
        return None

    async def run_async(self, job: tuple, timeout: float) -> tuple[int, bytes] | None:
        """`run` from the event loop. Requests wait for a free worker here, in the loop, so
        they never hold one of the shared threads (static files, other routes) while queued.

        A program that ran slow before (a runaway sent again: same source, other inputs)
        first waits in its own lane, which may hold at most `size - 1` workers: repeated
        runaways queue behind each other, and at least one worker stays free for everyone
        else. One that cannot enter the lane within `timeout` is not run again: it gets a
        limit error at once (so its client never waits more than about twice its limit).
        Slow: killed, or longer than half the program's time limit."""
        if self._limiter is None or self._slow_limiter is None:
            self._limiter = anyio.CapacityLimiter(self.size)
            self._slow_limiter = anyio.CapacityLimiter(max(1, self.size - 1))
        key = hashlib.blake2b(job[0].encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if key not in self._slow:
            return await self._run_timed(job, timeout, key)
        entered = False
        with anyio.move_on_after(timeout):
            await self._slow_limiter.acquire()
            entered = True
        if not entered:
            from app.runner import limit_response
            return limit_response("this program ran past the time limit a moment ago and the "
                                  "server is still busy with it, so it was not run again: try "
                                  "again in a few seconds", job[3], source=job[0])
        try:
            return await self._run_timed(job, timeout, key)
        finally:
            self._slow_limiter.release()

    async def _run_timed(self, job: tuple, timeout: float, key: bytes) \
            -> tuple[int, bytes] | None:
        def timed() -> tuple[tuple[int, bytes] | None, float]:
            started = time.monotonic()
            return self.run(job, timeout), time.monotonic() - started
        result, took = await anyio.to_thread.run_sync(timed, limiter=self._limiter)
        limits: Limits = job[3]
        if result is None or took > limits.max_seconds / 2:
            self._slow[key] = None
            self._slow.move_to_end(key)
            while len(self._slow) > SLOW_SOURCES:
                self._slow.popitem(last=False)
        else:
            self._slow.pop(key, None)
        return result

    def _replace(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        with self._lock:
            self.restarts += 1
        self._idle.put(self._spawn())

    def close(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()


def default_memory_bytes() -> int:
    """2 GiB per worker unless CHAINRULE_WORKER_MEMORY_MB says otherwise."""
    return int(os.environ.get("CHAINRULE_WORKER_MEMORY_MB", "2048")) * 1024 * 1024
