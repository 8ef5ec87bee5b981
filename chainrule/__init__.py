"""chainrule in Python: trace a snippet, export the player, show it inline in a notebook.

    from chainrule import show
    show("y = x**2", inputs={"x": 3})          # the player, inside the notebook cell

The notebook view is the standalone export (app/standalone.py) inside an `<iframe srcdoc>`: no
server runs, each player keeps its own CSS and ids, and a notebook can hold several of them.
Programs run in this process with chainrule's normal limits (engine.limits.Limits).

In IPython or Jupyter, an engine Trace (chainrule.engine.trace.Trace) displays as the player too:
importing chainrule registers that with the running shell by the class's name, so neither the
engine nor the notebook view is imported until a Trace is shown (the engine knows no HTML).

Everything lives under this one name. Installed, setuptools' package-dir mapping puts the rooms
(`engine`, `app`, `static`, `templates`, `docs`) inside this package; in a checkout they sit
beside this folder, so the package's path reaches them there (same import names both ways;
chainrule/resources.py finds the folders that hold no Python the same way).
"""

from __future__ import annotations

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
if (_CHECKOUT / "engine" / "__init__.py").is_file() and not (
    Path(__file__).resolve().parent / "engine"
).exists():
    __path__.append(str(_CHECKOUT))  # noqa: F821 - a package's __path__ is defined by import

__all__ = ["Player", "RefusedProgram", "export_html", "show", "trace"]


def __getattr__(name: str):
    # Lazy: `import chainrule.engine` must not import the web layer through the notebook view.
    if name in __all__:
        from chainrule import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")


def _trace_html(trace) -> str:
    from chainrule.notebook import trace_html

    return trace_html(trace)


def _show_traces_in_ipython() -> None:
    """Register the player as a Trace's HTML in the running IPython shell, if there is one.
    IPython is never imported here: only a shell that already runs is asked."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        html = shell.display_formatter.formatters["text/html"]
        html.for_type_by_name("chainrule.engine.trace", "Trace", _trace_html)


_show_traces_in_ipython()
