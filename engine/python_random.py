"""Python's own `random` generator for one run (CPython's Mersenne Twister and algorithms, from
the standard library): `import random` in a program and micrograd's `nn` weights draw from it,
so `random.seed(1337)` gives Python's numbers to both. Unseeded, it starts from the request's
seed, so a permalink replays the same numbers."""

from __future__ import annotations

import random

from chainrule.engine.tensor import current_tape


def generator() -> random.Random:
    tape = current_tape()
    found = tape.python_random
    if found is None:
        found = random.Random(tape.request_seed)
        tape.python_random = found
    return found
