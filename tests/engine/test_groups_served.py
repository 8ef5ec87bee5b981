"""The collapsed view's arrangement is decided once, in engine/groups.py (issue 12, twins): the
trace sends its boxes column by column with the columns' counts and the frame metrics, and
static/js/groups.js only sums growth over them (no column rule, no metric of its own)."""

from __future__ import annotations

import re
from pathlib import Path

from chainrule.engine import groups
from chainrule.engine.trace import trace_program

from bench.programs import program_of_size

GROUPS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "groups.js"


def test_the_served_columns_are_dot_ranks_left_to_right_each_top_to_bottom():
    src, inputs = program_of_size(600)
    t = trace_program(src, inputs).to_dict()
    c = t["collapsed"]
    boxes, counts = c["boxes"], c["columns"]
    assert sum(counts) == len(boxes) and all(n > 0 for n in counts)
    assert len(counts) > 1 and max(counts) > 1          # the program has stacked boxes to order
    k, centres = 0, []
    for n in counts:
        col = boxes[k:k + n]
        k += n
        # one centre x per column (dot's rank), to the half px
        assert len({round(b["x"] * 2) / 2 for b in col}) == 1, col
        assert [b["y"] for b in col] == sorted(b["y"] for b in col)
        centres.append(col[0]["x"])
    assert centres == sorted(centres) and len(set(centres)) == len(centres)
    assert c["frame"] == {"pad": groups.FRAME_PAD, "title": groups.FRAME_TITLE,
                          "margin": groups.MARGIN, "curve": groups.CURVE_DX}


def test_groups_js_keeps_no_copy_of_the_rule_or_the_frame_metrics():
    js = GROUPS_JS.read_text(encoding="utf-8")
    assert not re.search(r"\b(FRAME_PAD|FRAME_TITLE|MARGIN|CURVE_DX)\b", js)
    assert not re.search(r"Math\.max\(\s*\d", js), "the curve's level run is collapsed.frame.curve"
    assert not re.search(r"\.sort\(|Math\.round\(", js), "the column rule is engine/groups.py's"
    assert not re.search(r"(const|let)\s+\w+\s*=\s*[1-9]", js), "a metric literal in groups.js"
