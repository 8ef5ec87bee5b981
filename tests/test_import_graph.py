"""The import graph goes one way: engine → app → the front ends (command line, notebook view).

Read from the source with `ast` (every import statement, also those inside functions), and
checked by importing in a fresh interpreter (what actually loads). The engine never reaches the
web app, the notebook view or PyTorch; nothing imports the old top-level names `engine`/`app`;
module-level imports have no cycle (what is left of the engine's mutual needs, Tensor's
operators calling engine.functional and printing naming namespace's types, waits inside functions).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The repository's folders and the names they import under (pyproject.toml's package-dir).
ROOMS = {"chainrule": "chainrule", "engine": "chainrule.engine", "app": "chainrule.app"}
# Lower layers never import higher ones (the first matching prefix names a module's layer).
# chainrule.resources finds the asset folders for the app; the front ends (the command line,
# the notebook view) sit on the app; the package's front door on them.
LAYERS = (("chainrule.engine", 0), ("chainrule.resources", 0), ("chainrule.app.cli", 2),
          ("chainrule.app", 1), ("chainrule.notebook", 2), ("chainrule", 3))


def modules() -> dict[str, Path]:
    found = {}
    for folder, name in ROOMS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT / folder).with_suffix("").parts
            if "examples" in rel:           # the gallery's snippets: programs, not modules
                continue
            parts = [name, *rel[:-1]] + ([] if rel[-1] == "__init__" else [rel[-1]])
            found[".".join(parts)] = path
    return found


MODULES = modules()


@cache
def imports(path: Path, module: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import statement in the file."""
    is_package = path.name == "__init__.py"
    out = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef
                                           | ast.Lambda)
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, top) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:                       # relative: resolve against this package
                    anchor = module.split(".")
                    anchor = anchor[:len(anchor) - child.level + is_package]
                    base = ".".join([*anchor, base] if base else anchor)
                for a in child.names:             # `from pkg import mod` imports pkg.mod
                    full = f"{base}.{a.name}"
                    out.append((full if full in MODULES else base, child.lineno, top))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return out


def layer(module: str) -> int | None:
    for prefix, rank in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return None


def where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def test_the_rooms_are_found():
    # a guard for the tests below: they read something
    assert {"chainrule.engine.tensor", "chainrule.engine.lang.interpreter", "chainrule.app.main",
            "chainrule.notebook"} <= MODULES.keys()


def test_the_engine_imports_nothing_of_the_web_app_the_notebook_or_pytorch():
    bad = [f"{where(m, line)} imports {target}"
           for m in MODULES if m.startswith("chainrule.engine")
           for target, line, _ in imports(MODULES[m], m)
           if layer(target) not in (None, 0) or target.split(".")[0] in ("torch", "fastapi")]
    assert bad == []


def test_layers_only_import_downwards():
    bad = [f"{where(m, line)} ({m}) imports {target}"
           for m in MODULES for target, line, _ in imports(MODULES[m], m)
           if layer(target) is not None and layer(target) > layer(m)
           and not (m == "chainrule" and target == "chainrule.notebook")]
    # the one exception: the package's front door hands show()/trace() out of the notebook
    # view lazily (module __getattr__), so importing chainrule.engine loads neither
    assert bad == []


def test_nothing_imports_the_old_top_level_names():
    bad = [f"{where(m, line)} imports {target}"
           for m in MODULES for target, line, _ in imports(MODULES[m], m)
           if target.split(".")[0] in ("engine", "app")]
    # the tests and benchmarks too (files that are not Python, such as corpus snippets written
    # to be refused, are skipped)
    for path in sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]):
        try:
            found = imports(path, "tests")
        except (SyntaxError, ValueError):
            continue
        bad += [f"{path.relative_to(ROOT)}:{line} imports {target}" for target, line, _ in found
                if target.split(".")[0] in ("engine", "app")]
    assert bad == []


def test_module_level_imports_have_no_cycle():
    graph = {m: {t for t, _, top in imports(p, m) if top and t in MODULES}
             for m, p in MODULES.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                walk(t, [*stack, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            walk(m, [m])
    assert cycles == []


# Fresh interpreter: import every engine module and say what else came along.
IMPORT_ALL = """
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("fastapi", "starlette",
                 "torch") or m.startswith(("chainrule.app", "chainrule.notebook")))))
"""


def test_importing_every_engine_module_loads_nothing_above_the_engine():
    names = sorted(m for m in MODULES if m.startswith("chainrule.engine"))
    out = subprocess.run([sys.executable, "-c", IMPORT_ALL, json.dumps(names)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_running_a_program_loads_nothing_above_the_engine():
    code = ("import sys\nfrom chainrule.engine.trace import trace_program\n"
            "trace_program('x = torch.tensor(2.0, requires_grad=True)\\ny = x.sin() * x\\n"
            "y.backward()')\n"
            "print(sorted(m for m in sys.modules if m.startswith(('chainrule.app', "
            "'chainrule.notebook', 'fastapi', 'starlette', 'jinja2')) or m == 'torch'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
