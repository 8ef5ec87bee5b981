"""Imported by the trace workers' fork server before it forks any worker (app/workers.py,
PRELOAD): one small trace, so that the first-call costs after the imports (the layout engine's
plugins, per-process caches: ~0.15 s, more on a busy machine) are paid once in the fork server
and every worker starts warm — also a spare spawned while a request is waiting for it."""

from __future__ import annotations

from chainrule.app.runner import trace_response
from chainrule.engine.limits import Limits

for source in ("y = x ** 2", "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n"
               "y = (x * x).sum()\n"):
    trace_response(source, None, 0, Limits())
