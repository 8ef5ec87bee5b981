"""Programs in the snippet language for the benchmarks: scalar MLPs of a chosen graph size.

A neuron with fan-in k is written micrograd-style as one line of scalar arithmetic,
`h1_2 = tanh(0.31*x1 - 0.52*x2 + 0.1)`: k constants, k products, k sums, one tanh, i.e.
5k + 3 graph nodes (the same count as bench/layout_bench.py's MLP graphs). The programs are typed
expressions (no framework used): the inputs x1... are free variables (sliders) and the backward
pass of the last line is implicit; the weights are numbers, so the source stays under the
20,000-character limit even at 3,000 nodes.
"""

from __future__ import annotations

import random


def nodes_of(nin: int, h: int) -> int:
    """Graph nodes of `scalar_mlp(nin, [h, h, 1])`: inputs, then three layers of neurons."""
    return nin + h * (5 * nin + 3) + h * (5 * h + 3) + (5 * h + 3) + 2   # + 2: out ** 2


def shape_for(target: int) -> tuple[int, int]:
    """(nin, h) whose graph has the node count closest to `target`."""
    best = min(((nin, h) for nin in range(1, 6) for h in range(1, 60)),
               key=lambda p: abs(nodes_of(*p) - target))
    return best


def scalar_mlp(nin: int, sizes: list[int], seed: int = 0) -> tuple[str, dict[str, float]]:
    """Source and inputs of a tanh MLP over free variables x1..x{nin}, loss = out ** 2."""
    rng = random.Random(seed)
    lines = []
    xs = [f"x{i + 1}" for i in range(nin)]
    for layer, size in enumerate(sizes, start=1):
        outs = []
        for j in range(size):
            terms = []
            for k, x in enumerate(xs):
                w = rng.uniform(-1, 1)
                if k == 0:
                    terms.append(f"{w:.2f}*{x}")
                else:
                    terms.append(f" {'-' if w < 0 else '+'} {abs(w):.2f}*{x}")
            bias = rng.uniform(-0.5, 0.5)
            name = f"h{layer}_{j + 1}" if layer < len(sizes) else "out"
            lines.append(f"{name} = tanh({''.join(terms)} {'-' if bias < 0 else '+'} "
                         f"{abs(bias):.2f})")
            outs.append(name)
        xs = outs
    lines.append("loss = out ** 2")
    inputs = {f"x{i + 1}": round(rng.uniform(-1, 1), 3) for i in range(nin)}
    return "\n".join(lines) + "\n", inputs


def program_of_size(target: int) -> tuple[str, dict[str, float]]:
    """A scalar-MLP program whose graph has about `target` nodes."""
    nin, h = shape_for(target)
    return scalar_mlp(nin, [h, h, 1])


def reused_values_program(lines: int = 25, terms: int = 5, seed: int = 0) -> str:
    """A dense program: each line combines `terms` values picked at random among the inputs
    x1..x4 and every earlier line's result, so values are reused many lines later and the
    graph has long edges crossing each other (~250 nodes for 25 lines of 5 terms). Whole-graph
    dot took seconds on such programs (issue #6: a 229-node one took ~19 s)."""
    rng = random.Random(seed)
    names = ["x1", "x2", "x3", "x4"]
    out = []
    for i in range(lines):
        expr = rng.choice(names)
        for _ in range(terms - 1):
            expr += f" {rng.choice('*+-*')} {rng.choice(names)}"
        fn = rng.choice(["tanh", "sigmoid", "relu", ""])
        out.append(f"v{i + 1} = {fn}({expr})" if fn else f"v{i + 1} = {expr}")
        names.append(f"v{i + 1}")
    out.append("loss = " + " + ".join(names[-4:]))
    return "\n".join(out) + "\n"


def chain(lines: int) -> str:
    """A deep chain of 3 nodes per line (sin, *, + alternate with the shared input x)."""
    out = ["import torch", "x = torch.tensor(0.5, requires_grad=True)", "y0 = x * 1.0"]
    for i in range(1, lines + 1):
        out.append(f"y{i} = torch.sin(y{i - 1}) * x" if i % 2 else f"y{i} = y{i - 1} + x")
    out.append(f"y{lines}.backward()")
    return "\n".join(out) + "\n"
