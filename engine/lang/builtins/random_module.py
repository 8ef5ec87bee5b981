"""`import random`: Python's own generator for the run (engine/python_random.py), with Python's
errors; micrograd's `nn` draws its weights from the same one."""

from __future__ import annotations

from typing import Any

from chainrule.engine import namespace as ns
from chainrule.engine.errors import ArgumentError
from chainrule.engine.lang.builtins.core import check_items, materialise, real_number
from chainrule.engine.python_random import generator


def _seed(a: Any = None, version: Any = 2) -> None:
    if a is not None and not isinstance(a, int | float | str | bytes):
        raise ArgumentError("The only supported seed types are: None, int, float, str, bytes, "
                            "and bytearray.", python_type="TypeError")
    if isinstance(a, str) and len(a) > 10_000:
        raise ArgumentError("random.seed(): the seed text is too long for chainrule")
    generator().seed(0 if a is None else a)


def _whole(x: Any, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise ArgumentError(f"{what} must be an integer, got {type(x).__name__}",
                            python_type="TypeError")
    return x


def _randrange(start: Any, stop: Any = None, step: Any = 1) -> int:
    args = [_whole(start, "start")] + ([] if stop is None else [_whole(stop, "stop")])
    try:
        return generator().randrange(*args, _whole(step, "step"))
    except ValueError as e:
        raise ArgumentError(str(e), python_type="ValueError") from None


def _randint(a: Any, b: Any) -> int:
    return _randrange(a, _whole(b, "b") + 1)


def _choice(seq: Any) -> Any:
    items = materialise(seq)
    if not items:
        raise ArgumentError("Cannot choose from an empty sequence", python_type="IndexError")
    return items[generator().randrange(len(items))] if not isinstance(seq, list | tuple | str) \
        else generator().choice(seq)


def _shuffle(x: Any) -> None:
    if not isinstance(x, list):
        raise ArgumentError(f"'{type(x).__name__}' object does not support item assignment",
                            python_type="TypeError")
    generator().shuffle(x)


def _sample(population: Any, k: Any) -> list:
    items = materialise(population) if not isinstance(population, list | tuple | range | str) \
        else population
    check_items(_whole(k, "k"))
    try:
        return generator().sample(items, k)
    except ValueError as e:
        raise ArgumentError(str(e), python_type="ValueError") from None


_FUNCTIONS = {
    "seed": _seed,
    "random": lambda: generator().random(),
    "uniform": lambda a, b: generator().uniform(real_number(a), real_number(b)),
    "gauss": lambda mu=0.0, sigma=1.0: generator().gauss(real_number(mu), real_number(sigma)),
    "normalvariate": lambda mu=0.0, sigma=1.0: generator().normalvariate(real_number(mu),
                                                                       real_number(sigma)),
    "randint": _randint, "randrange": _randrange, "choice": _choice, "shuffle": _shuffle,
    "sample": _sample,
}
RANDOM = ns.Module("random", {name: ns.Function(f"random.{name}", impl)
                              for name, impl in _FUNCTIONS.items()})
