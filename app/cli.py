"""Command line: `chainrule serve` and `chainrule export`.

    chainrule serve [--host H] [--port P] [--workers N]
    chainrule export SNIPPET.py -o out.html|out.svg [--step N] [--inputs x=2,y=3] [--seed N]
                     [--theme auto|light|dark]

`export` runs the program in this process with the normal limits; `-` reads it from stdin. A
refused program prints `file:line:col: message` to stderr and exits 1.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

FORMATS = {".html": "html", ".htm": "html", ".svg": "svg"}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        import uvicorn
        from chainrule.app.server import uvicorn_options
        uvicorn.run("chainrule.app.main:app", host=args.host, port=args.port, workers=args.workers,
                    log_level="info", **uvicorn_options())
        return 0
    return export(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chainrule", description="See backpropagation.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the player")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes")
    ex = sub.add_parser("export", help="write a standalone player (.html) or one step (.svg)")
    ex.add_argument("snippet", help="the program file, or - for stdin")
    ex.add_argument("-o", "--output", required=True, type=_output_path,
                    help="out.html (a player that plays offline) or out.svg (one step)")
    ex.add_argument("--step", type=int, default=None,
                    help="the step to open at or draw (-1: the start; default: the start for "
                         "HTML, the last step for SVG)")
    ex.add_argument("--inputs", action="append", type=_inputs, default=[], metavar="x=2[,y=3]",
                    help="free variables (repeat, or separate with commas)")
    ex.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    ex.add_argument("--theme", choices=["auto", "light", "dark"], default="auto")
    return parser


def _output_path(raw: str) -> Path:
    path = Path(raw)
    if path.suffix.lower() not in FORMATS:
        raise argparse.ArgumentTypeError(f"the output must end in .html or .svg, not {raw!r}")
    return path


def _inputs(raw: str) -> dict[str, float]:
    """`x=2,y=3` → {"x": 2.0, "y": 3.0}; every value a finite number."""
    out: dict[str, float] = {}
    for item in filter(None, (s.strip() for s in raw.split(","))):
        name, eq, value = item.partition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not eq or not name.isidentifier() or not math.isfinite(number):
            raise argparse.ArgumentTypeError(f"expected name=number, got {item!r}")
        out[name] = number
    return out


def export(args: argparse.Namespace) -> int:
    from chainrule.notebook import RefusedProgram, trace

    filename, source = _read_source(args.snippet)
    if source is None:
        return 1
    inputs = {k: v for group in args.inputs for k, v in group.items()}
    try:
        data = trace(source, inputs or None, seed=args.seed)
    except RefusedProgram as e:
        print(e.where(filename), file=sys.stderr)
        return 1
    error = data.get("error")
    if error:
        # a program that fails while running still plays up to the failure; one stopped by a
        # limit before anything could be kept has nothing to show
        print(RefusedProgram(error).where(filename), file=sys.stderr)
        if not data.get("nodes"):
            return 1
    kind = FORMATS[args.output.suffix.lower()]
    text = _render(kind, data, args)
    if text is None:
        return 1
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.encode()):,} bytes)", file=sys.stderr)
    return 0


def _read_source(name: str) -> tuple[str, str | None]:
    if name == "-":
        return "<stdin>", sys.stdin.read()
    try:
        return name, Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        print(f"{name}: cannot read the program: {e}", file=sys.stderr)
        return name, None


def _render(kind: str, data: dict, args: argparse.Namespace) -> str | None:
    if kind == "html":
        from chainrule.app.standalone import build_html
        step = -1 if args.step is None else args.step
        return build_html(data, step=step, theme=args.theme, title=_title(args.snippet))
    try:
        from chainrule.app.svg_export import render_svg
    except ImportError:
        print("chainrule: SVG export is not available in this installation", file=sys.stderr)
        return None
    from chainrule.app.forward_view import opening_view
    data = opening_view(data)
    step = len(data.get("steps") or []) - 1 if args.step is None else args.step
    return render_svg(data, step=step, theme=args.theme)


def _title(snippet: str) -> str:
    return "chainrule player" if snippet == "-" else f"chainrule — {Path(snippet).name}"


if __name__ == "__main__":
    sys.exit(main())
