"""The one place that knows how wide text is.

The browser draws node text in a monospace font
("ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace"), so a width is a column count
times one advance. East-Asian wide and fullwidth characters take two columns; combining marks and
zero-width format characters take none.
"""

from __future__ import annotations

import unicodedata

CHAR_WIDTH_EM = 0.6  # monospace advance, in em


def _columns(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_columns(text: str) -> int:
    """Monospace columns of the widest line of `text`."""
    return max((sum(_columns(ch) for ch in line) for line in text.split("\n")), default=0)


def text_width(text: str, font_px: float = 12.0) -> float:
    """Width in px of `text` (its widest line) drawn at `font_px` in the page's monospace font."""
    return text_columns(text) * CHAR_WIDTH_EM * font_px
