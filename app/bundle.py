"""A tiny bundler for chainrule's own ES modules (static/js): one script, no build step.

The standalone export must play from `file://`, where browsers refuse to load module files, so
its modules are joined into one classic script. Only the forms our modules use are understood:

    import { a, b as c } from "./x.js";
    export function f() {}    export async function f() {}    export function* g() {}
    export const NAME = …;    export class Name {}

Each module body becomes a function scope (top-level names of two modules never clash) that
returns its exported names; an import becomes `const { a, b: c } = __mod_x;` at the top of the
importing module's scope (imports are hoisted in ES modules too). Anything else that looks like
an import or export (default exports, `export { … }`, namespace imports, dynamic `import()`,
`import.meta`, bare specifiers, cycles, names a module does not export) raises BundleError, so
the bundler never emits code that would run differently from the modules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_IDENT = r"[A-Za-z_$][\w$]*"
# one import statement, possibly spread over lines: import { a, b as c } from "./x.js";
_IMPORT = re.compile(r'^import[ \t]*\{(?P<names>[^{}]*)\}[ \t]*from[ \t]*(?P<q>["\'])'
                     r'(?P<spec>[^"\'\n]+)(?P=q)[ \t]*;?[ \t]*$', re.M)
# every line that starts a statement with the keyword, understood or not
_IMPORT_LINE = re.compile(r"^[ \t]*import\b(?![ \t]*[.(])", re.M)
_DYNAMIC = re.compile(r"\bimport[ \t]*(?:\(|\.[ \t]*meta\b)")
_EXPORT_LINE = re.compile(r"^[ \t]*export\b", re.M)
_EXPORT_DECL = re.compile(
    rf"export[ \t]+(?:(?:async[ \t]+)?function[ \t]*\*?[ \t]*(?P<fn>{_IDENT})[ \t]*\("
    rf"|const[ \t]+(?P<const>{_IDENT})[ \t]*="
    rf"|class[ \t]+(?P<cls>{_IDENT})\b)")


class BundleError(ValueError):
    """A module uses a form the bundler does not understand (or the graph is unusable)."""


@dataclass
class Module:
    path: Path
    var: str                                        # the bundle's name for its exports object
    body: str                                       # source with imports removed, exports bare
    exports: list[str] = field(default_factory=list)
    imports: list[tuple[Path, list[tuple[str, str]]]] = field(default_factory=list)


def bundle(entry: Path | str, root: Path | str | None = None, *, classic: bool = True) -> str:
    """One script holding `entry` and every module it imports (transitively), in dependency
    order. `root` bounds where modules may live (default: the entry's directory). `classic`
    wraps the whole bundle in a function so it adds no global names; otherwise the result is
    meant for a `<script type="module">` and declares its module objects at top level."""
    entry = Path(entry).resolve()
    root = Path(root).resolve() if root is not None else entry.parent
    modules = _load_all(entry, root)
    order = _topological(entry, modules)
    _check_names(modules)
    parts = [_wrap(modules[p], modules) for p in order]
    code = "\n".join(parts)
    if classic:
        return f'(() => {{\n"use strict";\n{code}\n}})();\n'
    return code + "\n"


def _load_all(entry: Path, root: Path) -> dict[Path, Module]:
    modules: dict[Path, Module] = {}
    taken: set[str] = set()
    todo = [entry]
    while todo:
        path = todo.pop()
        if path in modules:
            continue
        module = parse_module(path, root, _unique_var(path, root, taken))
        modules[path] = module
        todo.extend(dep for dep, _ in module.imports if dep not in modules)
    return modules


def _unique_var(path: Path, root: Path, taken: set[str]) -> str:
    stem = re.sub(r"[^\w]", "_", str(path.relative_to(root).with_suffix("")))
    var = f"__mod_{stem}"
    n = 2
    while var in taken:
        var = f"__mod_{stem}_{n}"
        n += 1
    taken.add(var)
    return var


def parse_module(path: Path, root: Path, var: str) -> Module:
    """Read one module: its imports (resolved paths and name pairs), exports and bare body."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BundleError(f"cannot read module {path}: {e}") from e
    where = path.name
    if _DYNAMIC.search(text):
        raise BundleError(f"{where}: dynamic import() and import.meta are not supported")
    module = Module(path=path, var=var, body="")
    # every line starting with `import` must be a statement _IMPORT understands
    understood = {m.start() for m in _IMPORT.finditer(text)}
    for m in _IMPORT_LINE.finditer(text):
        if m.start() not in understood:
            line = text[m.start():].split("\n", 1)[0]
            raise BundleError(f"{where}: import form not supported: {line.strip()!r}")
    for m in _IMPORT.finditer(text):
        module.imports.append((_resolve(m["spec"], path, root), _import_names(m["names"], where)))
    body = _IMPORT.sub("", text)
    module.body = _strip_exports(body, module, where)
    return module


def _resolve(spec: str, importer: Path, root: Path) -> Path:
    if not spec.startswith(("./", "../")) or not spec.endswith(".js"):
        raise BundleError(f"{importer.name}: only relative .js imports are supported, "
                          f"not {spec!r}")
    target = (importer.parent / spec).resolve()
    if not target.is_relative_to(root):
        raise BundleError(f"{importer.name}: {spec!r} is outside the bundle root {root}")
    return target


def _import_names(raw: str, where: str) -> list[tuple[str, str]]:
    """`a, b as c` → [("a", "a"), ("b", "c")]: (exported name, local name)."""
    pairs = []
    for item in (s.strip() for s in raw.split(",")):
        if not item:
            continue    # a trailing comma, or `import {} from`
        m = re.fullmatch(rf"({_IDENT})(?:\s+as\s+({_IDENT}))?", item)
        if not m or m[1] == "default":
            raise BundleError(f"{where}: import name not supported: {item!r}")
        pairs.append((m[1], m[2] or m[1]))
    return pairs


def _strip_exports(body: str, module: Module, where: str) -> str:
    def bare(m: re.Match[str]) -> str:
        decl = _EXPORT_DECL.match(body, m.start())
        if decl is None:
            line = body[m.start():].split("\n", 1)[0]
            raise BundleError(f"{where}: export form not supported: {line.strip()!r}")
        name = decl["fn"] or decl["const"] or decl["cls"]
        if decl["const"] and _more_declarators(body, decl.end()):
            raise BundleError(f"{where}: export const with several names is not supported "
                              f"({name})")
        module.exports.append(name)
        return ""

    # only a declaration at the start of a line is an export statement; `bare` checks the form
    return re.sub(r"^export[ \t]+", bare, _reject_indented_exports(body, where), flags=re.M)


def _reject_indented_exports(body: str, where: str) -> str:
    for m in _EXPORT_LINE.finditer(body):
        if body[m.start()] in " \t":
            raise BundleError(f"{where}: an indented export is not supported")
    return body


def _more_declarators(body: str, start: int) -> bool:
    """Whether `export const A = …, B = …` declares more than one name: scan the initializer
    to its `;` at bracket depth 0, skipping strings, and look for a comma at depth 0."""
    depth = 0
    i = start
    quote = ""
    while i < len(body):
        c = body[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and c == ",":
            return True
        elif depth == 0 and c == ";":
            return False
        i += 1
    return False


def _topological(entry: Path, modules: dict[Path, Module]) -> list[Path]:
    order: list[Path] = []
    state: dict[Path, str] = {}

    def visit(path: Path, chain: list[str]) -> None:
        if state.get(path) == "done":
            return
        if state.get(path) == "open":
            raise BundleError("import cycle: " + " -> ".join([*chain, path.name]))
        state[path] = "open"
        for dep, _ in modules[path].imports:
            visit(dep, [*chain, path.name])
        state[path] = "done"
        order.append(path)

    visit(entry, [])
    return order


def _check_names(modules: dict[Path, Module]) -> None:
    for module in modules.values():
        for dep, names in module.imports:
            exported = set(modules[dep].exports)
            for name, _ in names:
                if name not in exported:
                    raise BundleError(f"{module.path.name} imports {name!r} from "
                                      f"{dep.name}, which does not export it")


def _wrap(module: Module, modules: dict[Path, Module]) -> str:
    lines = [f"// ---- {module.path.name}", f"const {module.var} = (() => {{"]
    for dep, names in module.imports:
        if names:
            inner = ", ".join(a if a == b else f"{a}: {b}" for a, b in names)
            lines.append(f"const {{ {inner} }} = {modules[dep].var};")
    lines.append(module.body.strip("\n"))
    lines.append(f"return {{ {', '.join(module.exports)} }};")
    lines.append("})();")
    return "\n".join(lines)
