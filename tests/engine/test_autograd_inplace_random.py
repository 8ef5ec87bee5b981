"""Random sequences of out-of-place and in-place ops, aliases (.data, .detach()), no_grad
sections and backward calls, run step by step in chainrule and in real PyTorch: after every
step the values, versions, requires_grad/is_leaf, gradients and any error text must agree.
Seeded, so a failure names its sequence."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from chainrule.engine import autograd_api as api
from chainrule.engine import functional as F
from chainrule.engine import grad_mode
from chainrule.engine.backward import backward
from chainrule.engine.errors import ChainruleError
from chainrule.engine.graph import build_graph
from chainrule.engine.limits import Limits
from chainrule.engine.tensor import Tape, Tensor, recording

M = api.TENSOR_METHODS


def _ours_step(kind, env, a, b, c):
    x, y = env[a], env[b]
    if kind == "mul":
        env[c] = F.mul(x, y)
    elif kind == "sin":
        env[c] = F.sin(x)
    elif kind == "exp":
        env[c] = F.exp(x)
    elif kind == "add":
        env[c] = F.add(x, y)
    elif kind == "add_":
        M["add_"](x, y)
    elif kind == "mul_":
        M["mul_"](x, 2.0)
    elif kind == "sub_":
        M["sub_"](x, y, alpha=0.5)
    elif kind == "zero_":
        M["zero_"](x)
    elif kind == "setitem":
        api.setitem(x, 0, y if y.numel() == 1 else 1.5)
    elif kind == "detach":
        env[c] = M["detach"](x)
    elif kind == "data":
        env[c] = api.TENSOR_ATTRIBUTES["data"](x)
    elif kind == "backward":
        backward(F.sum(x), retain_graph=True)


def _torch_step(kind, env, a, b, c):
    x, y = env[a], env[b]
    if kind == "mul":
        env[c] = x * y
    elif kind == "sin":
        env[c] = x.sin()
    elif kind == "exp":
        env[c] = x.exp()
    elif kind == "add":
        env[c] = x + y
    elif kind == "add_":
        x.add_(y)
    elif kind == "mul_":
        x.mul_(2.0)
    elif kind == "sub_":
        x.sub_(y, alpha=0.5)
    elif kind == "zero_":
        x.zero_()
    elif kind == "setitem":
        x[0] = y if y.numel() == 1 else 1.5
    elif kind == "detach":
        env[c] = x.detach()
    elif kind == "data":
        env[c] = x.data
    elif kind == "backward":
        x.sum().backward(retain_graph=True)


KINDS = ["mul", "sin", "exp", "add", "add_", "mul_", "sub_", "zero_", "setitem", "detach",
         "data", "backward", "backward"]


def _compare(ours: dict, theirs: dict) -> None:
    for name, t in theirs.items():
        o = ours[name]
        np.testing.assert_allclose(np.asarray(o.data, dtype=np.float64),
                                   t.detach().double().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)
        assert o.version == t._version, name
        assert (o.requires_grad, o.is_leaf) == (t.requires_grad, t.is_leaf), name
        assert (o.grad_fn is None) == (t.grad_fn is None), name
        if t.grad_fn is not None:
            assert o.grad_fn == type(t.grad_fn).__name__, name
        if t.is_leaf:
            assert (o.grad is None) == (t.grad is None), name
            if t.grad is not None:
                np.testing.assert_allclose(np.asarray(o.grad.data), t.grad.double().numpy(),
                                           rtol=1e-9, atol=1e-12, err_msg=f"{name}.grad")


@pytest.mark.parametrize("seed", range(60))
def test_random_in_place_sequences_match_torch(seed):
    rng = random.Random(seed)
    start = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(2)]
    theirs = {"p": torch.tensor(start[0], dtype=torch.float64, requires_grad=True),
              "q": torch.tensor(start[1], dtype=torch.float64)}
    with recording(Tape(limits=Limits(max_seconds=120))) as tape:
        ours = {"p": Tensor(np.array(start[0]), requires_grad=True),
                "q": Tensor(np.array(start[1]))}
        steps = []
        for k in range(12):
            kind = rng.choice(KINDS)
            a, b = rng.choice(sorted(theirs)), rng.choice(sorted(theirs))
            c = f"t{k}"
            quiet = rng.random() < 0.3
            steps.append((kind, a, b, c, quiet))
            their_error = our_error = None
            ctx = torch.no_grad() if quiet else torch.enable_grad()
            try:
                with ctx:
                    _torch_step(kind, theirs, a, b, c)
            except RuntimeError as e:   # float64 here; chainrule's tensors act as float32
                their_error = str(e).replace("DoubleTensor", "FloatTensor")
            mode = grad_mode.no_grad() if quiet else grad_mode.enable_grad()
            mode.enter()
            try:
                _ours_step(kind, ours, a, b, c)
            except ChainruleError as e:
                our_error = e.message
            finally:
                mode.exit()
            assert our_error == their_error, steps
            try:
                _compare(ours, theirs)
            except AssertionError as e:
                raise AssertionError(f"{steps}: {e}") from None
        build_graph(tape, "")
