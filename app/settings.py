"""Settings from environment variables (CHAINRULE_*), with the engine's limits as defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields

from chainrule.engine.limits import Limits


def _env(name: str, default: float | int) -> float | int:
    raw = os.environ.get(f"CHAINRULE_{name.upper()}")
    if raw is None:
        return default
    return type(default)(raw)


@dataclass(frozen=True)
class Settings:
    limits: Limits = field(default_factory=Limits)
    max_body_bytes: int = 64_000
    workers: int = 2             # trace worker processes
    worker_max_jobs: int = 500   # a worker is replaced after this many jobs...
    worker_max_rss_mb: int = 512  # ...or once its resident memory is over this
    static_max_age: int = 3600
    trace_cache_bytes: int = 64 * 2**20   # kept answers of the cacheable GETs (app/trace_cache)

    @classmethod
    def from_env(cls) -> Settings:
        limits = Limits(**{f.name: _env(f.name, getattr(Limits(), f.name))
                           for f in fields(Limits)})
        return cls(limits=limits,
                   max_body_bytes=int(_env("max_body_bytes", cls.max_body_bytes)),
                   workers=int(_env("workers", cls.workers)),
                   worker_max_jobs=int(_env("worker_max_jobs", cls.worker_max_jobs)),
                   worker_max_rss_mb=int(_env("worker_max_rss_mb", cls.worker_max_rss_mb)),
                   static_max_age=int(_env("static_max_age", cls.static_max_age)),
                   trace_cache_bytes=int(_env("trace_cache_bytes", cls.trace_cache_bytes)))
