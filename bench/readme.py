"""bench/README.md is shared: each benchmark owns the sections between its own markers,
`<!-- name:start -->` … `<!-- name:end -->`, and leaves everything else as it found it."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).with_name("README.md")
TITLE = "# Benchmarks"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(name: str, body: str, *, after: str | None = None, path: Path = README) -> None:
    """Replace section `name` with `body`; a new section goes right after section `after`
    (or after the title when `after` is "title"), else at the end."""
    text = path.read_text() if path.exists() else TITLE + "\n"
    start, end = markers(name)
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    elif after == "title" and text.startswith(TITLE):
        text = f"{TITLE}\n\n{block}\n\n" + text[len(TITLE):].lstrip("\n")
    elif after is not None and markers(after)[1] in text:
        head, rest = text.split(markers(after)[1], 1)
        text = f"{head}{markers(after)[1]}\n\n{block}\n\n{rest.lstrip(chr(10))}"
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text.rstrip("\n") + "\n")
