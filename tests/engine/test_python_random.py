"""`import random` gives Python's own numbers (the oracle: Python's random module), and
micrograd's nn draws its weights from the same generator, as micrograd's does."""

from __future__ import annotations

import random

import pytest
from chainrule.engine.trace import trace_program

PROGRAM = """import random
random.seed({seed!r})
xs = [random.random(), random.uniform(-1, 1), random.gauss(0, 1), random.randint(1, 6)]
items = [1, 2, 3, 4, 5]
random.shuffle(items)
print(xs, items, random.choice(items), random.sample(range(10), 3))
"""


@pytest.mark.parametrize("seed", [0, 1, 1337, 2**40, "hello"])
def test_python_random_matches_python(seed):
    random.seed(seed)
    xs = [random.random(), random.uniform(-1, 1), random.gauss(0, 1), random.randint(1, 6)]
    items = [1, 2, 3, 4, 5]
    random.shuffle(items)
    wanted = f"{xs} {items} {random.choice(items)} {random.sample(range(10), 3)}\n"
    t = trace_program(PROGRAM.format(seed=seed))
    assert t.error is None
    assert t.stdout == wanted


def test_micrograd_nn_weights_follow_random_seed():
    nn = pytest.importorskip("micrograd.nn")
    random.seed(7)
    n = nn.MLP(2, [3, 1])
    wanted = [p.data for p in n.parameters()]
    t = trace_program("import random\nfrom micrograd.nn import MLP\nrandom.seed(7)\n"
                      "n = MLP(2, [3, 1])\nws = [p.data for p in n.parameters()]\nprint(ws)\n")
    assert t.error is None
    assert t.stdout == f"{wanted}\n"


def test_unseeded_random_follows_the_request_seed():
    a = trace_program("import random\nprint(random.random())\n", seed=5).stdout
    b = trace_program("import random\nprint(random.random())\n", seed=5).stdout
    c = trace_program("import random\nprint(random.random())\n", seed=6).stdout
    assert a == b != c
