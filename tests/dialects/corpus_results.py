"""The dialect corpora (issue 15): snippets, manifest, and each snippet's outcome in its real
framework (tests/dialects/oracle_runner.py, one subprocess per dialect) and in chainrule.

Comparison is the PyTorch corpus's (tests/corpus/compare.py): the oracle's error text must be in
chainrule's message, stdout line by line with numbers compared as numbers, and every top-level
value of the framework's kinds (shape, values, micrograd's grad) within rtol 1e-4.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tests.corpus.compare import NUMBER, differences
from tests.corpus.results import run_chainrule

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
ROOT = HERE.parents[1]
MANIFEST = HERE / "expected.toml"
DIALECTS = ("micrograd", "tensorflow", "jax")


@dataclass(frozen=True)
class Snippet:
    id: str            # "<dialect>/<NN>_<slug>"
    dialect: str
    path: Path
    random: bool       # draws numbers the oracle and chainrule cannot share
    xfail: str | None
    seconds: float | None = None   # its time limit here, when the server's 2 s is too close

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")


def manifest() -> dict[str, dict]:
    with MANIFEST.open("rb") as f:
        return tomllib.load(f)


def snippets(dialect: str | None = None) -> list[Snippet]:
    notes = manifest()
    found = []
    for d in (dialect,) if dialect else DIALECTS:
        for path in sorted((CORPUS / d).glob("[0-9][0-9]_*.py")):
            sid = f"{d}/{path.stem}"
            note = notes.get(sid, {})
            found.append(Snippet(sid, d, path, bool(note.get("random")), note.get("xfail"),
                                 note.get("seconds")))
    return found


def oracle_available(dialect: str) -> str | None:
    """None when the dialect's framework imports here, else why not."""
    module = {"micrograd": "micrograd", "tensorflow": "tensorflow", "jax": "jax"}[dialect]
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, check=False, timeout=300)
    return None if proc.returncode == 0 else proc.stderr.strip().splitlines()[-1]


def run_oracle(dialect: str, paths: list[Path]) -> dict[str, dict]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    request = json.dumps({"dialect": dialect, "paths": [str(p) for p in paths]})
    proc = subprocess.run([sys.executable, "-m", "tests.dialects.oracle_runner"], input=request,
                          capture_output=True, text=True, cwd=ROOT, timeout=900, check=False,
                          env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"the {dialect} oracle failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


def _float32_printing(oracle: str, ours: str) -> str:
    """Our engine computes in float64 and prints float32's shortest text, so a printed float32
    can be one unit in the last place from the framework's (0.07065082 for 0.070650816): such
    a line counts as the oracle's when every number agrees within rtol 1e-6 and the text
    around the numbers is the same but for spaces (NumPy pads an array's columns to its widest
    number: `[-0.433146 , -0.7354605]` beside `[-0.43314597, -0.7354603 ]`). Anything further
    apart is a difference."""
    lines = ours.splitlines(keepends=True)
    for i, (o, c) in enumerate(zip(oracle.splitlines(keepends=True), lines, strict=False)):
        if o == c or _unpadded(NUMBER.split(o)) != _unpadded(NUMBER.split(c)):
            continue
        pairs = list(zip(NUMBER.findall(o), NUMBER.findall(c), strict=True))
        if all(math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9) for a, b in pairs):
            lines[i] = o
    return "".join(lines)


def _unpadded(parts: list[str]) -> list[str]:
    return ["".join(part.split()) for part in parts]


def compute(items: list[Snippet]) -> dict[str, dict]:
    out = {}
    for dialect in DIALECTS:
        mine = [s for s in items if s.dialect == dialect]
        if not mine:
            continue
        oracle = run_oracle(dialect, [s.path for s in mine])
        for s in mine:
            c = run_chainrule(s.source, s.seconds)
            if dialect != "micrograd":   # TensorFlow and JAX have no requires_grad to compare
                for name, v in c.get("variables", {}).items():
                    if name in oracle[str(s.path)]["variables"]:
                        v["requires_grad"] = False
            if "stdout" in c:
                c["stdout"] = _float32_printing(oracle[str(s.path)]["stdout"], c["stdout"])
            diffs = differences(oracle[str(s.path)], c, random=s.random)
            status = ("refused" if "refused" in c else "crash" if "crash" in c
                      else "differs" if diffs else "match")
            out[s.id] = {"status": status, "differences": diffs}
    return out


def outcomes(dialect: str, shared_dir: Path | None) -> dict[str, dict]:
    """One dialect's outcomes, computed once per test run (xdist workers share a file)."""
    items = snippets(dialect)
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if shared_dir is None or run_id is None:
        return compute(items)
    from filelock import FileLock

    digest = hashlib.sha256(run_id.encode())
    for s in items:
        digest.update(s.id.encode() + s.path.read_bytes())
    cache = shared_dir / f"dialect-outcomes-{dialect}-{digest.hexdigest()[:16]}.json"
    with FileLock(str(cache) + ".lock"):
        if cache.exists():
            return json.loads(cache.read_text())
        result = compute(items)
        cache.write_text(json.dumps(result))
        return result
