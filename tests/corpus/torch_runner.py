"""Run corpus snippets in real PyTorch and report what each did, as JSON on stdout.

Started once per test session as a subprocess by tests/corpus/results.py (`python -m
tests.corpus.torch_runner < paths.json`), so the snippets' global changes (default device, grad
mode, print options, seeds) never reach the test process. This is test code: PyTorch is the
oracle; chainrule's engine and app never exec a program.

Each snippet runs in fresh globals holding the imports chainrule assumes when a pasted snippet
lacks them (`torch`, `nn`, `F`, `np`, `math`), with stdout captured. Recorded: stdout, the
exception raised (type and message), and every top-level tensor variable (shape, dtype,
requires_grad, values, grad).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import signal
import sys
import warnings

import numpy as np
import torch

SECONDS_PER_SNIPPET = 20
MAX_RECORDED_ELEMENTS = 100_000   # larger tensors: shape and flags only


class SnippetTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise SnippetTimeout(f"still running after {SECONDS_PER_SNIPPET} s")


def _numbers(t: torch.Tensor | None) -> list | None:
    if t is None or t.numel() > MAX_RECORDED_ELEMENTS or t.is_complex():
        return None
    return t.detach().to("cpu", torch.float64).reshape(-1).tolist()


def _tensor_record(t: torch.Tensor) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # .grad of a non-leaf warns
        grad = t.grad
    return {"shape": list(t.shape), "dtype": str(t.dtype).removeprefix("torch."),
            "requires_grad": t.requires_grad, "values": _numbers(t),
            "grad": None if grad is None else _numbers(grad),
            "has_grad": grad is not None}


def _reset_torch() -> None:
    torch.manual_seed(0)
    torch.set_grad_enabled(True)
    torch.set_default_dtype(torch.float32)
    torch.set_default_device("cpu")
    torch.set_printoptions(profile="default")


def run_snippet(source: str, filename: str) -> dict:
    _reset_torch()
    scope = {"__name__": "__main__", "torch": torch, "nn": torch.nn, "F": torch.nn.functional,
             "np": np, "math": math}
    out = io.StringIO()
    error = None
    signal.alarm(SECONDS_PER_SNIPPET)
    try:
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, filename, "exec"), scope)  # noqa: S102 - the oracle runs the snippet
    except Exception as e:  # the snippet's own exception is the observation
        error = {"type": type(e).__name__, "message": str(e)}
    finally:
        signal.alarm(0)
        torch.set_default_device("cpu")
    variables = {name: _tensor_record(v) for name, v in scope.items()
                 if isinstance(v, torch.Tensor) and not name.startswith("__")}
    return {"stdout": out.getvalue(), "error": error, "variables": variables,
            "torch_version": torch.__version__}


def main() -> None:
    signal.signal(signal.SIGALRM, _on_alarm)
    paths = json.load(sys.stdin)
    results = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        results[path] = run_snippet(source, path)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
