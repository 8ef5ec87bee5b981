"""app/bundle.py: ES modules joined into one script that runs like the modules did.

The bundles are run with Node (skipped without it); the standalone export's browser test
(tests/browser/test_standalone.py) runs the real bundle in Chromium.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from chainrule.app.bundle import BundleError, bundle, strip_js
from chainrule.app.standalone import ENTRY, JS_DIR

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def run_node(code: str, tmp_path: Path, suffix: str = ".js") -> str:
    script = tmp_path / f"bundle_run{suffix}"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


@needs_node
def test_same_top_level_names_in_two_modules_do_not_clash_and_aliases_work(tmp_path):
    write(tmp_path, {
        "a.js": "const scale = 10;\nexport function f(x) { return x * scale; }\n",
        "b.js": "const scale = 3;\nexport const f = (x) => x + scale;\n",
        "main.js": ('import { f } from "./a.js";\nimport { f as g } from "./b.js";\n'
                    "const scale = -1;\nconsole.log(JSON.stringify([f(2), g(2), scale]));\n"),
    })
    out = run_node(bundle(tmp_path / "main.js"), tmp_path)
    # a.f(2) = 2 * 10, b.f(2) = 2 + 3, main's own scale stays -1
    assert json.loads(out) == [20, 5, -1]


@needs_node
def test_a_shared_dependency_runs_once_before_its_importers(tmp_path):
    write(tmp_path, {
        "log.js": "export const seen = [];\nseen.push('log');\n",
        "left.js": 'import { seen } from "./log.js";\nseen.push("left");\nexport const L = 1;\n',
        "right.js": 'import { seen } from "./log.js";\nseen.push("right");\n'
                    "export class R { get v() { return 2; } }\n",
        "sub/deep.js": 'import { L } from "../left.js";\nexport async function d() { return L; }\n'
                       "export function* gen() { yield L; }\n",
        "main.js": ('import { seen } from "./log.js";\nimport { R } from "./right.js";\n'
                    'import { d, gen } from "./sub/deep.js";\n'
                    "d().then((x) => console.log(JSON.stringify("
                    "{ seen, x, r: new R().v, g: [...gen()] })));\n"),
    })
    code = bundle(tmp_path / "main.js")
    out = json.loads(run_node(code, tmp_path))
    assert out["seen"][0] == "log" and sorted(out["seen"]) == ["left", "log", "right"]
    assert out == {"seen": out["seen"], "x": 1, "r": 2, "g": [1]}
    assert code.count("seen.push('log')") == 1


@needs_node
def test_the_bundle_adds_no_global_names(tmp_path):
    write(tmp_path, {"x.js": "export const hidden = 1;\n",
                     "main.js": 'import { hidden } from "./x.js";\nvar alsoHidden = hidden;\n'})
    code = bundle(tmp_path / "main.js") + (
        "console.log(JSON.stringify([typeof hidden, typeof alsoHidden, typeof __mod_x]));\n")
    assert json.loads(run_node(code, tmp_path)) == ["undefined", "undefined", "undefined"]


@pytest.mark.parametrize(("main", "why"), [
    ('import f from "./x.js";\n', "import form"),
    ('import * as x from "./x.js";\n', "import form"),
    ('import "./x.js";\n', "import form"),
    ('import { default as f } from "./x.js";\n', "import name"),
    ('import { a-b } from "./x.js";\n', "import name"),
    ('const m = import("./x.js");\n', "dynamic"),
    ("const u = import.meta.url;\n", "dynamic"),
    ('import { a } from "lodash";\n', "relative"),
    ('import { a } from "../outside.js";\n', "outside"),
    ("export default 1;\n", "export form"),
    ("const a = 1;\nexport { a };\n", "export form"),
    ('export * from "./x.js";\n', "export form"),
    ("export let a = 1;\n", "export form"),
    ("export const a = 1, b = 2;\n", "several names"),
    ('import { nope } from "./x.js";\n', "does not export"),
    ("function f() {\n  export const a = 1;\n}\n", "indented"),
])
def test_unsupported_forms_are_refused(tmp_path, main, why):
    write(tmp_path, {"pkg/x.js": "export const a = 1;\n", "pkg/main.js": main,
                     "outside.js": "export const a = 1;\n"})
    with pytest.raises(BundleError, match=why):
        bundle(tmp_path / "pkg" / "main.js")


def test_export_const_with_a_comma_inside_its_initializer_is_one_name(tmp_path):
    write(tmp_path, {"main.js": 'export const M = { a: [1, 2], b: "x,y" };\n'
                                "export const T = f(1, 2);\nfunction f() {}\n"})
    code = bundle(tmp_path / "main.js")
    assert "return { M, T };" in code


def test_an_import_cycle_is_refused(tmp_path):
    write(tmp_path, {"a.js": 'import { b } from "./b.js";\nexport const a = 1;\n',
                     "b.js": 'import { a } from "./a.js";\nexport const b = 2;\n'})
    with pytest.raises(BundleError, match="cycle"):
        bundle(tmp_path / "a.js")


@needs_node
def test_the_standalone_entry_bundles_and_parses(tmp_path):
    code = bundle(ENTRY, JS_DIR)
    script = tmp_path / "standalone.js"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([NODE, "--check", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # every module the entry reaches is in it once
    for name in ("viewer", "editor", "player", "graph", "narration", "format", "standalone"):
        assert code.count(f"const __mod_{name} = ") == 1, name


@needs_node
def test_a_real_module_runs_from_its_module_bundle(tmp_path):
    code = bundle(JS_DIR / "player.js", JS_DIR, classic=False)
    # three steps: indices -1 … 2; 99 clamps to the last, -7 to the start, NaN to the start
    code += ("const t = { steps: [{}, {}, {}] };\nconsole.log(JSON.stringify("
             "[99, -7, NaN, 1.6].map((i) => __mod_player.clampStep(t, i))));\n")
    assert json.loads(run_node(code, tmp_path, ".mjs")) == [2, -1, -1, 1]


# ---------------------------------------------------------------- strip_js

# Node's own copy of acorn (a full JavaScript parser) tokenizes the code before and after
# stripping; the tokens, and which of them start a new line (automatic semicolons depend on
# it), must be the same.
TOKENS_JS = """
const acorn = require("internal/deps/acorn/acorn/dist/acorn");
const src = require("fs").readFileSync(process.argv[1], "utf8");
const out = [];
let prev = 0;
for (const t of acorn.tokenizer(src, { ecmaVersion: "latest", locations: true })) {
  const v = t.type.label === "regexp" ? `/${t.value.pattern}/${t.value.flags}` : t.value;
  out.push([t.type.label, v === undefined ? null : v, t.loc.start.line !== prev]);
  prev = t.loc.end.line;
}
console.log(JSON.stringify(out));
"""


def acorn_tokens(code: str, tmp_path: Path) -> list:
    src = tmp_path / "code.js"
    src.write_text(code, encoding="utf-8")
    tool = tmp_path / "tokens.js"
    tool.write_text(TOKENS_JS, encoding="utf-8")
    done = subprocess.run([NODE, "--expose-internals", str(tool), str(src)],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0 and "Cannot find module" in done.stderr:
        pytest.skip("this node has no internal acorn")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


TRICKY = r"""// a comment
const a = 1; /* inline */ const b = a / 2 / 1;
  /* several
     lines */ const r = /\/\/[/*]x/g;   // a regex full of comment-like text
const t = `line one
    indented inside a template // not a comment /* nor this */
  ${ {k: 1}.k + `inner
      ${a}` } and \` and $ and \${b}`;
const s = "// in a string", q = '/* in a string */';
function f(x) {
  return /re/.test(x)
    ? x
    : typeof /y/
}
let i = 0
i++
/ 2
"""


@needs_node
def test_strip_js_keeps_every_token_and_line_break(tmp_path):
    stripped = strip_js(TRICKY)
    assert acorn_tokens(stripped, tmp_path) == acorn_tokens(TRICKY, tmp_path)
    assert "// a comment" not in stripped and "several" not in stripped
    # text inside the template keeps its indentation and its comment-like text
    assert "\n    indented inside a template // not a comment /* nor this */\n" in stripped
    assert "\n      ${a}`" in stripped


@needs_node
def test_strip_js_on_the_real_bundle_changes_no_token_and_saves_a_fifth(tmp_path):
    full = bundle(ENTRY, JS_DIR)
    stripped = strip_js(full)
    assert acorn_tokens(stripped, tmp_path) == acorn_tokens(full, tmp_path)
    assert len(stripped) < 0.85 * len(full)


@pytest.mark.parametrize("code", ["const a = `open", "const s = 'open", "x = /open",
                                  "/* open", "const s = 'a\nb'", "const r = /a\nb/"])
def test_strip_js_refuses_what_it_cannot_read(code):
    with pytest.raises(BundleError):
        strip_js(code)
