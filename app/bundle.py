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


def module_order(entry: Path | str, root: Path | str | None = None) -> list[Path]:
    """Every module `entry` imports (transitively) and itself, dependencies first."""
    entry = Path(entry).resolve()
    root = Path(root).resolve() if root is not None else entry.parent
    return _topological(entry, _load_all(entry, root))


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


# ---------------------------------------------------------------- comments and indentation

# After these characters (or keywords) a `/` starts a regular expression, elsewhere it divides.
# The one ambiguity this misses is a regex right after `)` (`if (a) /x/.test(s)`), which our
# modules do not write; tests/app/test_bundle.py checks the output token by token with acorn.
_REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^")
_REGEX_KEYWORDS = {"return", "typeof", "instanceof", "in", "of", "new", "delete", "void",
                   "throw", "case", "do", "else", "yield", "await"}


def strip_js(code: str) -> str:
    """`code` without comments, indentation, trailing spaces and blank lines. Only text in
    code position changes (never inside strings, templates or regexes), and every line break
    that separated two tokens stays, so automatic semicolon insertion reads it the same."""
    pieces, code_at_line_start = _lex_without_comments(code)
    lines = "".join(pieces).split("\n")
    out = []
    for i, line in enumerate(lines):
        ends_in_code = code_at_line_start[i + 1] if i + 1 < len(code_at_line_start) else True
        if code_at_line_start[i]:
            line = line.lstrip(" \t")
        if ends_in_code:
            line = line.rstrip(" \t")
        if line or not (code_at_line_start[i] and ends_in_code):
            out.append(line)
    return "\n".join(out) + "\n"


def _lex_without_comments(code: str) -> tuple[list[str], list[bool]]:
    """The text with comments replaced (a block comment by a space, or a newline when it held
    one), and for each line of the result whether it starts in code position."""
    out: list[str] = []
    at_line_start = [True]
    braces: list[int] = []      # for each open `${`, the brace depth inside it
    depth = 0
    i, n = 0, len(code)
    last = ""                    # the last significant character or word, for `/`
    state = "code"

    def newline_in(text: str) -> None:
        for _ in range(text.count("\n")):
            at_line_start.append(state == "code")

    while i < n:
        c = code[i]
        if state == "template":
            j, kind = i, ""
            while j < n and code[j] not in "`\\$":
                j += 1
            if j < n and code[j] == "\\":
                j += 2
            elif j < n and code[j] == "$" and code[j + 1:j + 2] == "{":
                j, kind = j + 2, "open"
            elif j < n and code[j] == "`":
                j, kind = j + 1, "close"
            elif j < n:
                j += 1                               # a `$` not followed by `{`
            chunk = code[i:j]
            out.append(chunk)
            newline_in(chunk)                    # lines starting inside the template: kept
            if kind == "open":
                braces.append(depth)
                state, last = "code", "{"
            elif kind == "close":
                state, last = "code", "`"
            i = j
            continue
        if c == "/" and code[i + 1:i + 2] == "/":
            j = code.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "/" and code[i + 1:i + 2] == "*":
            j = code.find("*/", i + 2)
            if j < 0:
                raise BundleError("an unterminated /* comment")
            gap = "\n" if "\n" in code[i:j] else " "
            out.append(gap)
            newline_in(gap)
            i = j + 2
            continue
        if c in "\"'":
            j = _end_of_string(code, i)
            out.append(code[i:j])
            i = j
            last = c
            continue
        if c == "`":
            state = "template"
            out.append(c)
            i += 1
            continue
        if c == "/" and (last == "" or last in _REGEX_AFTER or last in _REGEX_KEYWORDS):
            j = _end_of_regex(code, i)
            out.append(code[i:j])
            i = j
            last = "/re"
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            if braces and braces[-1] == depth:
                braces.pop()
                state = "template"
                out.append(c)
                i += 1
                continue
            depth -= 1
        if c.isalnum() or c in "_$":
            j = i
            while j < n and (code[j].isalnum() or code[j] in "_$"):
                j += 1
            out.append(code[i:j])
            last = code[i:j]
            i = j
            continue
        if c in "+-" and code[i + 1:i + 2] == c:
            out.append(c + c)       # `i++ / 2` divides: after ++ or --, a `/` is division
            last = c + c
            i += 2
            continue
        if not c.isspace():
            last = c
        out.append(c)
        if c == "\n":
            at_line_start.append(True)
        i += 1
    if state != "code" or braces:
        raise BundleError("an unterminated template literal")
    return out, at_line_start


def _end_of_string(code: str, i: int) -> int:
    quote, j = code[i], i + 1
    while j < len(code) and code[j] != quote:
        if code[j] == "\n":
            raise BundleError("a line break inside a string literal")
        j += 2 if code[j] == "\\" else 1
    if j >= len(code):
        raise BundleError("an unterminated string literal")
    return j + 1


def _end_of_regex(code: str, i: int) -> int:
    j, in_class = i + 1, False
    while j < len(code):
        c = code[j]
        if c == "\n":
            raise BundleError("a line break inside a regular expression")
        if c == "\\":
            j += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            j += 1
            while j < len(code) and (code[j].isalnum() or code[j] in "_$"):
                j += 1      # flags
            return j
        j += 1
    raise BundleError("an unterminated regular expression")
