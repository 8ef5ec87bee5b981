"""An export as a worker job: run the program, then draw the SVG or build the HTML player —
both in the worker process, under the same time and size limits as a trace, never in the
server's event loop (one SVG of a large error caption stalled /healthz 6.3 s there; these
are GETs, so any page can send them with an <img> tag).

An export job is (source, inputs, seed, limits, kind, step, theme); its answer is
(status, body, what) where `what` is "svg" or "html" for a drawing, "json" for a refusal or
an error (sent as application/json).
"""

from __future__ import annotations

import json
import logging

from chainrule.app.runner import dumps, trace_outcome
from chainrule.engine.limits import Limits

log = logging.getLogger("chainrule.exports")
KINDS = ("svg", "html")


def export_outcome(source: str, inputs: dict[str, float] | None, seed: int | None,
                   limits: Limits, kind: str, step: int, theme: str) \
        -> tuple[tuple[int, bytes, str], bool]:
    """(answer, whether the program used up its time limit). Never raises."""
    status, body, timed_out = trace_outcome(source, inputs, seed, limits)
    if status != 200:
        return (status, body, "json"), timed_out
    return render_answer(body, kind, step, theme, limits), timed_out


def render_answer(trace_json: bytes, kind: str, step: int, theme: str,
                  limits: Limits) -> tuple[int, bytes, str]:
    """The drawing of a /api/trace body, at most `limits.max_answer_bytes`."""
    try:
        trace = json.loads(trace_json)
        data = _draw(trace, kind, step, theme)
        if kind == "html" and len(data) > limits.max_answer_bytes:
            data = _draw(_cut_for_html(trace, len(data) - limits.max_answer_bytes, limits),
                         kind, step, theme)
    except Exception as e:   # a bug: answer and log, never take the worker down
        log.error("internal error while drawing an export", exc_info=e)
        return 200, refusal("internal", f"internal error in chainrule ({type(e).__name__})"), \
            "json"
    if len(data) > limits.max_answer_bytes:
        return 400, refusal("limit", f"the export would be {len(data) / 1e6:.1f} MB, over the "
                                     f"limit of {limits.max_answer_bytes / 1e6:g} MB"), "json"
    return 200, data, kind


def _draw(trace: dict, kind: str, step: int, theme: str) -> bytes:
    if kind == "html":
        from chainrule.app.standalone import build_html
        return build_html(trace, step=step, theme=theme).encode("utf-8")
    from chainrule.app.svg_export import render_svg
    return render_svg(trace, step=step, theme=theme).encode("utf-8")


def _cut_for_html(trace: dict, over: int, limits: Limits) -> dict:
    """The trace with its last steps dropped so that the player fits the maximum: inside a
    <script> element the JSON's `<`, `>` and `&` take six bytes each (app/standalone.py), so
    a trace of 15.9 MB made a 22.9 MB player. The error says the steps stop there."""
    from chainrule.app.standalone import json_for_script
    from chainrule.engine.limits import AnswerBudget

    steps = list(trace.get("steps") or [])
    over += 2_000        # the longer error
    while steps and over > 0:
        over -= len(json_for_script(steps.pop()).encode("utf-8"))
    cut = AnswerBudget(0)
    cut.exceeded = True
    err = cut.error(None, limits)
    start = trace.get("backward_start")
    return {**trace, "steps": steps,
            "backward_start": start if start is not None and start < len(steps) else None,
            "error": {**err.to_dict(), "node": None, "hints": []}}


def refusal(kind: str, message: str) -> bytes:
    return dumps({"error": {"kind": kind, "message": message, "line": None, "col": None,
                            "node": None, "hints": []}})
