"""chainrule in Python: trace a snippet, export the player, show it inline in a notebook.

    from chainrule import show
    show("y = x**2", inputs={"x": 3})          # the player, inside the notebook cell

The notebook view is the standalone export (app/standalone.py) inside an `<iframe srcdoc>`: no
server runs, each player keeps its own CSS and ids, and a notebook can hold several of them.
Programs run in this process with chainrule's normal limits (engine.limits.Limits).
"""

from __future__ import annotations

from chainrule.notebook import Player, RefusedProgram, export_html, show, trace

__all__ = ["Player", "RefusedProgram", "export_html", "show", "trace"]
