"""Narration names a tensor too big to print by its shape in words (engine/timeline.py): a
learner reads "a 5-element vector", never "a 5 tensor" or "a (5,) tensor"."""

from __future__ import annotations

import re

import pytest
from chainrule.engine.trace import trace_program
from chainrule.engine.values import shape_words


@pytest.mark.parametrize("shape, words", [
    ((5,), "a 5-element vector"),
    ((1200,), "a 1,200-element vector"),
    ((2, 3), "a 2×3 matrix"),
    ((2, 3, 4), "a tensor of shape (2, 3, 4)"),
])
def test_shape_words(shape: tuple[int, ...], words: str) -> None:
    assert shape_words(shape) == words


def test_forward_and_backward_narration_read_naturally() -> None:
    """x feeds y twice (fan-out), so the backward narration sums two contributions, each a
    5-element gradient; the forward step's result is 5 numbers, too many to print."""
    source = ("import torch\nx = torch.ones(5, requires_grad=True)\ny = x * 2\nz = y * x\n"
              "m = torch.ones(2, 3, requires_grad=True) * 3\nloss = z.sum() + m.sum()\n"
              "loss.backward()\n")
    trace = trace_program(source)
    assert trace.error is None
    text = " ".join(step["narration"] for step in trace.steps)
    assert "gives a 5-element vector" in text
    assert "gives a 2×3 matrix" in text
    assert re.search(r"= a 5-element vector \+ a 5-element vector =", text), text
    assert not re.search(r"a \(?\d+,?\)? tensor", text), text
