"""What a training program calls its parameters, so the graph and the update step say
`0.weight`, `fc1.bias` or `a`, never the source text of `nn.Linear(2, 8)` twice or an
in-place version such as `(v100)` (issue #13).

- A module the program holds in a variable names its parameters as PyTorch's
  `named_parameters()` does: `0.weight`, `fc1.bias`. When several variables hold modules,
  the variable's name comes first (`encoder.fc1.bias`), so no two parameters share a name.
- A tensor the program made itself keeps its variable's name (`a`, `w1`).
- A parameter changed in place has several states in the graph (the one the shown iteration
  used, the one after the last step): a state after k in-place changes is `0.weight (step k)`,
  k being PyTorch's `_version` — one per optimizer step or manual `p -= lr * p.grad`.
"""

from __future__ import annotations

from typing import Any

from chainrule.engine.inplace import live


def parameter_names(variables: dict[str, Any]) -> dict[int, str]:
    """id(parameter) → its name, for every parameter of a module the program's variables
    hold."""
    from chainrule.engine.nn.module import Module
    holders = [(var, v) for var, v in variables.items()
               if isinstance(v, Module) and v.all_named_parameters()]
    names: dict[int, str] = {}
    for var, module in holders:
        for name, p in module.all_named_parameters():
            names.setdefault(id(p), name if len(holders) == 1 else f"{var}.{name}")
    return names


def name_parameter_nodes(graph: Any, names: dict[int, str]) -> None:
    """Relabel the graph's parameter nodes (every state of each parameter) by `names`; a
    named tensor's later states say `(step k)` instead of the version suffix."""
    for t in graph.tensors:
        holder = live(t)
        name = names.get(id(holder))
        if name is None:
            if not (t.name and holder.record is None and holder.requires_grad):
                continue
            name = t.name
        version = t.meta.version if t.meta is not None else 0
        graph.labels[graph.tid(t)] = f"{name} (step {version})" if version else name


def parameter_label(p: Any, names: dict[int, str]) -> str | None:
    """The update table's name of a parameter: its module name, else its variable's."""
    return names.get(id(p)) or p.name or None
