"""The objects `y.grad_fn` returns: backward nodes with `name()` and `next_functions`.

One object per record (`y.grad_fn is y.grad_fn`, and two tensors made by the same op share
it), one `AccumulateGrad` per leaf that requires grad (its `.variable` is the leaf), as in
PyTorch. Nodes compare by identity. `next_functions` is a tuple of `(node, 0)` pairs, one per
input of the op: the input's own node, its AccumulateGrad for a leaf, None for a tensor that
needs no gradient. Printing (`<MulBackward0 object at 0x…>`) is engine/printing.py's; it keys
the made-up address on `record` (or `id` for AccumulateGrad).
"""

from __future__ import annotations

from typing import Any

from chainrule.engine.errors import RuntimeProblem
from chainrule.engine.inplace import QUALIFIED_NAMES, live, meta
from chainrule.engine.tensor import Record, Tensor


class GradFn:
    """A backward node: `name` is its class name (MulBackward0), `record` the op it undoes;
    an AccumulateGrad node has no record and a `variable` (the leaf)."""

    __slots__ = ("name", "record", "variable", "id")

    def __init__(self, name: str, record: Record | None = None,
                 variable: Tensor | None = None) -> None:
        self.name = name
        self.record = record
        self.variable = variable
        self.id = None if variable is None else ("AccumulateGrad", variable.id)

    def qualified_name(self) -> str:
        return QUALIFIED_NAMES.get(self.name, self.name)

    @property
    def next_functions(self) -> tuple[tuple[GradFn | None, int], ...]:
        if self.record is None:
            return ()
        rec = self.record
        return tuple((_input_node(inp) if rule is not None else None, 0)
                     for inp, rule in zip(rec.inputs, rec.op.rules, strict=True))

    def __repr__(self) -> str:
        return f"<{self.name}>"


def node_of(t: Tensor) -> GradFn | None:
    """`t.grad_fn`: None for a leaf or a tensor that needs no gradient."""
    rec = t.record
    if rec is None or not t.requires_grad:
        return None
    if rec.node is None:
        rec.node = GradFn(rec.grad_fn, record=rec)
    return rec.node


def _input_node(t: Tensor) -> GradFn | None:
    if not t.requires_grad:
        return None
    if t.record is not None:
        return node_of(t)
    leaf = live(t)
    m = meta(leaf)
    if m.node is None:
        m.node = GradFn("AccumulateGrad", variable=leaf)
    return m.node


def attribute(node: GradFn, name: str) -> Any:
    """`node.<name>` for the language: the value, or None when there is no such attribute
    (namespace then says so in Python's words)."""
    if name == "next_functions":
        return node.next_functions
    if name == "variable" and node.variable is not None:
        return node.variable
    if name in _SAVED and node.record is not None:
        return _saved(node.record, name)
    return None


def _saved(rec: Record, name: str) -> Any:
    """`grad_fn._saved_self` / `_saved_other` / `_saved_result`: what the node keeps for
    backward. A saved input is the tensor itself (`x is y.grad_fn._saved_self`), a saved result
    a new tensor sharing the output's data, as PyTorch unpacks them."""
    from chainrule.engine.inplace import SAVES_FIRST_INPUT, SAVES_OUTPUT, alias, check_saved
    op = rec.op.name
    which = {"_saved_self": 0, "_saved_other": 1}.get(name)
    if which is not None:
        if not (op in ("mul", "div", "matmul", "pow_tensor") or
                (which == 0 and op in SAVES_FIRST_INPUT)):
            return None
    elif op not in SAVES_OUTPUT and op != "pow_tensor":
        return None
    if rec.freed:
        from chainrule.engine.backward import SECOND_TIME
        raise RuntimeProblem(SECOND_TIME)
    check_saved(rec)
    return rec.inputs[which] if which is not None else alias(rec.output, share_version=True)


_SAVED = ("_saved_self", "_saved_other", "_saved_result")
ATTRIBUTES = ("next_functions", "variable", *_SAVED)
