"""Resource limits for one trace: sane defaults for a public server; settings override them."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Limits:
    max_source_chars: int = 20_000
    max_ast_nodes: int = 5_000
    max_ast_depth: int = 60
    max_ops: int = 5_000               # recorded ops (forward) per program
    max_tensor_elements: int = 1_000_000   # elements in one tensor
    max_tensor_dims: int = 32              # dimensions of one tensor (NumPy broadcasting: 32)
    max_total_elements: int = 8_000_000    # elements created over the whole program
    max_matmul_flops: int = 200_000_000    # multiply-adds in one matmul
    max_abs_exponent: float = 1_000.0      # |p| in x ** p with Python numbers
    max_seconds: float = 2.0               # wall clock per trace
    max_display_elements: int = 64         # full data in JSON up to this many elements
    max_shown_numbers: int = 50_000        # numbers the trace carries, Σ over its tensors
    max_answer_bytes: int = 16_000_000     # JSON of one answer (trace, or export around it)


@dataclass
class Budget:
    """Running counters checked as the program runs; raises LimitError when one is exceeded."""

    limits: Limits = field(default_factory=Limits)
    started: float = field(default_factory=time.monotonic)
    ops: int = 0
    elements: int = 0

    def deadline_passed(self) -> bool:
        return time.monotonic() - self.started > self.limits.max_seconds


# What an answer holds besides its steps (nodes, edges, layout, groups, variables, printed
# text, source; an export's player): the steps may use the rest of max_answer_bytes. Measured:
# a 225-op chain's nodes, edges (their routes) and groups are 2.8 MB, printed text at most
# ~0.6 MB of JSON. app/runner.py cuts more steps if the rest took more.
ANSWER_RESERVE_BYTES = 3_000_000


class AnswerBudget:
    """Bytes of JSON the trace builder may still emit as steps. The timeline charges each step
    as it appends it (`charge`); once over, no further step is kept (an error step still is:
    it says why the steps end) and the builder stops playing events. `error` then turns the
    program's own outcome into a limit error saying so: the graph so far is still returned."""

    def __init__(self, max_bytes: int | None) -> None:
        self.left = max_bytes
        self.exceeded = False

    @classmethod
    def for_limits(cls, limits: Limits) -> AnswerBudget:
        return cls(max(0, limits.max_answer_bytes - ANSWER_RESERVE_BYTES))

    def charge(self, step: dict) -> bool:
        if self.left is None or step.get("kind") == "error":
            return True
        if self.exceeded:
            return False
        self.left -= _json_size(step)
        self.exceeded = self.left < 0
        return not self.exceeded

    def error(self, program_error: Any, limits: Limits) -> Any:
        """The error the trace reports: the program's own, unless the steps were cut."""
        if not self.exceeded:
            return program_error
        from chainrule.engine.errors import LimitError
        return LimitError(
            f"the answer would be over {limits.max_answer_bytes / 1e6:g} MB, the limit: the "
            "steps stop here (the graph is complete). Fewer operations, smaller tensors, or "
            "one backward() instead of many keep it within the limit")


try:   # the same serialiser as the answer (app/runner.dumps) where it is installed
    import orjson as _orjson

    def _json_size(obj: Any) -> int:
        try:
            return len(_orjson.dumps(obj))
        except (TypeError, _orjson.JSONEncodeError):
            return len(json.dumps(obj, default=str))
except ImportError:  # pragma: no cover - orjson is there on every machine chainrule runs on
    def _json_size(obj: Any) -> int:
        return len(json.dumps(obj, default=str))
