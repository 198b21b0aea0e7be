"""How deeply JSON may nest, for every layer that stores or reads it.

orjson refuses to read past 1,024 levels and to write past 255, and Python's own json
parser runs out of stack near 1,000: one record nested deeper broke every read that
met it. Ingest reports such a record as ``FILE:LINE: nested too deep``; a reader that
meets one stored before that check shows its text instead of failing.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

MAX_DEPTH = 128  # far beyond real logs, with headroom under orjson's 255 for the objects that wrap a value
NESTED_TOO_DEEP = "nested too deep"

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def too_deep(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """True when the JSON ``text`` nests more than ``limit`` arrays/objects deep."""
    if isinstance(text, (bytes, bytearray)):
        if text.count(b"[") + text.count(b"{") <= limit:  # the common case: a C-speed count decides
            return False
        text = bytes(text).decode("utf-8", errors="replace")
    elif text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for m in _BRACKET.finditer(_STRING.sub("", text)):
        if m.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def loads_stored(text: str | bytes | None) -> Any:
    """A stored JSON value; one nested too deep to read comes back as its text."""
    if text is None:
        return None
    if too_deep(text):
        return text if isinstance(text, str) else bytes(text).decode("utf-8", errors="replace")
    return orjson.loads(text)
