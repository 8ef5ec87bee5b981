"""Trace worker processes: a runaway program is stopped for real, by killing its process.

Each worker runs one trace at a time under a memory cap (RLIMIT_AS). The parent waits for the
answer up to the time limit plus a grace period; past that it kills the worker, starts a fresh
one, and answers with a limit error. Other requests keep flowing: a job still running after
half a second gives its slot up to a spare worker (see `WorkerPool`), and a program that
already ran slow waits in its own lane and runs at a lower CPU priority, so that one runaway
sent again and again cannot fill the spares or the CPUs (see `run_async`).
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
TIME_LIMIT_HIT = b" s time limit"   # in an answer stopped by it (engine/tensor.py's message)
SPILL_AFTER = 0.5         # s: a job still running then leaves its slot to a spare worker
SPILLED_NICE = 10         # CPU priority of a repeated runaway (0 normal, 19 lowest)
PRELOAD = ["engine.trace", "engine.lang", "engine.layout", "app.runner", "numpy",
           "app.worker_warmup"]


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
        cpu = time.process_time()
        try:
            answer = trace_response(*job)
        except MemoryError:
            answer = memory_error_response(job[3])
        except Exception as e:   # trace_response never raises; if it did, keep the worker
            answer = internal_error_response(e, job[3])
        # The CPU time rides along: on a busy machine wall time says little about a program.
        conn.send((answer, time.process_time() - cpu))


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
    niced: bool = False


class _Pending:
    """`_wait`'s answer when the job is still running."""


PENDING = _Pending()


class WorkerPool:
    """`size` worker processes for normal work, plus up to `spares` more for jobs that run long.

    A job that is still running after `spill_after` seconds is a likely runaway: it leaves the
    `size` fast slots, so the next request starts at once on an idle worker or a spare (one is
    spawned when the job leaves), and it runs on until its own time limit stops it. A program
    that already ran slow (see `run_async`) takes a spare at once and runs at a lower CPU
    priority (nice), so that repeated runaways take CPU only when the short jobs leave some.
    At most `spares` jobs are out of the fast slots at a time; past that a long job keeps its
    slot and others wait for it, at most its own limit. After their job, deprioritised
    workers are retired (their priority cannot be raised back without privileges) and spares
    too, down to `size` idle workers."""

    def __init__(self, size: int, memory_bytes: int, spares: int | None = None,
                 spill_after: float = SPILL_AFTER) -> None:
        self.size = size
        self.spares = size if spares is None else spares
        self.spill_after = spill_after
        self.memory_bytes = memory_bytes
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(PRELOAD)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._live = 0            # worker processes started and not yet retired (under _lock)
        self._spilled = 0         # jobs running outside the fast slots (set in the event loop)
        self._fast: anyio.CapacityLimiter | None = None
        self._threads: anyio.CapacityLimiter | None = None
        self._slow_limiter: anyio.CapacityLimiter | None = None
        self._slow: OrderedDict[bytes, None] = OrderedDict()   # sources that ran slow, LRU
        self._cpu: dict[int, float] = {}   # worker pid -> CPU seconds of its last answer
        self.restarts = 0
        self.spills = 0           # jobs that left their slot (counted for tests and the bench)
        for _ in range(size):
            self._add_idle()

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self.memory_bytes),
                                 daemon=True, name="chainrule-trace")
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def _add_idle(self) -> None:
        with self._lock:
            self._live += 1
        self._idle.put(self._spawn())

    # -- blocking steps, run in a thread -------------------------------------------------

    def _start(self, job: tuple) -> _Worker | None:
        """Hand `job` to an idle worker, spawning one if none is idle (the caller holds a slot,
        so the pool is below its cap); None if the worker died on the way."""
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                self._live += 1
            worker = self._spawn()
        try:
            worker.conn.send(job)
        except (OSError, BrokenPipeError):
            self._finish(worker, healthy=False)
            return None
        return worker

    def _wait(self, worker: _Worker, seconds: float) -> tuple[int, bytes] | _Pending | None:
        """The job's answer; PENDING if it is still running after `seconds`; None if the
        worker died."""
        try:
            if worker.conn.poll(max(0.0, seconds)):
                answer, self._cpu[worker.process.pid] = worker.conn.recv()
                return answer
        except (EOFError, OSError):
            return None
        return PENDING

    def _finish(self, worker: _Worker, healthy: bool) -> None:
        """Back to the idle workers, or retired: killed (stuck or dead), deprioritised, or a
        spare no longer needed. Keeps `size` workers alive."""
        keep = healthy and not worker.niced
        with self._lock:
            # A spare is retired once the pool has more workers than its slots and the jobs
            # still out of them need; counting those jobs matters: retiring a normal worker
            # while a runaway holds the spare made every next request spawn a worker.
            if keep and self._live > self.size + self._spilled:
                keep = False
            if not keep:
                self._live -= 1
                if not healthy:
                    self.restarts += 1
            refill = self._live < self.size
        if keep:
            self._idle.put(worker)
        else:
            self._retire(worker)
        if refill:
            self._add_idle()

    def _retire(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()

    def _spill(self, worker: _Worker, nice: bool) -> None:
        with self._lock:
            self.spills += 1
        if nice:
            _renice(worker.process.pid, SPILLED_NICE)
            worker.niced = True
        # A spare ready for the next request: spawning takes a moment, better now than when
        # a request is waiting for it.
        with self._lock:
            spare = self._idle.empty() and self._live < self.size + self.spares
        if spare:
            self._add_idle()

    # -- the two ways in ---------------------------------------------------------------------

    def run(self, job: tuple, timeout: float) -> tuple[int, bytes] | None:
        """Run `job` on a worker, blocking; None when it had to be killed (time or crash).
        No slots and no spilling: for one caller at a time (tests, scripts)."""
        worker = self._start(job)
        if worker is None:
            return None
        result = self._wait(worker, timeout)
        self._cpu.pop(worker.process.pid, None)
        done = not isinstance(result, _Pending) and result is not None
        self._finish(worker, healthy=done)
        return result if done else None

    async def run_async(self, job: tuple, timeout: float) -> tuple[int, bytes] | None:
        """`run` from the event loop. Requests wait for a free slot here, in the loop, so
        they never hold one of the shared threads (static files, other routes) while queued.

        A program that ran slow before (a runaway sent again: same source, other inputs)
        first waits in its own lane, which may hold at most `size - 1` jobs: repeated
        runaways queue behind each other instead of filling the spares. One that cannot enter
        the lane within `timeout` is not run again: it gets a limit error at once (so its
        client never waits more than about twice its limit).
        Slow: killed, or longer than half the program's time limit."""
        if self._fast is None or self._slow_limiter is None:
            self._fast = anyio.CapacityLimiter(self.size)
            self._threads = anyio.CapacityLimiter(self.size + self.spares)
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
        result, cpu = await self._run_fair(job, timeout, key)
        limits: Limits = job[3]
        # Slow: killed, stopped by the time limit, or half of it in CPU time. Not wall time:
        # under load, popular examples took seconds, were sent to the lane, and answered
        # "not run again" (bench/load.py).
        if result is None or cpu > limits.max_seconds / 2 or TIME_LIMIT_HIT in result[1]:
            self._remember_slow(key)
        else:
            self._slow.pop(key, None)
        return result

    def _remember_slow(self, key: bytes) -> None:
        self._slow[key] = None
        self._slow.move_to_end(key)
        while len(self._slow) > SLOW_SOURCES:
            self._slow.popitem(last=False)

    async def _run_fair(self, job: tuple, timeout: float, key: bytes) \
            -> tuple[tuple[int, bytes] | None, float]:
        """(answer, CPU seconds it took): the job runs in a fast slot; past `spill_after`
        it gives the slot up, if a spare is allowed. A program known to run slow takes a
        spare at once and runs at a lower priority; a new one keeps its priority (a big but
        honest graph must not miss its time limit because the server is busy)."""
        assert self._fast is not None
        spill_now = key in self._slow and self._spilled < self.spares
        if spill_now:
            self._spilled += 1
        else:
            await self._fast.acquire()
        # Shielded: once a worker has the job, it is waited for and handed back (or killed)
        # whatever happens to the request.
        with anyio.CancelScope(shield=True):
            state = {"fast": not spill_now, "spilled": spill_now, "cpu": 0.0}
            try:
                result = await self._run_on_worker(job, timeout, state, key)
                return result, state["cpu"]
            finally:
                if state["fast"]:
                    self._fast.release()
                if state["spilled"]:
                    self._spilled -= 1

    async def _run_on_worker(self, job: tuple, timeout: float, state: dict[str, Any],
                             key: bytes) \
            -> tuple[int, bytes] | None:
        assert self._fast is not None and self._threads is not None
        run_sync, started = anyio.to_thread.run_sync, time.monotonic()
        worker = await run_sync(self._start, job, limiter=self._threads)
        if worker is None:
            return None
        result: tuple[int, bytes] | _Pending | None = PENDING
        if state["spilled"]:
            await run_sync(self._spill, worker, True, limiter=self._threads)
        else:
            result = await run_sync(self._wait, worker, min(self.spill_after, timeout),
                                    limiter=self._threads)
            if isinstance(result, _Pending) and self._spilled < self.spares:
                self._spilled += 1
                state["spilled"] = True
                self._fast.release()
                state["fast"] = False
                # Suspect from now on: the same source sent meanwhile goes to the lane.
                self._remember_slow(key)
                await run_sync(self._spill, worker, False, limiter=self._threads)
        if isinstance(result, _Pending):
            left = timeout - (time.monotonic() - started)
            result = await run_sync(self._wait, worker, left, limiter=self._threads)
        state["cpu"] = self._cpu.pop(worker.process.pid, 0.0)
        done = not isinstance(result, _Pending) and result is not None
        await run_sync(self._finish, worker, done, limiter=self._threads)
        return result if done and not isinstance(result, _Pending) else None

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


def _renice(pid: int, nice: int) -> None:
    """Every thread of the process: on Linux a nice value belongs to a thread, and BLAS runs
    its own threads (threads started later inherit it from the one that starts them)."""
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    for tid in tids:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, nice)


def default_memory_bytes() -> int:
    """2 GiB per worker unless CHAINRULE_WORKER_MEMORY_MB says otherwise."""
    return int(os.environ.get("CHAINRULE_WORKER_MEMORY_MB", "2048")) * 1024 * 1024
