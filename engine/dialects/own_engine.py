"""The learner's own engine (issue 15): a pasted micrograd-lecture `class Value` runs as Python
runs it (engine/lang/classes.py dispatches its operator methods); this module draws its graph
from `_prev` / `_op` / `label`, as the lecture's draw_dot does."""

from __future__ import annotations

from typing import Any

from chainrule.engine.tensor import current_tape


def show(root: Any) -> None:
    """`draw_dot(root)`: the graph to show is the one under `root`."""
    current_tape().own_engine_roots.append(root)
