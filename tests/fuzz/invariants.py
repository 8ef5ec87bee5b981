"""What every program, however hostile, must satisfy; and the fuzzing budget.

CHAINRULE_FUZZ_EXAMPLES is the number of examples for the whole fuzz suite (CI default 240;
`make fuzz-long` sets 20,000); each test takes its share.
"""

from __future__ import annotations

import json
import os
import time

from chainrule.app.runner import check_shown_numbers
from chainrule.app.schemas import RefusedResponse, TraceResponse
from chainrule.app.workers import GRACE_SECONDS
from chainrule.engine.errors import LimitError, RefusedError
from chainrule.engine.lang import run_program
from chainrule.engine.limits import Limits
from chainrule.engine.trace import build_trace

TOTAL = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "240"))
LIMITS = Limits()


def budget(share: float, least: int = 10) -> int:
    return max(least, int(TOTAL * share))


def dumps(obj: object) -> str:
    return json.dumps(obj, allow_nan=False)


def check(source: str, inputs: dict[str, float] | None = None, seed: int = 0,
          limits: Limits = LIMITS) -> dict | None:
    """Run `source` as the server does; assert the invariants; the trace dict (None if refused).

    - run_program returns, or raises RefusedError (with a 1-based line and column); nothing else
    - no error of kind "internal" (an engine bug caught at a statement)
    - the trace (and a refusal's error) serialise with json.dumps(allow_nan=False) and validate
      against the response schemas of /openapi.json
    - the whole run, program and trace, within the time the worker pool grants (counted in
      this process's CPU time, so that a busy machine does not fail the test)
    """
    started = time.process_time()
    try:
        result = run_program(source, inputs=inputs, seed=seed, limits=limits)
    except RefusedError as e:
        assert isinstance(e.line, int) and e.line >= 1, (source, e.message)
        assert isinstance(e.col, int) and e.col >= 1, (source, e.message)
        RefusedResponse.model_validate_json(dumps({"error": {**e.to_dict(), "hints": []}}))
        return None
    err = result.error
    assert err is None or err.kind != "internal", (source, err.message)
    if err is not None:
        assert err.line is not None, (source, err.kind, err.message)
    try:
        check_shown_numbers(result.tape, limits)
    except LimitError as e:
        assert e.line is not None, source
        return None
    trace = build_trace(source, result, limits).to_dict()
    text = dumps(trace)
    TraceResponse.model_validate_json(text)
    elapsed = time.process_time() - started
    assert elapsed < limits.max_seconds + GRACE_SECONDS, (source, elapsed)
    return trace
