"""The corpus: its snippets, its manifest, and every snippet's outcome in PyTorch and in chainrule.

PyTorch runs all snippets once, in one subprocess (tests/corpus/torch_runner.py); chainrule runs
each through `engine.trace.trace_program`, as the page does. Under pytest-xdist the first worker
that needs the outcomes computes them and the others read its file (one file lock per test run).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tests.corpus.compare import differences

CORPUS = Path(__file__).resolve().parent
ROOT = CORPUS.parents[1]
MANIFEST = CORPUS / "expected.toml"


@dataclass(frozen=True)
class Snippet:
    id: str            # "<source>/<NN>_<slug>", the file without .py
    path: Path
    random: bool       # draws numbers torch and chainrule cannot share
    xfail: str | None  # why it does not match yet (manifest), else None

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")


def manifest() -> dict[str, dict]:
    with MANIFEST.open("rb") as f:
        return tomllib.load(f)


def snippets() -> list[Snippet]:
    notes = manifest()
    found = []
    for path in sorted(CORPUS.glob("*/[0-9][0-9]_*.py")):
        sid = f"{path.parent.name}/{path.stem}"
        note = notes.get(sid, {})
        found.append(Snippet(sid, path, bool(note.get("random", False)), note.get("xfail")))
    unknown = set(notes) - {s.id for s in found} - {"match_rate"}
    if unknown:
        raise ValueError(f"expected.toml names snippets that do not exist: {sorted(unknown)}")
    return found


def run_torch(paths: list[Path]) -> dict[str, dict]:
    """Every snippet in real PyTorch, in one subprocess: {path: outcome}."""
    proc = subprocess.run([sys.executable, "-m", "tests.corpus.torch_runner"],
                          input=json.dumps([str(p) for p in paths]), capture_output=True,
                          text=True, cwd=ROOT, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the PyTorch runner failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


def run_chainrule(source: str, seconds: float | None = None) -> dict:
    """One snippet through chainrule as the page runs it: stdout, error and variables, or why it
    was refused. A refusal and an engine exception are outcomes here, never test errors.
    `seconds` replaces the time limit for a snippet whose CPU time sits near it: whether it fits
    depends on the machine's load, which a correctness test must not (its speed is bench's)."""
    from chainrule.engine.errors import RefusedError
    from chainrule.engine.limits import Limits
    from chainrule.engine.trace import trace_program

    try:
        trace = trace_program(source, limits=Limits(max_seconds=seconds)) if seconds else \
            trace_program(source)
    except RefusedError as e:
        # line numbers of the snippet as published: every file starts with a 3-line header
        where = f" (line {e.line - 3}, col {e.col})" if e.line is not None else ""
        return {"refused": f"{e.message}{where}"}
    except Exception as e:  # an engine bug: the snippet does not match, the harness goes on
        return {"crash": f"{type(e).__name__}: {e}"}
    return {"stdout": trace.stdout, "error": trace.error, "variables": trace.variables}


def compute(items: list[Snippet]) -> dict[str, dict]:
    """{snippet id: {"status": "match" | "differs" | "refused" | "crash", "differences": [...]}}"""
    torch_runs = run_torch([s.path for s in items])
    out = {}
    for s in items:
        c = run_chainrule(s.source)
        diffs = differences(torch_runs[str(s.path)], c, random=s.random)
        status = ("refused" if "refused" in c else "crash" if "crash" in c
                  else "differs" if diffs else "match")
        out[s.id] = {"status": status, "differences": diffs}
    return out


def outcomes(shared_dir: Path | None) -> dict[str, dict]:
    """All snippets' outcomes, computed once per test run (shared by xdist workers via a file)."""
    items = snippets()
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if shared_dir is None or run_id is None:
        return compute(items)
    from filelock import FileLock

    digest = hashlib.sha256(run_id.encode())
    for s in items:
        digest.update(s.id.encode() + s.path.read_bytes())
    cache = shared_dir / f"corpus-outcomes-{digest.hexdigest()[:16]}.json"
    with FileLock(str(cache) + ".lock"):
        if cache.exists():
            return json.loads(cache.read_text())
        result = compute(items)
        cache.write_text(json.dumps(result))
        return result
