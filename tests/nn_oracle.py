"""Run a program in chainrule and, verbatim, in real Python + PyTorch (the test oracle), and
compare what they print: exactly, or number by number within a tolerance."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import torch
from chainrule.engine.lang import run_program

NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")


def ours(source: str, **limits: int) -> str:
    from chainrule.engine.limits import Limits
    result = run_program(source, limits=Limits(**limits) if limits else None)
    assert result.error is None, (result.error, result.stdout)
    return result.stdout


def theirs(source: str) -> str:
    out = io.StringIO()
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})  # noqa: S102
    finally:
        torch.set_default_dtype(saved)
    return out.getvalue()


def numbers(text: str) -> np.ndarray:
    return np.array([float(x) for x in NUMBER.findall(text)])


def assert_same_numbers(source: str, rtol: float = 1e-4, atol: float = 1e-6) -> str:
    a, b = ours(source), theirs(source)
    x, y = numbers(a), numbers(b)
    assert x.shape == y.shape, (a, b)
    np.testing.assert_allclose(x, y, rtol=rtol, atol=atol, err_msg=f"ours:\n{a}\ntorch:\n{b}")
    return a
