"""The 422 for inputs JSON cannot hold: one check for every route that takes `inputs`.

Python's JSON parser reads NaN, Infinity and 1e999 (= inf), which strict JSON has no words
for; a trace holding them could not be written back (json.dumps(allow_nan=False)). pydantic's
own `allow_inf_nan=False` would refuse them with the same words, but FastAPI's 422 would then
carry the float itself as `input` and fail to serialise it, so the answer is made here, in
FastAPI's shape, with the input as text.
"""

from __future__ import annotations

import math

from chainrule.app.runner import dumps
from fastapi.responses import Response


def refuse_non_finite(inputs: dict[str, float] | None) -> Response | None:
    """A 422 naming each input that is not a finite number, or None when all are."""
    bad = [name for name, v in (inputs or {}).items() if not math.isfinite(v)]
    if not bad:
        return None
    detail = [{"type": "finite_number", "loc": ["body", "inputs", name],
               "msg": "Input should be a finite number", "input": str(inputs[name])}
              for name in bad]
    return Response(dumps({"detail": detail}), status_code=422, media_type="application/json")
