"""Trace worker processes: a runaway program is stopped for real, by killing its process.

Each worker runs one trace at a time under a memory cap (RLIMIT_AS), and is recycled after
`max_jobs` jobs or once it holds `max_rss_mb` of memory (caches and the allocator's arenas only
grow). The parent waits for the answer up to the time limit plus a grace period; past that it
kills the worker, starts a fresh one, and answers with a limit error. Other requests keep
flowing: a job still running after half a second gives its slot up to a spare worker (see
`WorkerPool`), and a *client* whose program ran slow is a suspect for a while (see `Client`,
`run_async`): fairness by what a program did and who sent it, never by its text.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import resource
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import anyio
import anyio.to_thread
from chainrule.engine.limits import Limits

GRACE_SECONDS = 1.5       # layout and serialisation after the program's own time limit
SUSPECTS = 4096           # clients remembered as suspects, least recent dropped
SUSPECT_SECONDS = 60.0    # how long a client stays a suspect after its program ran slow
MAX_JOBS = 500            # a worker is recycled after this many jobs...
MAX_RSS_MB = 512          # ...or once its resident memory is over this
SPILL_AFTER = 0.5         # s: a job still running then leaves its slot to a spare worker
SPILLED_NICE = 10         # CPU priority of a repeated runaway (0 normal, 19 lowest)
PRELOAD = ["chainrule.engine.trace", "chainrule.engine.lang", "chainrule.engine.layout",
           "chainrule.app.runner", "numpy", "chainrule.app.export_job", "chainrule.app.svg_export",
           "chainrule.app.standalone", "chainrule.app.worker_warmup"]


def _worker_main(conn: Connection, memory_bytes: int, max_jobs: int = MAX_JOBS,
                 max_rss_mb: int = MAX_RSS_MB) -> None:
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    jobs = 0
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        cpu = time.process_time()
        timed_out = False
        try:
            answer, timed_out = run_job(job)
        except MemoryError:
            answer = memory_error_response(job[3])
        except Exception as e:   # trace_outcome never raises; if it did, keep the worker
            answer = internal_error_response(e, job[3])
        jobs += 1
        retire = jobs >= max_jobs or resident_mb() > max_rss_mb
        # The CPU time rides along: on a busy machine wall time says little about a program.
        conn.send((tuple(answer), Report(time.process_time() - cpu, timed_out, retire)))
        if retire:
            return


def run_job(job: tuple) -> tuple[tuple, bool]:
    """(answer, whether the program used up its time limit) for a trace job (source, inputs,
    seed, limits), a finite-difference check (the same and "fd_check": app/fd_check_job.py)
    or an export job (the same and kind, step, theme: app/export_job.py)."""
    if len(job) == 5 and job[4] == "fd_check":
        from chainrule.app.fd_check_job import fd_outcome
        return fd_outcome(*job[:4])
    if len(job) == 5 and job[4] == "compare":   # app/compare_route.py
        from chainrule.app.compare_job import compare_outcome
        return compare_outcome(*job[:4])
    if len(job) == 6 and job[4] == "training":   # app/training_route.py
        from chainrule.app.training_job import training_outcome
        return training_outcome(*job[:4], job[5])
    if len(job) == 4:
        from chainrule.app.runner import trace_outcome
        *answer, timed_out = trace_outcome(*job)
        return tuple(answer), timed_out
    from chainrule.app.export_job import export_outcome
    return export_outcome(*job)


@dataclass(frozen=True)
class Report:
    """What a worker says about the job it answered, besides the answer."""
    cpu: float           # CPU seconds the job took
    timed_out: bool      # the program used up its time limit
    retire: bool         # the worker leaves after this job (job count or memory)


def resident_mb() -> float:
    """This process's resident memory in MB (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory_error_response(limits: Limits) -> tuple[int, bytes]:
    from chainrule.app.runner import limit_response
    return limit_response("the program needed more memory than this server allows", limits)


def internal_error_response(e: Exception, limits: Limits) -> tuple[int, bytes]:
    from chainrule.app.runner import internal_response
    return internal_response(e, limits)


@dataclass
class _Worker:
    process: Any
    conn: Connection
    niced: bool = False
    retiring: bool = False     # said it leaves after its job: not handed back


@dataclass(frozen=True)
class Client:
    """Who sent a request: a browser's signed token (app/clients.py), else its address.
    `shared` is True for an address: a whole classroom behind one NAT may be one address, so a
    suspect address is only served after others and sent to a spare; it never enters the
    slow lane (which would serialise the classroom) and is never deprioritised in CPU."""
    key: str
    shared: bool = True


ANONYMOUS = Client("anonymous", shared=True)


class _Slots:
    """The fast slots: a capacity limiter that hands a freed slot to the oldest waiter that is
    not a suspect (asked when the slot is freed, not when the waiter queued), and lets known
    suspects hold at most `size - 1` slots (at least one). So a normal request waits behind at
    most the runaways already running — one per slot, and only ones not yet known — never
    behind queued suspects, and there is always a slot a suspect cannot take."""

    def __init__(self, size: int) -> None:
        self.free = size
        self.suspect_cap = max(1, size - 1)
        self.suspects = 0          # slots held by jobs that were suspects when they got them
        self._waiters: list[dict[str, Any]] = []

    async def acquire(self, is_suspect: Callable[[], bool]) -> bool:
        """Wait for a slot; True if it was granted as a suspect's (pass that to release)."""
        entry: dict[str, Any] = {"is_suspect": is_suspect, "event": anyio.Event(),
                                 "granted": None}
        self._waiters.append(entry)
        self._dispatch()
        try:
            await entry["event"].wait()
        except BaseException:
            if entry["granted"] is not None:
                self.release(entry["granted"])   # granted while being cancelled: pass it on
            else:
                self._waiters.remove(entry)
            raise
        return entry["granted"]

    def release(self, as_suspect: bool) -> None:
        self.free += 1
        if as_suspect:
            self.suspects -= 1
        self._dispatch()

    def _dispatch(self) -> None:
        while self.free > 0 and self._waiters:
            entry = next((w for w in self._waiters if not w["is_suspect"]()), None)
            as_suspect = entry is None
            if as_suspect:
                if self.suspects >= self.suspect_cap:
                    return
                entry = self._waiters[0]
            self._waiters.remove(entry)
            self.free -= 1
            self.suspects += as_suspect
            entry["granted"] = as_suspect
            entry["event"].set()


class _Pending:
    """`_wait`'s answer when the job is still running."""


PENDING = _Pending()


class WorkerPool:
    """`size` worker processes for normal work, plus up to `spares` more for jobs that run long.

    A job that is still running after `spill_after` seconds is a likely runaway: it leaves the
    `size` fast slots, so the next request starts at once on an idle worker or a spare (one is
    spawned when the job leaves), and it runs on until its own time limit stops it; its client
    becomes a suspect. A suspect's jobs are given a fast slot only when no other request waits
    for it, and take a spare at once when one is free; a suspect browser's (not an address's)
    also wait in the slow lane and run at a lower CPU priority (nice), so that repeated
    runaways take CPU only when the short jobs leave some. At most `spares` jobs are out of
    the fast slots at a time; past that a long job keeps its slot and others wait for it, at
    most its own limit. After their job, deprioritised workers are retired (their priority
    cannot be raised back without privileges) and spares too, down to `size` idle workers."""

    def __init__(self, size: int, memory_bytes: int, spares: int | None = None,
                 spill_after: float = SPILL_AFTER, max_jobs: int = MAX_JOBS,
                 max_rss_mb: int = MAX_RSS_MB) -> None:
        self.size = size
        self.spares = size if spares is None else spares
        self.spill_after = spill_after
        self.memory_bytes = memory_bytes
        self.max_jobs = max_jobs
        self.max_rss_mb = max_rss_mb
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(PRELOAD)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._live = 0            # worker processes started and not yet retired (under _lock)
        self._spilled = 0         # jobs running outside the fast slots (set in the event loop)
        self._fast: _Slots | None = None
        self._threads: anyio.CapacityLimiter | None = None
        self._slow_lane: anyio.CapacityLimiter | None = None
        # client key -> (suspect until, confirmed: its program ran slow, not only spilled)
        self._suspects: OrderedDict[str, tuple[float, bool]] = OrderedDict()
        self._reports: dict[int, Report] = {}   # worker pid -> its report on the last job
        self.restarts = 0
        self.recycled = 0         # workers that left after max_jobs / max_rss_mb
        self.spills = 0           # jobs that left their slot (counted for tests and the bench)
        for _ in range(size):
            self._add_idle()

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main,
                                 args=(child, self.memory_bytes, self.max_jobs, self.max_rss_mb),
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
                answer, report = worker.conn.recv()
                self._reports[worker.process.pid] = report
                worker.retiring = report.retire
                return answer
        except (EOFError, OSError):
            return None
        return PENDING

    def _finish(self, worker: _Worker, healthy: bool) -> None:
        """Back to the idle workers, or retired: killed (stuck or dead), deprioritised,
        recycled, or a spare no longer needed. Keeps `size` workers alive."""
        keep = healthy and not worker.niced and not worker.retiring
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
                elif worker.retiring:
                    self.recycled += 1
            refill = self._live < self.size
        if keep:
            self._idle.put(worker)
        else:
            self._retire(worker)
        if refill:
            self._add_idle()

    def _retire(self, worker: _Worker) -> None:
        if not worker.retiring:
            worker.process.kill()
        worker.process.join(timeout=5)
        if worker.process.is_alive():
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

    # -- suspects ----------------------------------------------------------------------------

    def suspect(self, client: Client) -> bool:
        entry = self._suspects.get(client.key)
        if entry is None:
            return False
        if entry[0] < time.monotonic():
            del self._suspects[client.key]
            return False
        return True

    def _mark(self, client: Client, confirmed: bool) -> None:
        old = self._suspects.pop(client.key, None)
        self._suspects[client.key] = (time.monotonic() + SUSPECT_SECONDS,
                                      confirmed or (old is not None and old[1]))
        while len(self._suspects) > SUSPECTS:
            self._suspects.popitem(last=False)

    def _clear(self, client: Client) -> None:
        """A job that only spilled and then finished in time: no suspect, unless one of the
        client's programs really ran slow."""
        entry = self._suspects.get(client.key)
        if entry is not None and not entry[1]:
            del self._suspects[client.key]

    # -- the two ways in ---------------------------------------------------------------------

    def run(self, job: tuple, timeout: float) -> tuple[int, bytes] | None:
        """Run `job` on a worker, blocking; None when it had to be killed (time or crash).
        No slots and no spilling: for one caller at a time (tests, scripts)."""
        worker = self._start(job)
        if worker is None:
            return None
        result = self._wait(worker, timeout)
        self._reports.pop(worker.process.pid, None)
        done = not isinstance(result, _Pending) and result is not None
        self._finish(worker, healthy=done)
        return result if done else None

    async def run_async(self, job: tuple, timeout: float, client: Client = ANONYMOUS) \
            -> tuple[int, bytes] | None:
        """`run` from the event loop. Requests wait for a free slot here, in the loop, so
        they never hold one of the shared threads (static files, other routes) while queued.

        A suspect browser (see `Client`) first waits in the slow lane, which may hold at most
        `size - 1` jobs: its repeated runaways queue behind each other instead of filling the
        spares. One that cannot enter the lane within `timeout` is not run again: it gets a
        limit error at once (so its client never waits more than about twice its limit)."""
        if self._fast is None or self._slow_lane is None:
            self._fast = _Slots(self.size)
            self._threads = anyio.CapacityLimiter(self.size + self.spares)
            self._slow_lane = anyio.CapacityLimiter(max(1, self.size - 1))
        if client.shared or not self.suspect(client):
            return await self._run_timed(job, timeout, client)
        entered = False
        with anyio.move_on_after(timeout):
            await self._slow_lane.acquire()
            entered = True
        if not entered:
            from chainrule.app.runner import limit_response
            return limit_response("your last program ran past the time limit a moment ago and "
                                  "the server is still busy with it, so this one was not run: "
                                  "try again in a few seconds", job[3], source=job[0])
        try:
            return await self._run_timed(job, timeout, client)
        finally:
            self._slow_lane.release()

    async def _run_timed(self, job: tuple, timeout: float, client: Client) \
            -> tuple[int, bytes] | None:
        result, report = await self._run_fair(job, timeout, client)
        limits: Limits = job[3]
        # Slow: killed, stopped by the time limit (the worker says so), or half of it in CPU
        # time. Not wall time: under load, popular examples took seconds, were sent to the
        # lane, and answered "not run again" (bench/load.py).
        if result is None or report.timed_out or report.cpu > limits.max_seconds / 2:
            self._mark(client, confirmed=True)
        else:
            self._clear(client)
        return result

    async def _run_fair(self, job: tuple, timeout: float, client: Client) \
            -> tuple[tuple[int, bytes] | None, Report]:
        """(answer, the worker's report): the job runs in a fast slot; past `spill_after`
        it gives the slot up, if a spare is allowed. A suspect's job takes a spare at once (a
        suspect browser's at a lower priority); a new one keeps its priority (a big but
        honest graph must not miss its time limit because the server is busy)."""
        assert self._fast is not None
        suspect = self.suspect(client)
        spill_now = suspect and self._spilled < self.spares
        held_as_suspect = False
        if spill_now:
            self._spilled += 1
        else:
            held_as_suspect = await self._fast.acquire(lambda: self.suspect(client))
        # Shielded: once a worker has the job, it is waited for and handed back (or killed)
        # whatever happens to the request.
        with anyio.CancelScope(shield=True):
            state = {"fast": not spill_now, "spilled": spill_now,
                     "nice": spill_now and not client.shared, "as_suspect": held_as_suspect,
                     "report": Report(0.0, False, False)}
            try:
                result = await self._run_on_worker(job, timeout, state, client)
                return result, state["report"]
            finally:
                if state["fast"]:
                    self._fast.release(state["as_suspect"])
                if state["spilled"]:
                    self._spilled -= 1

    async def _run_on_worker(self, job: tuple, timeout: float, state: dict[str, Any],
                             client: Client) -> tuple[int, bytes] | None:
        assert self._fast is not None and self._threads is not None
        run_sync, started = anyio.to_thread.run_sync, time.monotonic()
        worker = await run_sync(self._start, job, limiter=self._threads)
        if worker is None:
            return None
        result: tuple[int, bytes] | _Pending | None = PENDING
        if state["spilled"]:
            await run_sync(self._spill, worker, state["nice"], limiter=self._threads)
        else:
            result = await run_sync(self._wait, worker, min(self.spill_after, timeout),
                                    limiter=self._threads)
            if isinstance(result, _Pending):
                # Suspect from now on: its client's next requests queue after others'.
                self._mark(client, confirmed=False)
                if self._spilled < self.spares:
                    self._spilled += 1
                    state["spilled"] = True
                    self._fast.release(state["as_suspect"])
                    state["fast"] = False
                    await run_sync(self._spill, worker, False, limiter=self._threads)
        if isinstance(result, _Pending):
            left = timeout - (time.monotonic() - started)
            result = await run_sync(self._wait, worker, left, limiter=self._threads)
        state["report"] = self._reports.pop(worker.process.pid, Report(0.0, False, False))
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
