"""`chainrule export` as a user runs it: a subprocess, files in a temporary directory."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from chainrule.app.gallery import EXAMPLES_DIR

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = EXAMPLES_DIR / "03_seed_square.py"
DATA = re.compile(r'id="chainrule-trace" data-step="(-?\d+)">(.*?)</script', re.S)


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chainrule.app.cli", "export", *args], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_export_html_of_an_example(tmp_path):
    out = tmp_path / "square.html"
    done = cli(str(EXAMPLE), "-o", str(out), "--step", "2", "--theme", "light")
    assert done.returncode == 0, done.stderr
    m = DATA.search(out.read_text(encoding="utf-8"))
    assert m and m[1] == "2"
    assert json.loads(m[2])["source"] == EXAMPLE.read_text(encoding="utf-8")


def test_inputs_and_stdin(tmp_path):
    out = tmp_path / "x.html"
    done = cli("-", "-o", str(out), "--inputs", "x=2,y=5", "--inputs", "z=-1.5",
               stdin="w = x * y + z\nw.backward()\n")
    assert done.returncode == 0, done.stderr
    t = json.loads(DATA.search(out.read_text(encoding="utf-8"))[2])
    assert t["inputs"] == {"x": 2.0, "y": 5.0, "z": -1.5}
    # w = x*y + z: dw/dx = y = 5
    x = next(n for n in t["nodes"] if n.get("name") == "x")
    assert x["grad"]["data"] == 5.0


def test_a_refused_snippet_exits_1_with_file_line_col(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("y = 1\nz = (\n", encoding="utf-8")
    out = tmp_path / "bad.html"
    done = cli(str(bad), "-o", str(out))
    assert done.returncode == 1
    assert re.match(rf"{re.escape(str(bad))}:2:\d+: .*never closed", done.stderr)
    assert not out.exists()


@pytest.mark.parametrize("args", [["-o", "out.png"], ["-o", "out.html", "--inputs", "x"],
                                  ["-o", "out.html", "--inputs", "x=nan"]])
def test_bad_arguments_are_usage_errors(tmp_path, args):
    done = cli(str(EXAMPLE), *args)
    assert done.returncode == 2 and "usage:" in done.stderr


def test_a_missing_file_exits_1(tmp_path):
    done = cli(str(tmp_path / "nope.py"), "-o", str(tmp_path / "x.html"))
    assert done.returncode == 1 and "cannot read" in done.stderr


def test_export_svg(tmp_path):
    if importlib.util.find_spec("chainrule.app.svg_export") is None:
        pytest.skip("app/svg_export.py is not in the tree yet")
    out = tmp_path / "square.svg"
    done = cli(str(EXAMPLE), "-o", str(out))
    assert done.returncode == 0, done.stderr
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    assert root.tag.endswith("svg")


def test_python_m_chainrule_is_the_command(tmp_path):
    # `python -m chainrule` (a checkout, no console script) runs the same CLI
    out = tmp_path / "square.html"
    done = subprocess.run([sys.executable, "-m", "chainrule", "export", str(EXAMPLE), "-o",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    usage = subprocess.run([sys.executable, "-m", "chainrule"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert usage.returncode == 2 and "usage: chainrule" in usage.stderr
