"""A real nginx, configured as docs/deployment.md says, in front of two real chainrule replicas.

The nginx block is read from docs/deployment.md (between `<!-- nginx:start -->` and
`<!-- nginx:end -->`), so the documented configuration is the tested one; only the ports and
the cache directory are substituted, and an `X-Upstream` header is added to tell the replicas
apart. nginx is installed with apt-get when missing (as `make nginx` does); the tests skip only
if that is impossible.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import string
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from chainrule.app.devserver import free_port, local_server
from chainrule.app.permalink import ProgramState, encode

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "deployment.md"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
INSTALL = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"]
# The replicas trace with a low op limit, so one program here is stopped by a limit.
REPLICA_ENV = {"CHAINRULE_WORKERS": "1", "CHAINRULE_MAX_OPS": "40",
               "CHAINRULE_CLIENT_SECRET": "test-replicas-share-this-secret"}
OVER_THE_OP_LIMIT = "import torch\nx = torch.ones(2, requires_grad=True)\n" + \
    "x = x * 1.5\n" * 60 + "x.sum().backward()\n"


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    return found or next((p for p in NGINX_CANDIDATES if os.access(p, os.X_OK)), None)


def install_nginx() -> str | None:
    """nginx, installed with apt-get if it is missing and this process may (root, Debian)."""
    if find_nginx() or os.geteuid() != 0 or not shutil.which("apt-get"):
        return find_nginx()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=300,
                       capture_output=True)
        subprocess.run(INSTALL, env=env, check=False, timeout=600, capture_output=True)
    return find_nginx()


def documented_config() -> str:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- nginx:start -->", 1)[1].split("<!-- nginx:end -->", 1)[0]
    return block.split("```nginx", 1)[1].split("```", 1)[0]


def nginx_conf(port: int, replicas: list[int], cache: Path, tmp: Path,
               workers: int | str = 1) -> str:
    """A whole nginx.conf: the documented block inside an http {} whose logs, pid and
    temporary files live in `tmp`; the access log records each request's own time."""
    site = documented_config()
    for old, new in (("listen 8080;", f"listen 127.0.0.1:{port};"),
                     ("server 127.0.0.1:8001;", f"server 127.0.0.1:{replicas[0]};"),
                     ("server 127.0.0.1:8002;", f"server 127.0.0.1:{replicas[1]};"),
                     ("/var/cache/nginx/chainrule", str(cache))):
        assert old in site, f"docs/deployment.md's nginx block no longer has {old!r}"
        site = site.replace(old, new)
    site = site.replace("add_header X-Cache-Status $upstream_cache_status always;",
                        "add_header X-Cache-Status $upstream_cache_status always;\n"
                        "        add_header X-Upstream $upstream_addr always;")
    temp = "\n".join(f"    {kind}_temp_path {tmp / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""   # workers must reach tmp (mode 700)
    timed = ("    log_format timed '$request_method $uri $status $upstream_cache_status "
             "$request_time';\n")
    return (f"{user}worker_processes {workers};\ndaemon off;\npid {tmp / 'nginx.pid'};\n"
            f"error_log {tmp / 'error.log'} warn;\nevents {{ worker_connections 4096; }}\n"
            f"http {{\n{timed}    access_log {tmp / 'access.log'} timed;\n{temp}\n{site}\n}}\n")


@pytest.fixture(scope="module")
def nginx_dir(tmp_path_factory) -> Path:
    """nginx's configuration, logs (error.log) and temporary files."""
    return tmp_path_factory.mktemp("nginx")


@pytest.fixture(scope="module")
def proxy(nginx_dir):
    nginx = install_nginx()
    if nginx is None:
        pytest.skip("nginx is not installed and could not be installed with apt-get "
                    "(run `make nginx` as root, or install nginx)")
    tmp = nginx_dir
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(local_server(REPLICA_ENV)) for _ in range(2)]
        ports = [int(u.rsplit(":", 1)[1]) for u in urls]
        port = free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(nginx_conf(port, ports, tmp / "cache", tmp))
        check = subprocess.run([nginx, "-t", "-p", str(tmp), "-e", str(tmp / "error.log"),
                                "-c", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen([nginx, "-p", str(tmp), "-e", str(tmp / "error.log"),
                                 "-c", str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        stack.callback(stop, proc)
        url = f"http://127.0.0.1:{port}"
        wait_for(url, proc)
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client, ports


def wait_for(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with code {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("nginx did not answer within 20 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def build_of(client: httpx.Client) -> str:
    return client.get("/api/examples").headers["x-chainrule-build"]


def test_the_second_get_of_a_trace_is_a_cache_hit(proxy):
    client, _ = proxy
    url = f"/api/trace/{encode(ProgramState(source='f = x * y + x', inputs={'x': 2, 'y': 5}))}" \
          f"?build={build_of(client)}"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.headers["x-cache-status"] == "MISS"
    assert second.headers["x-cache-status"] == "HIT"
    assert second.content == first.content and second.headers["etag"] == first.headers["etag"]
    assert first.json()["variables"]["x"]["grad"] == 6.0     # d(xy + x)/dx = y + 1
    assert "immutable" in second.headers["cache-control"]
    assert "set-cookie" not in first.headers and "set-cookie" not in second.headers


def test_a_revalidation_is_a_304_from_the_cache(proxy):
    client, _ = proxy
    url = f"/api/examples/08_fan_out/trace?build={build_of(client)}"
    tag = client.get(url).headers["etag"]
    r = client.get(url, headers={"if-none-match": tag})
    assert r.status_code == 304 and r.content == b""
    assert r.headers["x-cache-status"] == "HIT"


def test_both_replicas_serve(proxy):
    client, ports = proxy
    served = set()
    for i in range(8):      # POSTs are never cached: each one reaches a replica
        r = client.post("/api/trace", json={"source": f"y = x * {i + 2}"})
        assert r.status_code == 200 and r.json()["error"] is None
        assert r.headers.get("x-cache-status", "") != "HIT"
        served.add(int(r.headers["x-upstream"].rsplit(":", 1)[1]))
    assert served == set(ports)


def test_a_refused_program_passes_through_with_its_line_and_is_cached(proxy):
    client, _ = proxy
    refused = encode(ProgramState(source="a = 1\ny = (a +"))
    url = f"/api/trace/{refused}?build={build_of(client)}"
    first, second = client.get(url), client.get(url)
    for r in (first, second):
        assert r.status_code == 400
        assert r.json()["error"]["kind"] == "syntax" and r.json()["error"]["line"] == 2
    assert (first.headers["x-cache-status"], second.headers["x-cache-status"]) == ("MISS", "HIT")


def test_an_answer_that_hit_a_limit_is_never_served_from_the_cache(proxy):
    client, _ = proxy
    url = f"/api/trace/{encode(ProgramState(source=OVER_THE_OP_LIMIT))}?build={build_of(client)}"
    for _ in range(3):
        r = client.get(url)
        assert r.status_code == 200 and r.json()["error"]["kind"] == "limit"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-cache-status"] != "HIT"


def test_a_damaged_link_and_an_oversized_body_pass_through(proxy, nginx_dir):
    client, ports = proxy
    r = client.get("/api/trace/1.%21%21not-a-code")
    assert r.status_code == 400 and r.json()["error"]["kind"] == "link"
    error_log = nginx_dir / "error.log"
    logged_before = error_log.stat().st_size
    answered_by = set()
    for size in (100_000, 300_000, 900_000, 100_000, 300_000, 900_000):  # under nginx's 1m
        r = client.post("/api/trace", json={"source": "#" * size})
        # chainrule's cap and its JSON shape, from a replica (nginx adds X-Upstream to what a
        # replica answers). A replica that closed while nginx still sent the body: a 502.
        assert r.status_code == 413, r.text[:300]
        assert r.json()["error"]["kind"] == "limit"
        assert "over the limit of 64,000 bytes" in r.json()["error"]["message"]
        answered_by.add(int(r.headers["x-upstream"].rsplit(":", 1)[1]))
    assert answered_by == set(ports)
    # nginx marks a replica that failed as down for 10 s: both must still be in rotation
    served = {int(client.post("/api/trace", json={"source": f"y = x * {i}"})
                  .headers["x-upstream"].rsplit(":", 1)[1]) for i in range(4)}
    assert served == set(ports)
    # A replica that answers before reading the body closes while nginx still sends it:
    # "Connection reset by peer" / "Broken pipe" here, even when the 413 got through.
    with error_log.open("rb") as f:
        f.seek(logged_before)
        upstream_errors = [line for line in f.read().decode().splitlines()
                           if "[error]" in line or "[crit]" in line]
    assert upstream_errors == []
    r = client.post("/api/trace", json={"source": "#" * 60_000})   # under the cap: runs
    assert r.status_code == 400 and "20,000" in r.json()["error"]["message"]
    r = client.get("/api/examples/not_an_example/trace")
    assert r.status_code == 404 and r.headers.get("x-cache-status") != "HIT"


def test_a_long_permalink_reaches_the_replica(proxy):
    """A code over twice nginx's default header buffer (8 KB) fits the documented one."""
    client, _ = proxy
    rng = random.Random(0)
    noise = "".join(rng.choice(string.ascii_letters) for _ in range(19_000))
    code = encode(ProgramState(source=f"y = x * 2  # {noise}"))
    assert len(code) > 16_000
    r = client.get(f"/api/trace/{code}?build={build_of(client)}")
    assert r.status_code == 200, r.text[:200]
    assert r.json()["error"] is None and r.json()["variables"]["x"]["grad"] == 2.0


def test_the_pages_files_are_served_from_the_cache(proxy):
    client, _ = proxy
    first, second = client.get("/static/js/main.js"), client.get("/static/js/main.js")
    assert first.status_code == second.status_code == 200
    assert second.headers["x-cache-status"] == "HIT" and second.content == first.content
    assert b"import" in second.content


def test_the_page_still_sets_the_client_cookie_and_is_not_cached(proxy):
    client, _ = proxy
    fresh = httpx.Client(base_url=str(client.base_url))
    with fresh:
        r = fresh.get("/")
    assert r.status_code == 200 and "chainrule_client=" in r.headers["set-cookie"]
    assert r.headers.get("x-cache-status", "") != "HIT"


def test_the_documented_config_is_what_ran():
    conf = documented_config()
    for directive in ("proxy_cache chainrule;",
                      "add_header X-Cache-Status", "large_client_header_buffers"):
        assert directive in conf
    assert re.search(r"server 127\.0\.0\.1:800[12];", conf)
