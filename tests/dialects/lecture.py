"""The micrograd lecture's own `class Value`, read from the corpus (never copied into a test):
corpus 20 holds the lecture's final class (operators, tanh, exp, backward), corpus 18 the first
one (+, *, tanh, backward)."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus" / "micrograd"
HEADER_LINES = 3


def snippet(stem: str) -> str:
    """A corpus snippet's program, its 3-line source header left out."""
    path = next(CORPUS.glob(f"{stem}_*.py"))
    return "\n".join(path.read_text(encoding="utf-8").splitlines()[HEADER_LINES:]) + "\n"


def value_class(stem: str = "20") -> str:
    """The `class Value` statement of a corpus snippet (up to the next top-level line)."""
    lines = snippet(stem).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("class Value"))
    end = next((i for i in range(start + 1, len(lines))
                if lines[i] and not lines[i][0].isspace()), len(lines))
    return "\n".join(lines[start:end]).rstrip() + "\n"
