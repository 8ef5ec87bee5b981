"""The installed form: build the wheel, install it in a fresh virtualenv outside the checkout,
and use it the way a teacher would: `chainrule serve` (page, assets, examples, the language
reference, a trace), `chainrule export` (an SVG) and `chainrule.show()` / `export_html` in
Python; and `pip install -e .` (what `make install` runs) in a scratch virtualenv.

The virtualenv reaches the machine's third-party packages (NumPy, FastAPI, …) through one
`.pth` line naming their directory, a path only, so no `.pth` hook found there runs (an
editable install of some checkout, for one): the wheel is the only chainrule on the path, and
the test checks that every chainrule module loaded comes from inside the virtualenv.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import site
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from chainrule.app.devserver import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# What a build reads (pyproject.toml's package-dir and setup.py); copied, so the build's own
# build/ and *.egg-info land in a scratch folder, not in the checkout.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "chainrule", "engine", "app",
                "static", "templates", "docs")
# The checkout's folders and where the wheel puts them.
INSTALLED_AS = {"chainrule": "chainrule", "engine": "chainrule/engine", "app": "chainrule/app",
                "static": "chainrule/static", "templates": "chainrule/templates",
                "docs": "chainrule/docs"}
PROGRAM = "x = torch.tensor(2.0, requires_grad=True)\ny = x * x + x.sin()\ny.backward()\n"


def checkout_files() -> set[str]:
    """Every file of the rooms the wheel should carry, named as the wheel names it."""
    out = set()
    for folder, target in INSTALLED_AS.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                out.add(f"{target}/{path.relative_to(ROOT / folder).as_posix()}")
    return out


def copy_of_the_checkout(dest: Path) -> Path:
    for name in BUILD_INPUTS:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(item, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(item, dest / name)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = copy_of_the_checkout(tmp_path_factory.mktemp("src"))
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(dist), str(src)], cwd=src)
    (built,) = dist.glob("chainrule-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel installed; nothing of the checkout on its path."""
    home = tmp_path_factory.mktemp("venv")
    fresh_venv(home, install=[str(wheel)])
    return home


def fresh_venv(home: Path, *, install: list[str]) -> Path:
    """A virtualenv at `home` with `pip install --no-deps <install>`, and the machine's
    third-party packages reachable through a path-only .pth (see the module docstring; it also
    lends setuptools to an editable build). --force-reinstall: pip then sees the machine's own
    chainrule (an editable install of a checkout) and must not call it already installed."""
    run([sys.executable, "-m", "venv", "--without-pip", str(home)], cwd=home)
    python = home / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                  cwd=home).strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "machine-deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--force-reinstall", "--no-index", "--no-build-isolation", "-q", *install], cwd=home)
    return python


def run(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None,
        stdin: str | None = None) -> str:
    out = subprocess.run(argv, cwd=cwd, env=env or clean_env(), input=stdin,
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, f"{argv}\n{out.stdout}\n{out.stderr}"
    return out.stdout


def clean_env() -> dict[str, str]:
    """This environment less what would put the checkout on the path."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH")}


def test_the_wheel_installs_under_chainrule_only_and_carries_every_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/")[0] for n in names}
    assert tops == {"chainrule", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1]
                    + ".dist-info"}
    # every module, template, script, stylesheet, example and document of the checkout
    assert checkout_files() - names == set()
    assert {"chainrule/static/js/main.js", "chainrule/templates/index.html",
            "chainrule/docs/language.md", "chainrule/app/examples/03_seed_square.py",
            "chainrule/engine/lang/builtins/__init__.py"} <= names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "chainrule = chainrule.app.cli:main" in entry_points


INSIDE = """
import importlib, json, sys
from pathlib import Path
import chainrule
from chainrule import export_html, show
from chainrule.resources import folder
missing = []
for name in ("engine", "app", "static", "templates"):
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        missing.append(name)
player = show(sys.stdin.read(), step=3)
html = export_html("y = x ** 2\\ny.backward()", {"x": 3.0})
print(json.dumps({
    "missing": missing,
    "path": [str(p) for p in chainrule.__path__],
    "modules": sorted({str(Path(m.__file__).resolve()) for n, m in list(sys.modules.items())
                       if n.split(".")[0] == "chainrule" and getattr(m, "__file__", None)}),
    "folders": [str(folder(n)) for n in ("static", "templates", "docs", "app", "engine")],
    "player": player._repr_html_(),
    "export": html,
}))
"""


def test_show_and_export_html_run_from_the_installed_package(venv, tmp_path):
    out = run([str(venv / "bin" / "python"), "-c", INSIDE], cwd=tmp_path, stdin=PROGRAM)
    got = json.loads(out.splitlines()[-1])
    home = str(venv.resolve())
    assert got["missing"] == ["engine", "app", "static", "templates"]   # no generic top names
    assert len(got["path"]) == 1 and got["path"][0].startswith(home)
    assert got["modules"] and all(m.startswith(home) for m in got["modules"])
    assert all(f.startswith(home) for f in got["folders"])
    # show(): an iframe holding the whole player (it sizes itself to its content: its id is
    # what the resize script beside it addresses)
    assert re.search(r'<iframe id="chainrule-[0-9a-f]+" srcdoc="', got["player"])
    assert "chainrule-trace" in got["player"]
    doc = got["export"]
    assert doc.lower().startswith("<!doctype html>")
    # the inlined player: its stylesheet, its bundled script and the trace
    assert "<style>" in doc and "<script>" in doc
    assert '"source":"y = x ** 2\\ny.backward()"' in doc
    assert str(ROOT) not in doc


def test_chainrule_export_draws_an_svg_from_the_installed_package(venv, tmp_path):
    out = tmp_path / "step.svg"
    run([str(venv / "bin" / "chainrule"), "export", "-", "-o", str(out), "--step", "2"],
        cwd=tmp_path, stdin=PROGRAM)
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith(("<svg", "<?xml")) and "</svg>" in svg
    # the page's stylesheet was read: its dark colours came along for theme=auto
    assert "prefers-color-scheme: dark" in svg


@contextlib.contextmanager
def served(venv: Path, cwd: Path) -> Iterator[str]:
    """`chainrule serve` (the console script the wheel installed) on a free loopback port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = cwd / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(venv / "bin" / "chainrule"), "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=cwd,
                                env={**clean_env(), "CHAINRULE_WORKERS": "1"},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/healthz",
                                                                      timeout=1) as r:
                if r.status == 200:
                    break
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def get(url: str, data: bytes | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, data=data,
                                 headers={"content-type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, r.headers.get("content-type", ""), r.read()


def test_chainrule_serve_from_the_installed_package(venv, tmp_path):
    with served(venv, tmp_path) as url:
        status, kind, page = get(url + "/")
        assert status == 200 and kind.startswith("text/html")
        assert b"/static/js/main.js" in page                      # the page names its script
        status, kind, script = get(url + "/static/js/main.js")
        assert status == 200 and "javascript" in kind
        assert script == (ROOT / "static" / "js" / "main.js").read_bytes()
        status, kind, css = get(url + "/static/css/app.css")
        assert status == 200 and css == (ROOT / "static" / "css" / "app.css").read_bytes()
        status, _, body = get(url + "/api/examples")
        examples = json.loads(body)
        square = next(e for e in examples if e["id"] == "03_seed_square")
        assert square["source"] == (ROOT / "app" / "examples" / "03_seed_square.py").read_text()
        status, _, body = get(url + "/language")                 # docs/language.md, rendered
        assert status == 200 and b"<h1" in body
        status, _, body = get(url + "/api/trace", json.dumps({"source": PROGRAM}).encode())
        trace = json.loads(body)
        assert status == 200 and trace["error"] is None and trace["steps"]
        # y = x² + sin x at x = 2: dy/dx = 2x + cos x = 4 + cos 2 (hand math)
        assert trace["variables"]["x"]["grad"] == pytest.approx(4 + math.cos(2.0))
        status, kind, body = get(url + "/api/export.html?example=03_seed_square&step=2")
        assert status == 200 and kind.startswith("text/html") and b"chainrule-trace" in body



EDITABLE = """
import json, sys
import chainrule.app.main
from chainrule.resources import folder
from chainrule.engine.trace import trace_program
t = trace_program("x = torch.tensor(3.0, requires_grad=True)\\ny = x ** 2\\ny.backward()")
missing = []
for name in ("engine", "app"):
    try:
        __import__(name)
    except ModuleNotFoundError:
        missing.append(name)
print(json.dumps({"grad": t.variables["x"]["grad"], "missing": missing,
                  "main": chainrule.app.main.__file__, "static": str(folder("static"))}))
"""


def test_an_editable_install_still_works_with_the_mapping(tmp_path_factory):
    """What `make install` does (`pip install -e .`), in a scratch virtualenv: the mapped
    names reach the checkout's folders, and still no top-level `engine` or `app`."""
    src = copy_of_the_checkout(tmp_path_factory.mktemp("editable-src"))
    python = fresh_venv(tmp_path_factory.mktemp("editable-venv"), install=["-e", str(src)])
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    got = json.loads(run([str(python), "-c", EDITABLE], cwd=elsewhere).splitlines()[-1])
    assert got["grad"] == 6.0                        # d(x²)/dx at 3
    assert got["missing"] == ["engine", "app"]
    assert got["main"] == str(src / "app" / "main.py")
    assert got["static"] == str(src / "static")
