"""PyTorch as the oracle for whole programs: run a snippet that chainrule ran, verbatim, in real
PyTorch (float64), and compare every variable. Used by tests/engine/test_lang.py (the
language's constructs) and tests/parity/test_examples_torch.py (the shared examples).

Import the `float64_torch` fixture into a test module to make float64 PyTorch's default there.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import traceback
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from chainrule.engine.lang import ProgramResult
from chainrule.engine.namespace import GradFn, NNModule
from chainrule.engine.tensor import Tensor

# The bare functions of the language (`sin(x)` in an expression program).
MATH = {name: getattr(torch, name) for name in
        ("exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "sqrt", "abs", "pow")}


@pytest.fixture(autouse=True)
def float64_torch():
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(saved)


@dataclass
class TorchRun:
    env: dict            # the program's globals after it ran
    stdout: str          # what it printed, with object addresses blanked (see run_in_torch)
    error: RuntimeError | None = None   # with catch=True: what PyTorch raised…
    line: int = 0                       # …and on which line of the program


def implicit_root_name(result: ProgramResult) -> str | None:
    """The tensor chainrule called backward() on for the program (None if it did not)."""
    for event in result.tape.events:
        if event["type"] == "backward" and event["implicit"]:
            return event["root"].name
    return None


def run_in_torch(source: str, result: ProgramResult, filename: str = "<snippet>",
                 catch: bool = False) -> TorchRun:
    """Exec `source` with torch, giving it chainrule's free variables (as leaf tensors that
    require grad) and, where chainrule went backward implicitly, the same backward() at the
    end. A RuntimeError propagates, or with `catch` is returned with its line."""
    env: dict = dict(MATH)
    for name, value in result.free_variables.items():
        env[name] = torch.tensor(value, requires_grad=True)
    out = io.StringIO()
    run = TorchRun(env, "")
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(compile(source, filename, "exec"), env)  # noqa: S102 - the test oracle
            root = implicit_root_name(result)
            if root is not None:
                env[root].backward()
        except RuntimeError as e:
            if not catch:
                raise
            run.error = e
            run.line = [f.lineno for f in traceback.extract_tb(sys.exc_info()[2])
                        if f.filename == filename][-1]
    # Both print objects as <MulBackward0 object at 0x7f...>: PyTorch with a memory address,
    # chainrule with a made-up stable one (engine/printing.fake_address). Addresses are not
    # comparable, so they are blanked in both outputs (`result.stdout` too, in place).
    run.stdout = without_addresses(out.getvalue())
    result.stdout = without_addresses(result.stdout)
    return run


def printout_in_torch(source: str, result: ProgramResult, filename: str = "<snippet>") -> str:
    """What the program prints in PyTorch as a learner runs it: float32 by default (the value
    comparisons run in float64, see `float64_torch`; printing shows each dtype)."""
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        return run_in_torch(source, result, filename, catch=True).stdout
    finally:
        torch.set_default_dtype(saved)


_NUMBER = re.compile(r"-?(?:\d+\.\d*|\.\d+|\d+)(?:e[-+]?\d+)?")


def assert_same_printout(ours: str, theirs: str, rtol: float = 1e-6) -> None:
    """The same text, numbers equal to float32's precision: chainrule computes in float64 and
    rounds a float32 tensor's numbers for display, PyTorch computes in float32, so the last
    bits of a printed `.item()` may differ."""
    assert _NUMBER.split(ours) == _NUMBER.split(theirs), (ours, theirs)
    for a, b in zip(_NUMBER.findall(ours), _NUMBER.findall(theirs), strict=True):
        assert a == b or abs(float(a) - float(b)) <= rtol * max(abs(float(b)), 1e-30), \
            (a, b, ours, theirs)


def without_addresses(text: str) -> str:
    return re.sub(r" (object )?at 0x[0-9a-f]+>", r" \1at 0x…>", text)


def assert_tensor_matches(name: str, ours: Tensor, theirs: torch.Tensor, rtol: float = 1e-10,
                          atol: float = 1e-12, grad_rtol: float = 1e-9) -> None:
    """Shape, dtype kind, values, requires_grad, is_leaf, grad_fn name, and .grad (its
    None-ness, shape and values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # PyTorch warns when a non-leaf's .grad is read
        assert isinstance(theirs, torch.Tensor), name
        assert ours.shape == tuple(theirs.shape), name
        assert ours.is_float == theirs.dtype.is_floating_point, name
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)
        assert ours.requires_grad == theirs.requires_grad, name
        assert ours.is_leaf == theirs.is_leaf, name
        their_fn = None if theirs.grad_fn is None else type(theirs.grad_fn).__name__
        assert ours.grad_fn == their_fn, name
        assert (ours.grad is None) == (theirs.grad is None), f"{name}.grad None-ness"
        if ours.grad is not None:
            assert ours.grad.shape == tuple(theirs.grad.shape), f"{name}.grad shape"
            np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=grad_rtol,
                                       atol=atol, err_msg=f"{name}.grad")


def assert_variables_match(variables: dict, env: dict, **tolerances: float) -> None:
    """Every variable chainrule ended with against the same name in PyTorch's globals."""
    for name, ours in variables.items():
        theirs = env[name]
        if isinstance(ours, Tensor):
            assert_tensor_matches(name, ours, theirs, **tolerances)
        elif isinstance(ours, GradFn):
            assert ours.name == type(theirs).__name__, name
        elif isinstance(ours, NNModule):
            assert repr(ours) == repr(theirs), name
        elif isinstance(ours, float):
            # `.item()` of a float32 tensor is float32-rounded, as in PyTorch (this oracle runs
            # in float64): equal to float32's precision
            assert ours == pytest.approx(theirs, rel=1e-6), name
        else:
            assert ours == theirs, name
