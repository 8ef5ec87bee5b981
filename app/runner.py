"""Runs one trace request and turns the outcome into (HTTP status, JSON body).

The engine call is pure; this module only maps refusals to 400 and everything else to 200.
Before the trace is built, the numbers it would carry are counted (`max_shown_numbers`): a
program of a few big tensors and many ops would otherwise spend seconds and tens of megabytes
turning every step's values into JSON, long after the program itself finished.
"""

from __future__ import annotations

import json
import logging
import time

from chainrule.engine import collector
from chainrule.engine.errors import ChainruleError, LimitError, RefusedError
from chainrule.engine.lang import run_program
from chainrule.engine.limits import AnswerBudget, Limits
from chainrule.engine.trace import Trace, build_trace
from chainrule.engine.values import PREVIEW_ELEMENTS

log = logging.getLogger("chainrule.runner")
MAX_MESSAGE_CHARS = 2_000    # of an error message in an answer


def trace_response(source: str, inputs: dict[str, float] | None, seed: int | None,
                   limits: Limits) -> tuple[int, bytes]:
    """Status and JSON bytes for one request. Never raises for any input."""
    status, body, _ = trace_outcome(source, inputs, seed, limits)
    return status, body


def trace_outcome(source: str, inputs: dict[str, float] | None, seed: int | None,
                  limits: Limits) -> tuple[int, bytes, bool]:
    """`trace_response`, and whether the program used up its time limit: what the worker pool
    reports to decide fairness (app/workers.py), instead of searching the answer's text."""
    clock = {"program": 0.0}
    status, body = _respond(source, inputs, seed, limits, clock)
    return status, body, clock["program"] >= limits.max_seconds


def _respond(source: str, inputs: dict[str, float] | None, seed: int | None, limits: Limits,
             clock: dict[str, float]) -> tuple[int, bytes]:
    # The recording's relaxed collector lasts until the tape is released (engine/trace.py's
    # trace_program does the same): the young collection after it walks the answer, not the
    # whole tape.
    with collector.relaxed():
        return _respond_relaxed(source, inputs, seed, limits, clock)


def _respond_relaxed(source: str, inputs: dict[str, float] | None, seed: int | None,
                     limits: Limits, clock: dict[str, float]) -> tuple[int, bytes]:
    started = time.monotonic()
    try:
        refuse_long_source(source, limits)
        try:
            result = run_program(source, inputs=inputs, seed=seed or 0, limits=limits)
        finally:
            clock["program"] = time.monotonic() - started
        if result.error is not None:
            clip_message(result.error)
        try:
            try:
                check_shown_numbers(result.tape, limits)
            except LimitError:
                if result.error is not None and result.error.kind == "limit":
                    raise result.error from None   # what stopped the program, at its line
                raise
            trace = build_trace(source, result, limits)
        finally:
            result.tape.release()   # freed now by reference counting, not by a full GC pass
        return 200, bounded_body(trace, limits)
    except RefusedError as e:
        clip_message(e)
        return error_answer(e)
    except ChainruleError as e:
        return limit_response(e.message, limits, e, source) if e.kind == "limit" else \
            error_answer(e)
    except (MemoryError, RecursionError):
        return limit_response("the program needed more memory or nesting than this server "
                              "allows", limits)
    except Exception as e:   # an engine bug: answer, log, never take the worker down
        return internal_response(e, limits, source)


def refuse_long_source(source: str, limits: Limits) -> None:
    """Every job's first check, before anything parses the source (engine/lang/check.py checks
    it again, with the line and column where the limit falls, for programs run directly)."""
    if len(source) > limits.max_source_chars:
        raise RefusedError(f"the program is {len(source):,} characters long, over the limit "
                           f"of {limits.max_source_chars:,}", 1, 1)


def error_answer(err: ChainruleError) -> tuple[int, bytes]:
    """A 400 for a program chainrule refuses or stops: the error, and no node or hints."""
    return 400, dumps({"error": {**err.to_dict(), "node": None, "hints": []}})


def clip_message(err: ChainruleError) -> None:
    """A safety net under the rule that messages describe values instead of quoting them
    (engine/printing.short_text): whatever a raise site wrote, the answer carries at most
    MAX_MESSAGE_CHARS of it (the narration repeats it)."""
    if len(err.message) > MAX_MESSAGE_CHARS:
        cut = len(err.message) - MAX_MESSAGE_CHARS
        err.message = f"{err.message[:MAX_MESSAGE_CHARS]}… ({cut:,} more characters not shown)"


def bounded_body(trace: Trace, limits: Limits) -> bytes:
    """The trace's JSON, at most `limits.max_answer_bytes`. The builder already stops adding
    steps near the limit (engine/limits.AnswerBudget, which leaves ANSWER_RESERVE_BYTES for
    the rest); if nodes, edges and layout took more than that reserve, the last steps go
    here, and the error says the steps were cut."""
    body = dumps(trace.to_dict())
    over = len(body) - limits.max_answer_bytes
    if over <= 0:
        return body
    cut = AnswerBudget(0)
    cut.exceeded = True
    while trace.steps and over > -1000:     # and room for the longer error
        over -= len(dumps(trace.steps.pop()))
    if trace.backward_start is not None and trace.backward_start >= len(trace.steps):
        trace.backward_start = None
    err = cut.error(None, limits)
    trace.error = {**err.to_dict(), "node": None, "hints": []}
    body = dumps(trace.to_dict())
    if len(body) > limits.max_answer_bytes:    # the graph alone is over: nothing to keep
        return limit_response(err.message, limits, err, trace.source)[1]
    return body


def shown_numbers(n: int, limits: Limits) -> int:
    """How many of a tensor's `n` numbers one value in the trace carries (data or preview)."""
    return n if n <= limits.max_display_elements else min(n, PREVIEW_ELEMENTS)


def check_shown_numbers(tape: object, limits: Limits) -> None:
    """LimitError, at the line of the tensor that goes over, when the trace would carry more
    than `limits.max_shown_numbers` numbers (each tensor counted once; the steps repeat them)."""
    total = 0
    for t in getattr(tape, "tensors", ()):
        total += shown_numbers(int(t.data.size), limits)
        if total > limits.max_shown_numbers:
            raise LimitError(
                f"the trace would show more than {limits.max_shown_numbers:,} numbers, over the "
                f"limit (each tensor shows up to {PREVIEW_ELEMENTS:,} of its numbers): use "
                "smaller tensors or fewer operations").at(t.span)


def limit_response(message: str, limits: Limits, err: ChainruleError | None = None,
                   source: str = "") -> tuple[int, bytes]:
    """A 200 whose error names the limit, with an empty graph (nothing could be kept)."""
    return _empty_trace("limit", message, err, source)


def internal_response(e: BaseException, limits: Limits, source: str = "") -> tuple[int, bytes]:
    """A 200 whose error says chainrule failed (kind "internal"): a bug, logged, never a 500."""
    log.error("internal error while answering a trace request", exc_info=e)
    return _empty_trace("internal", f"internal error in chainrule ({type(e).__name__})",
                        None, source)


def _empty_trace(kind: str, message: str, err: ChainruleError | None,
                 source: str) -> tuple[int, bytes]:
    error = {"kind": kind, "message": message, "line": None, "col": None,
             "end_line": None, "end_col": None, "node": None, "hints": []}
    if err is not None:
        error.update({k: v for k, v in err.to_dict().items() if v is not None})
    body = {"version": 1, "source": source, "nodes": [], "edges": [], "steps": [],
            "layout": {"width": 0.0, "height": 0.0, "engine": "none", "elapsed_ms": 0.0},
            "variables": {}, "inputs": {}, "stdout": "", "error": error,
            "implicit_backward": False, "backward_start": None, "groups": []}
    return 200, dumps(body)


def dumps(obj: object) -> bytes:
    """Compact JSON bytes. With orjson installed, ~10x faster on big traces (a 500-op trace
    of 8x8 tensors: 8 MB in 13 ms instead of 157 ms); the JSON means the same (floats in their
    shortest form, non-ASCII as UTF-8). Anything orjson refuses goes through json. The trace
    holds no NaN/inf floats (values.number turns them into strings), so allow_nan=False only
    guards the fallback."""
    if _orjson is not None:
        try:
            return _orjson.dumps(obj)
        except (TypeError, _orjson.JSONEncodeError):
            pass
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()


try:   # optional: not a declared dependency, present on the machines chainrule runs on
    import orjson as _orjson
except ImportError:  # pragma: no cover - the plain json path above
    _orjson = None
