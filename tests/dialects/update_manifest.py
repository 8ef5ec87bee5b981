"""Rewrite tests/dialects/expected.toml from the real outcomes (`python3 -m
tests.dialects.update_manifest`): keeps the hand-written `random`/`refusal` notes, sets `xfail`
to each non-matching snippet's first difference and drops it where the snippet now matches."""

from __future__ import annotations

import json

from tests.dialects.corpus_results import MANIFEST, compute, manifest, snippets

HEADER = """\
# The dialect corpora's manifest (issue 15), read by tests/dialects/test_dialect_corpus.py.
#   random = true   the snippet draws numbers the framework and chainrule cannot share (an
#                   unseeded generator): only shapes and the printed text with numbers masked
#                   are compared
#   refusal = "..." why chainrule is expected to refuse it for now
#   xfail = "..."   its first difference from the framework today (xfail(strict=True))
#   seconds = N     the time limit to run it with here: its CPU time sits near the server's 2 s,
#                   so whether it fits depends on the machine's load (its speed is bench's)
"""


def main() -> None:
    notes = manifest()
    results = compute(snippets())
    out = [HEADER]
    for s in snippets():
        note = {k: v for k, v in notes.get(s.id, {}).items()
                if k in ("random", "refusal", "seconds")}
        if results[s.id]["status"] != "match":
            note["xfail"] = results[s.id]["differences"][0][:300]
        if not note:
            continue
        out.append(f"[{json.dumps(s.id)}]")
        for key in ("random", "refusal", "seconds", "xfail"):
            if key in note:
                value = note[key]
                out.append(f"{key} = {'true' if value is True else json.dumps(value)}")
        out.append("")
    MANIFEST.write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
