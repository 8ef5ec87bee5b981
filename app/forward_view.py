"""The trace as the page opens it, for the painters outside a browser (app/svg_export.py, the
handout, the CLI): static/js/forward_mode.js `forwardView`. A program that asked for forward
mode (jax.jvp, jax.jacfwd at top level: `forward_mode.start_forward`) opens on forward mode's
steps, with their caption rows and a tangent's mark in place of the gradient's; any other trace
opens as it is. tests/browser/test_renderers_agree.py holds the two painters to the same view.
"""

from __future__ import annotations


def opening_view(trace: dict) -> dict:
    fm = trace.get("forward_mode") or {}
    if trace.get("mode") == "forward" or not (fm.get("available") and fm.get("start_forward")):
        return trace
    return forward_view(trace)


def forward_view(trace: dict) -> dict:
    """Forward mode's steps in place of the trace's; nothing refuses (forward mode needs no
    scalar output) and there is no backward to offer."""
    fm, display = trace["forward_mode"], trace["display"]
    return {**trace, "steps": fm["steps"], "backward_start": None, "error": None,
            "offer_backward": None, "mode": "forward",
            "display": {**display, "rows": {**display["rows"], **fm["rows"]},
                        "marks": {**display["marks"], **fm["marks"]}}}
