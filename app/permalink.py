"""Permalink codes: the program state a URL carries, `1.<base64url(deflate-raw(JSON))>`.

The field table mirrors static/js/permalink.js (the page writes codes, the export routes and the
CLI read them); tests/browser/test_share.py checks that the two agree. Version 1 is forever:
new fields get new keys with defaults, so old links keep decoding; a new encoding gets prefix 2.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import zlib
from dataclasses import dataclass, field

VERSION = "1"
MAX_CODE_CHARS = 200_000      # a code longer than this is refused before decoding
MAX_JSON_BYTES = 256_000      # inflating stops here: no decompression bombs


@dataclass(frozen=True)
class ProgramState:
    source: str = ""
    inputs: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    step: int = -1


# key in the code → (ProgramState field, check). Mirrors FIELDS in static/js/permalink.js.
FIELDS = {
    "s": ("source", lambda v: isinstance(v, str)),
    "i": ("inputs", lambda v: valid_inputs(v)),
    "r": ("seed", lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63),
    "t": ("step", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= -1),
}


class PermalinkError(ValueError):
    """The code is not a permalink this version can read."""


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def valid_inputs(v: object) -> bool:
    """A JSON object of free variables: string names, finite numbers (not booleans)."""
    return isinstance(v, dict) and all(isinstance(k, str) and _finite(x) for k, x in v.items())


def encode(state: ProgramState) -> str:
    """The code for `state` (fields at their defaults are left out)."""
    default = ProgramState()
    payload = {key: getattr(state, name) for key, (name, _) in FIELDS.items()
               if getattr(state, name) != getattr(default, name)}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = packer.compress(raw) + packer.flush()
    return f"{VERSION}.{base64.urlsafe_b64encode(packed).decode().rstrip('=')}"


def decode(code: str) -> ProgramState:
    """Read a code; unknown keys are ignored, bad values raise PermalinkError."""
    if len(code) > MAX_CODE_CHARS:
        raise PermalinkError("the permalink is too long")
    version, _, body = code.partition(".")
    if version != VERSION or not body:
        raise PermalinkError(f"not a version-{VERSION} chainrule permalink")
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj(-15)
        raw = inflater.decompress(packed, MAX_JSON_BYTES)
        if inflater.unconsumed_tail:
            raise PermalinkError("the permalink's program is too large")
        try:
            payload = json.loads(raw.decode())
        except RecursionError:   # 156 characters can inflate to JSON nested 100,000 deep
            raise PermalinkError("the permalink's data nests too deeply to read") from None
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, PermalinkError):
            raise
        raise PermalinkError("the permalink is damaged (it may have been cut short)") from exc
    if not isinstance(payload, dict):
        raise PermalinkError("the permalink is damaged")
    values = {}
    for key, (name, ok) in FIELDS.items():
        if key in payload:
            if not ok(payload[key]):
                raise PermalinkError(f"the permalink's {name} is not valid")
            values[name] = payload[key]
    return ProgramState(**values)
