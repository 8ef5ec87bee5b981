"""Where the files chainrule reads at run time live: static/, templates/, docs/, app/examples/.

Installed from the wheel they sit inside the package (site-packages/chainrule/static, …); in a
checkout they are the repository's top-level folders, which chainrule/__init__.py puts on the
package's path. Each folder is found by the import system as the package `chainrule.<name>`
(a namespace package for the asset folders, which hold no Python), so the same lookup that finds
`chainrule.engine` finds them, wherever chainrule came from. Nothing here walks up from a
module's `__file__`.

A wheel installs as plain files, so each folder is a real directory: StaticFiles, Jinja2's
loader and the bundler take its path.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.resources import files
from pathlib import Path

# The folders of files the running program reads, beside the Python packages `engine` and `app`.
# A new one also goes into setup.py's ASSETS and pyproject.toml's package-dir and package-data.
ASSET_FOLDERS = ("static", "templates", "docs")


@cache
def folder(name: str) -> Path:
    """The directory of `chainrule.<name>`: an asset folder ("static", "templates", "docs") or
    a Python room ("app", "engine")."""
    if name not in (*ASSET_FOLDERS, "app", "engine"):
        raise ValueError(f"no chainrule folder named {name!r}")
    package = importlib.import_module(f"chainrule.{name}")
    tree = files(package)
    if isinstance(tree, Path):          # a regular package: its own directory
        return tree
    # a namespace package has one directory per place it was found; chainrule has one
    places = [Path(p) for p in package.__path__]
    if len(places) != 1:
        raise RuntimeError(f"chainrule.{name} found in {len(places)} places: {places}")
    return places[0]


def static_dir() -> Path:
    return folder("static")


def templates_dir() -> Path:
    return folder("templates")


def doc_path(name: str) -> Path:
    """A document under docs/ the app renders (docs/language.md for /language)."""
    return folder("docs") / name


def examples_dir() -> Path:
    """The gallery's snippets (app/examples)."""
    return folder("app") / "examples"
