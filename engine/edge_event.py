"""One backward edge as the pass saw it, made cheaply and read like the event dict it replaces.

The backward pass (engine/backward.py) crosses every edge of the graph once, and the timeline
turns each crossing into a step: upstream, local, product, contribution, running total, how
many paths have arrived. A scalar graph crosses an edge in about a microsecond, and building a
12-entry dict per crossing was a third of that, for events that a long training loop then
forgets unread (engine/nn/loop_memory.py). So the pass keeps a tuple of what it computed anyway
(references, no copies), and what can be derived is derived when read: whether this crossing
completes the gradient, which axes the broadcast summed.

Readers index it by the old keys (`ev["total"]`, `ev.get("leaf_before")`, `"leaf_grad" in ev`),
as they index the dict events other passes emit (engine/graph_vjps.py builds a graph).

Even the EdgeEvent is made only when read: the pass appends the plain tuple (making a tuple
subclass copies the tuple, a fifth of a scalar edge's cost), and the tape's `Events` list hands
each one out as an EdgeEvent when it is iterated or indexed. Most are never read: a long
training loop forgets its iterations' events (engine/nn/loop_memory.py, which reads them by
position).
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from chainrule.engine.broadcast import reduced_axes

ABSENT: Any = object()   # `leaf_grad`: this crossing did not complete a leaf's `.grad`


class EdgeEvent(tuple):
    """(record, input_index, upstream, local, product, contribution, total, count, expected,
    leaf_before, leaf_grad), made with `tuple.__new__(EdgeEvent, (...))`."""

    __slots__ = ()
    type = "edge"
    record = property(itemgetter(0))
    input_index = property(itemgetter(1))
    upstream = property(itemgetter(2))
    local = property(itemgetter(3))
    product = property(itemgetter(4))
    contribution = property(itemgetter(5))
    total = property(itemgetter(6))
    count = property(itemgetter(7))
    expected = property(itemgetter(8))
    leaf_before = property(itemgetter(9))

    @property
    def leaf_grad(self) -> Any:
        value = tuple.__getitem__(self, 10)
        if value is ABSENT:
            raise KeyError("leaf_grad")
        return value

    @property
    def complete(self) -> bool:
        return self.count == self.expected

    @property
    def reduced_axes(self) -> list[int]:
        """The axes broadcasting summed to bring the product to the input's shape."""
        shape = self.record.inputs[self.input_index].data.shape
        product = self.product
        return [] if product.shape == shape else reduced_axes(product.shape, shape)

    def __getitem__(self, key: Any) -> Any:
        if type(key) is str:
            return getattr(self, key)
        return tuple.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self else default

    def __contains__(self, key: object) -> bool:
        if key == "leaf_grad":
            return tuple.__getitem__(self, 10) is not ABSENT
        return key in _FIELDS

    def __repr__(self) -> str:
        return f"EdgeEvent(record={self.record.index}, input_index={self.input_index})"


_FIELDS = frozenset(("type", "record", "input_index", "upstream", "local", "product",
                     "contribution", "total", "count", "expected", "leaf_before", "complete",
                     "reduced_axes"))


class Events(list):
    """The tape's events in order (dicts, records, backward edges): a backward edge appended
    as a plain tuple (engine/backward.py) is read as its EdgeEvent. Appending, extending,
    deleting and `len` are the list's own."""

    __slots__ = ()

    def __iter__(self) -> Iterator[Any]:
        for ev in list.__iter__(self):
            yield _edge(ev) if type(ev) is tuple else ev

    def __reversed__(self) -> Iterator[Any]:
        for ev in list.__reversed__(self):
            yield _edge(ev) if type(ev) is tuple else ev

    def __getitem__(self, key: Any) -> Any:
        if type(key) is slice:
            return [_edge(ev) if type(ev) is tuple else ev for ev in list.__getitem__(self, key)]
        ev = list.__getitem__(self, key)
        return _edge(ev) if type(ev) is tuple else ev


def _edge(raw: tuple) -> EdgeEvent:
    return tuple.__new__(EdgeEvent, raw)
