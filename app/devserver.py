"""A real chainrule server on a free loopback port, in a subprocess: for the browser tests, the
HTTP hardening tests and the benchmarks (one way to start and stop it, so that they all
measure and test the same thing).

    with local_server({"CHAINRULE_WORKERS": "2"}) as url:   # "http://127.0.0.1:PORT"
        ...
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVE = ("chainrule.app.cli", "serve")   # `python -m app.cli serve`, what a teacher runs


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_server(env: Mapping[str, str] | None = None, *, log: Path | None = None,
                 module: Sequence[str] = SERVE, ready_within: float = 60.0) -> Iterator[str]:
    """Run `python -m <module> --host 127.0.0.1 --port <free port>` from the repository root
    with `env` added to this process's environment; yield its URL once /healthz answers 200;
    stop it after (SIGTERM to its process group, so uvicorn's own children go too; SIGKILL
    after 10 s). Its output goes to `log` (appended), else nowhere. RuntimeError if it exits
    or does not answer within `ready_within` seconds."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    out = open(log, "ab") if log else subprocess.DEVNULL   # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", *module, "--host", "127.0.0.1",
                             "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": path, **(env or {})},
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_healthy(url, proc, ready_within)
        yield url
    finally:
        _stop(proc)
        if log:
            out.close()


def _wait_until_healthy(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        with contextlib.suppress(OSError), \
                urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
            if r.status == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer /healthz within {seconds:g} s")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
