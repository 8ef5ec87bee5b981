"""What a program prints when the real framework runs it, in this process: the oracle of the
dialect tests that compare printed text (TensorFlow and JAX are test-only, by design)."""

from __future__ import annotations

import contextlib
import io
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def framework_stdout(source: str, module: str) -> str:
    """`source` run by the framework `module` ("jax", "tensorflow"), its stdout; the test is
    skipped where the framework is not installed."""
    pytest.importorskip(module)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, {})   # the oracle is the real framework, by design (source imports it)
    return out.getvalue()
