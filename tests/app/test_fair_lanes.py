"""Issue 11, class 3: fairness by what a program did and who sent it, not by its text.

The review's case: ten runaways that differ by a comment (so a hash of the source saw ten new
programs) made a normal request wait 5.7-6.1 s, above the README's 3.5 s. Now the *client*
whose program ran slow is a suspect: its queued jobs are served after everyone else's, and a
normal request waits behind at most the runaways already running (one per worker). A client
is a browser's signed token, else its address; an address (a classroom behind one NAT) is
never serialised. The worker reports that a program used up its time limit (a flag), instead
of the pool searching the answer for " s time limit".
"""

from __future__ import annotations

import json
import time

import anyio
import pytest
from chainrule.app.clients import COOKIE, client_of, new_token, verified
from chainrule.app.main import create_app
from chainrule.app.runner import trace_outcome
from chainrule.app.settings import Settings
from chainrule.app.workers import GRACE_SECONDS, Client, WorkerPool
from chainrule.engine.limits import Limits
from fastapi.testclient import TestClient

from tests.app.test_hardening import RUNAWAY

LIMITS = Limits(max_seconds=1.0)
NORMAL = ("y = x ** 2", None, 0, LIMITS)
ATTACKER = Client("token:attacker", shared=False)
CLASSROOM = Client("address:203.0.113.7", shared=True)


def commented(i: int) -> str:
    return f"# variant {i} {time.monotonic_ns()}\n" + RUNAWAY


def test_the_worker_flags_a_program_that_used_up_its_time():
    assert trace_outcome(RUNAWAY, None, 0, Limits(max_seconds=0.3))[2] is True
    assert trace_outcome("y = x ** 2", None, 0, LIMITS)[2] is False


def test_printing_the_words_time_limit_is_not_running_slow():
    """The old check searched the answer for b' s time limit': a program printing it counted
    as a runaway, and one stopped by the limit with other words would not have."""
    status, body, timed_out = trace_outcome('print("ran past the 2 s time limit")\ny = x * 2',
                                            None, 0, LIMITS)
    assert status == 200 and b" s time limit" in body and timed_out is False

    async def scenario(pool: WorkerPool) -> None:
        job = ('print("ran past the 2 s time limit")\ny = x * 2', None, 0, LIMITS)
        await pool.run_async(job, 30, ATTACKER)
        assert not pool.suspect(ATTACKER)

    _with_pool(scenario, size=1)


def _with_pool(scenario, size: int = 2, **kw) -> WorkerPool:
    pool = WorkerPool(size, 0, **kw)
    try:
        anyio.run(scenario, pool)
    finally:
        pool.close()
    return pool


def test_ten_runaways_differing_by_a_comment_do_not_hold_up_a_normal_request():
    """The review's reproduction, at once, from one browser, none of them seen before."""
    waits: list[float] = []
    answers: list = []

    async def scenario(pool: WorkerPool) -> None:
        await pool.run_async(NORMAL, 30)                         # warm

        async def runaway(i: int) -> None:
            answers.append(await pool.run_async((commented(i), None, 0, LIMITS),
                                                LIMITS.max_seconds + GRACE_SECONDS, ATTACKER))

        async with anyio.create_task_group() as tg:
            for i in range(10):
                tg.start_soon(runaway, i)
            await anyio.sleep(0.1)
            for _ in range(4):
                t0 = time.monotonic()
                r = await pool.run_async(NORMAL, 30, Client("token:learner", shared=False))
                waits.append(time.monotonic() - t0)
                assert json.loads(r[1])["error"] is None

    _with_pool(scenario)
    # behind at most the runaways already running, one per worker: under one runaway's limit
    # and grace (queued behind the ten, as by source hash before: 5 s and more); the first
    # waits for the spill (0.5 s), the others hardly at all. On a quiet machine the first
    # waited 0.09 s with the 2 s default; at load average 11, 2.0 s once.
    assert max(waits) < LIMITS.max_seconds + GRACE_SECONDS, waits
    assert sorted(waits)[len(waits) // 2] < 0.5, waits
    assert len(answers) == 10


def test_a_classroom_behind_one_address_is_never_serialised():
    """One student's runaway makes the address a suspect: the classmates' programs still run
    side by side (three 1 s runaways from it end together, in about 1 s, not 3 s in a lane),
    and normal programs from it are answered."""
    ends: list[float] = []

    async def scenario(pool: WorkerPool) -> None:
        await pool.run_async(NORMAL, 30)
        await pool.run_async((commented(0), None, 0, LIMITS), 30, CLASSROOM)
        assert pool.suspect(CLASSROOM)
        t0 = time.monotonic()

        async def one(i: int) -> None:
            await pool.run_async((commented(i), None, 0, LIMITS), 30, CLASSROOM)
            ends.append(time.monotonic() - t0)

        async with anyio.create_task_group() as tg:
            for i in range(3):
                tg.start_soon(one, i)
        r = await pool.run_async(NORMAL, 30, CLASSROOM)
        assert json.loads(r[1])["error"] is None

    _with_pool(scenario)
    assert max(ends) < 2 * LIMITS.max_seconds + 0.5, ends     # a lane of one: 3 s or more


def test_a_suspect_browser_is_served_after_others_and_recovers():
    async def scenario(pool: WorkerPool) -> None:
        await pool.run_async((commented(0), None, 0, LIMITS), 30, ATTACKER)
        assert pool.suspect(ATTACKER)
        other = Client("token:someone-else", shared=False)
        assert not pool.suspect(other)

    _with_pool(scenario, size=1)


@pytest.fixture(scope="module")
def app_client():
    with TestClient(create_app(Settings(workers=1))) as c:
        yield c


def test_pages_and_answers_issue_a_signed_token_once(app_client):
    app_client.cookies.clear()
    r = app_client.get("/")
    token = r.cookies.get(COOKIE)
    assert token and verified(token)
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Lax" in r.headers["set-cookie"]
    again = app_client.get("/healthz")              # the cookie is sent back: no new one
    assert "set-cookie" not in again.headers
    assert app_client.get("/static/js/main.js").headers.get("set-cookie") is None


def test_a_forged_token_counts_as_the_address():
    from starlette.requests import Request
    forged = new_token().split(".")[0] + ".AAAAAAAAAAAAAAAA"
    scope = {"type": "http", "headers": [(b"cookie", f"{COOKIE}={forged}".encode())],
             "client": ("198.51.100.2", 5000)}
    assert client_of(Request(scope)) == Client("address:198.51.100.2", shared=True)
    good = new_token()
    scope["headers"] = [(b"cookie", f"{COOKIE}={good}".encode())]
    assert client_of(Request(scope)) == Client(f"token:{verified(good)}", shared=False)
