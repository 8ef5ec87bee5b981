"""chainrule in Python: trace a snippet, export the player, show it inline in a notebook.

    from chainrule import show
    show("y = x**2", inputs={"x": 3})          # the player, inside the notebook cell

The notebook view is the standalone export (app/standalone.py) inside an `<iframe srcdoc>`: no
server runs, each player keeps its own CSS and ids, and a notebook can hold several of them.
Programs run in this process with chainrule's normal limits (engine.limits.Limits).

Everything lives under this one name. Installed, setuptools' package-dir mapping puts the rooms
(`engine`, `app`, `static`, `templates`) inside this package; in a checkout they sit beside this
folder, so the package's path reaches them there (same import names both ways).
"""

from __future__ import annotations

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
