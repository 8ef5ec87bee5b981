"""The package list for setuptools; everything else is in pyproject.toml.

The repository keeps its top-level folders (engine/, app/, static/, templates/, docs/), and the
wheel installs them all under the one name `chainrule` (pyproject's package-dir mapping:
engine/ → chainrule/engine, app/ → chainrule/app). Subpackages are found here, so a new folder
with an `__init__.py` under engine/ or app/ (engine/nn/, engine/random/, …) ships without
editing anything; tests/test_wheel.py checks that every module of the checkout is in the wheel.
"""

from setuptools import find_packages, setup

# The Python rooms of the repository and the name each installs under.
ROOMS = {"engine": "chainrule.engine", "app": "chainrule.app"}
# Folders of files the running program reads (chainrule/resources.py finds them): installed
# inside the package as data; they hold no Python package of their own.
ASSETS = ("static", "templates", "docs")


def packages() -> list[str]:
    found = ["chainrule"]
    for room, name in ROOMS.items():
        for package in find_packages(include=[room, f"{room}.*"]):
            found.append(name + package[len(room):])
    return found + [f"chainrule.{folder}" for folder in ASSETS]


setup(packages=packages())
