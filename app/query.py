"""Query parameters read with the same pydantic machinery as the JSON body (app/schemas.py).

A query string is text a stranger chose: `int()` on `str.isdigit()` text fails on `²`, and
`json.loads` raises RecursionError on 3,000 `[`. pydantic's parsers refuse both with a
validation error instead, so a bad parameter is a 400 or a default, never a 500.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, TypeAdapter, ValidationError

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
# strict: `true` is not 1.0 and "2" is not 2.0, as in the request body (TraceRequest)
_INPUTS = TypeAdapter(dict[str, FiniteFloat], config={"strict": True})
_INT = TypeAdapter(int)
MAX_INT_CHARS = 24
# The longest program text (`source`) or permalink code (`p`) a query may carry: the request
# head may be up to app/server.HEAD_BYTES (128,000 bytes; longer is a 414), which leaves room
# for this many ASCII characters and the rest of the request; longer values are a 422 here.
MAX_PARAM_CHARS = 100_000


class BadQuery(ValueError):
    """A query parameter outside its schema; the message says which and how."""


def json_inputs(raw: str | None) -> dict[str, float]:
    """`inputs` as a JSON object of finite numbers ({"x": 2}); BadQuery otherwise (also for
    JSON nested past pydantic's depth limit, which Python's json meets with RecursionError)."""
    if not raw:
        return {}
    try:
        return _INPUTS.validate_json(raw)
    except ValidationError as e:
        raise BadQuery("inputs must be a JSON object of finite numbers, such as {\"x\": 2} "
                       f"({e.errors()[0]['msg']})") from None


def clamped_int(raw: str | None, lo: int, hi: int) -> int | None:
    """`raw` as an integer clamped into [lo, hi]; None when it is not one (ASCII digits with an
    optional sign: pydantic's rule, so `²` and `٣` are not numbers here)."""
    if raw is None or len(raw) > MAX_INT_CHARS:
        return None
    try:
        return max(lo, min(hi, _INT.validate_python(raw.strip())))
    except ValidationError:
        return None
