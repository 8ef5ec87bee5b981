"""`python -m bench.training`: a training loop traced vs the same program in PyTorch eager.

Programs: the "Learning PyTorch with Examples" polynomial fits (tests/corpus/examples_pytorch,
verbatim, 2,000 iterations each). Ours: trace_program (run + graph + timeline + layout + the
training summary), CPU seconds; anchor: the same file run by CPython with real PyTorch (one
thread), CPU seconds. Each side is warmed by one run, then the faster of two counts. Also the
trace's JSON size (goal ≤ 1 MB) and the per-iteration cost. Writes the "training" section of
bench/README.md (its table; the notes below it are written by hand).
"""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import time
from pathlib import Path

import bench  # noqa: F401 - one BLAS/OpenMP thread, before NumPy loads
from bench.readme import write_section

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ("polynomial_autograd", "polynomial_nn", "polynomial_optim", "polynomial_module")
ITERATIONS = 2000


def ours(source: str) -> tuple[float, int, str | None]:
    from chainrule.engine.limits import Limits
    from chainrule.engine.trace import trace_program
    t0 = time.process_time()
    trace = trace_program(source, limits=Limits(max_seconds=300))
    seconds = time.process_time() - t0
    body = json.dumps(trace.to_dict())
    return seconds, len(body), trace.error and trace.error.get("message")


def pytorch(path: Path) -> float:
    import torch
    torch.set_num_threads(1)
    t0 = time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        runpy.run_path(str(path), run_name="__main__")
    return time.process_time() - t0


def main() -> None:
    rows = ["| program (2,000 iterations) | ours: trace | PyTorch eager | ratio | goal ≤ 2× | "
            "per iteration (ours / PyTorch) | trace JSON | goal ≤ 1 MB |",
            "|---|---:|---:|---:|---|---:|---:|---|"]
    for name in PROGRAMS:
        path = ROOT / "tests" / "corpus" / "examples_pytorch" / f"{name}.py"
        # Both warmed once (imports, first-call dispatch; ours: the layout and formula
        # libraries a first trace loads), then the faster of two runs each.
        pytorch(path)
        theirs = min(pytorch(path) for _ in range(2))
        ours(path.read_text())
        mine, size, err = min(ours(path.read_text()) for _ in range(2))
        ratio = mine / theirs
        rows.append(f"| {name}{' (error: ' + err + ')' if err else ''} | {mine:.2f} s | "
                    f"{theirs:.2f} s | {ratio:.1f}× | {'yes' if ratio <= 2 else '**no**'} | "
                    f"{mine / ITERATIONS * 1e3:.2f} ms / {theirs / ITERATIONS * 1e3:.3f} ms | "
                    f"{size / 1e6:.2f} MB | {'yes' if size <= 1e6 else '**no**'} |")
        print(rows[-1], flush=True)
    body = "## Training loops (bench/training.py)\n\n" + "\n".join(rows) + (
        "\n\nCPU seconds on a 2-core machine shared with other jobs; each side warmed by one "
        "run, then the faster of two. The trace holds every iteration's loss, the first "
        "iteration's graph and the last one's, big tensors previewed by 128 numbers "
        "(engine/training.TRAINING_PREVIEW_ELEMENTS); a picked iteration is fetched by POST "
        "/api/training (the program re-run). Ranges over several runs, what changed and what "
        "is left: the notes below.")
    write_section("training", body)


if __name__ == "__main__":
    main()
