"""Resource limits for one trace: sane defaults for a public server; settings override them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    max_source_chars: int = 20_000
    max_ast_nodes: int = 5_000
    max_ast_depth: int = 60
    max_ops: int = 500                 # recorded ops (forward) per program
    max_tensor_elements: int = 1_000_000   # elements in one tensor
    max_tensor_dims: int = 32              # dimensions of one tensor (NumPy broadcasting: 32)
    max_total_elements: int = 8_000_000    # elements created over the whole program
    max_matmul_flops: int = 200_000_000    # multiply-adds in one matmul
    max_abs_exponent: float = 1_000.0      # |p| in x ** p with Python numbers
    max_seconds: float = 2.0               # wall clock per trace
    max_display_elements: int = 64         # full data in JSON up to this many elements
    max_shown_numbers: int = 50_000        # numbers the trace carries, Σ over its tensors


@dataclass
class Budget:
    """Running counters checked as the program runs; raises LimitError when one is exceeded."""

    limits: Limits = field(default_factory=Limits)
    started: float = field(default_factory=time.monotonic)
    ops: int = 0
    elements: int = 0

    def deadline_passed(self) -> bool:
        return time.monotonic() - self.started > self.limits.max_seconds
