"""Shared helpers for the JSON-based importers: records with their line numbers.

A log file may be JSONL (one record per line), one JSON array of records, one JSON
document, or an object wrapping the records (``{"data": [...]}``). ``iter_json_items``
yields each record with the line it starts on, or a ``JsonError`` for a part that could
not be parsed, and carries on after it wherever it can find the next record.

Records are parsed with the fast C decoder; only when an importer needs the line of a
nested object (a bad observation inside a trace) is that one record parsed again with
positions (``JsonItem.line_of``).
"""

from __future__ import annotations

import bisect
import io
import json
import json.decoder
import json.scanner
import pathlib
import re
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterator

from evaltui.model import RecordError
from evaltui.jsondepth import NESTED_TOO_DEEP, too_deep

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def read_text(path: pathlib.Path) -> str:
    """The file as text; undecodable bytes become U+FFFD rather than an exception."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        return fh.read()


def physical_lines(text: str) -> list[str]:
    """Lines split the way files have lines (\\n, \\r\\n, \\r), ends kept."""
    return io.StringIO(text, newline="").readlines()


def json_error_reason(exc: json.JSONDecodeError, *, with_line: bool = False) -> str:
    where = f"line {exc.lineno} col {exc.colno}" if with_line else f"col {exc.colno}"
    return f"invalid JSON: {exc.msg} ({where})"


class _Source:
    """Text plus the file line its first character is on; maps offsets to lines."""

    __slots__ = ("text", "base_line", "_starts")

    def __init__(self, text: str, base_line: int = 1) -> None:
        self.text = text
        self.base_line = base_line
        self._starts: list[int] | None = None

    def line(self, offset: int) -> int:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", self.text)]
        return self.base_line + bisect.bisect_right(self._starts, offset) - 1

    def line_start(self, offset: int) -> int:
        self.line(0)
        assert self._starts is not None
        return self._starts[bisect.bisect_right(self._starts, offset) - 1]


@dataclass(slots=True)
class JsonItem:
    """One record: its parsed value and the file line it starts on."""

    value: Any
    line: int
    _src: _Source
    _start: int

    def line_of(self, *path: str | int) -> int:
        """The line of the object found at ``path`` inside this record (best effort)."""
        if not path:
            return self.line
        try:
            node, _ = _POS_SCAN(self._src.text, self._start)
        except (json.JSONDecodeError, RecursionError):
            return self.line
        pos = getattr(node, "pos", self._start)
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                break
            pos = getattr(node, "pos", pos)
        return self._src.line(pos)


@dataclass(slots=True, frozen=True)
class JsonError:
    """A part of the file that is not valid JSON."""

    line: int
    reason: str


class _PosDict(dict):
    """A dict that remembers the offset of its opening brace."""

    __slots__ = ("pos",)


def _make_pos_scanner():
    decoder = json.JSONDecoder()

    def parse_object(s_and_end, *args, **kwargs):
        _, end = s_and_end
        obj, new_end = json.decoder.JSONObject(s_and_end, *args, **kwargs)
        out = _PosDict(obj)
        out.pos = end - 1
        return out, new_end

    decoder.parse_object = parse_object
    return json.scanner.py_make_scanner(decoder)


_POS_SCAN = _make_pos_scanner()


def _skip_ws(s: str, i: int) -> int:
    return _WS.match(s, i).end()  # type: ignore[union-attr]


def _complete_json_line(line: str) -> bool:
    line = line.strip()
    if not line.startswith(("{", "[")):
        return False
    try:
        json.loads(line)
    except ValueError:
        return False
    except RecursionError:  # a whole record on its line, only too deep to read
        return True
    return True


def _looks_like_jsonl(text: str) -> bool:
    """True when records sit one per line rather than in one (pretty) document."""
    lines = [ln for ln in physical_lines(text[: 1 << 20])[:200] if ln.strip()]
    if len(lines) < 2:
        return False
    if _complete_json_line(lines[0]):
        return True
    # First line broken: still JSONL if any other unindented line is a whole record
    # (a pretty-printed document has none: its records are indented).
    return any(ln.startswith('{"') and _complete_json_line(ln) for ln in lines[1:200])


def _is_one_document(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def iter_json_items(text: str, *, unwrap: tuple[str, ...] = ("data",)) -> Iterator[JsonItem | JsonError]:
    """Yield every record in ``text`` (JSONL, JSON array, document or ``{"data": [...]}``)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    start = _skip_ws(text, 0)
    if start >= len(text):
        return
    src = _Source(text)
    if (text[start] == "[" and _is_one_document(text)) or not _looks_like_jsonl(text):
        yield from _iter_document(src, start, unwrap)
        return
    for n, line in enumerate(physical_lines(text), start=1):
        if not line.strip():
            continue
        yield from _iter_document(_Source(line.rstrip("\r\n"), n), None, unwrap, jsonl=True)


def _iter_document(
    src: _Source, start: int | None, unwrap: tuple[str, ...], *, jsonl: bool = False
) -> Iterator[JsonItem | JsonError]:
    s = src.text
    i = _skip_ws(s, 0) if start is None else start
    if s[i] == "[" and not jsonl:
        yield from _walk_array(src, i)
        end = None
    else:
        try:
            value, end = _DECODER.raw_decode(s, i)
        except RecursionError:
            yield JsonError(src.line(i), NESTED_TOO_DEEP)
            return
        except json.JSONDecodeError as exc:
            if s[i] == "{" and unwrap:
                yield from _walk_wrapper(src, i, unwrap, exc, jsonl=jsonl)
            else:
                yield JsonError(
                    src.line(i) if jsonl else src.line(exc.pos), json_error_reason(exc, with_line=not jsonl)
                )
            return
        if isinstance(value, dict) and any(isinstance(value.get(k), list) for k in unwrap) and "id" not in value:
            yield from _walk_wrapper(src, i, unwrap, None, jsonl=jsonl)
        elif too_deep(s[i:end]):  # readable here, but not by orjson once stored
            yield JsonError(src.line(i), NESTED_TOO_DEEP)
        else:
            yield JsonItem(value, src.line(i), src, i)
    if end is not None:
        rest = _skip_ws(s, end)
        if rest < len(s):
            yield JsonError(
                src.line(rest), "unexpected data after the JSON value" + ("" if jsonl else f" (line {src.line(rest)})")
            )


def _walk_wrapper(
    src: _Source, i: int, keys: tuple[str, ...], exc: json.JSONDecodeError | None, *, jsonl: bool
) -> Iterator[JsonItem | JsonError]:
    """Walk ``{"key": value, ...}`` and yield the elements of the first ``keys`` array."""
    s = src.text
    i = _skip_ws(s, i + 1)
    try:
        while i < len(s) and s[i] != "}":
            key, i = _DECODER.raw_decode(s, i)
            i = _skip_ws(s, i)
            if s[i : i + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", s, i)
            i = _skip_ws(s, i + 1)
            if key in keys and s[i : i + 1] == "[":
                yield from _walk_array(src, i)
                return
            _, i = _DECODER.raw_decode(s, i)
            i = _skip_ws(s, i)
            if s[i : i + 1] == ",":
                i = _skip_ws(s, i + 1)
    except RecursionError:
        yield JsonError(src.line(i), NESTED_TOO_DEEP)
        return
    except json.JSONDecodeError as err:
        exc = exc or err
    if exc is not None:
        yield JsonError(src.line(exc.pos), json_error_reason(exc, with_line=not jsonl))


def _walk_array(src: _Source, i: int) -> Iterator[JsonItem | JsonError]:
    """Yield the elements of the array at ``i``, skipping past elements that do not parse."""
    s = src.text
    i = _skip_ws(s, i + 1)
    if s[i : i + 1] == "]":
        return
    while True:
        if i >= len(s):
            yield JsonError(src.line(len(s.rstrip()) - 1), "invalid JSON: the array is not closed (truncated file?)")
            return
        start = i
        try:
            value, end = _DECODER.raw_decode(s, i)
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = (
                json_error_reason(exc, with_line=True) if isinstance(exc, json.JSONDecodeError) else NESTED_TOO_DEEP
            )
            yield JsonError(src.line(start), reason)
            nxt = _resync(src, start)
            if nxt is None:
                return
            i = nxt
            continue
        if too_deep(s[start:end]):
            yield JsonError(src.line(start), NESTED_TOO_DEEP)
        else:
            yield JsonItem(value, src.line(start), src, start)
        i = _skip_ws(s, end)
        if s[i : i + 1] == ",":
            i = _skip_ws(s, i + 1)
            if s[i : i + 1] == "]":  # tolerate a trailing comma
                return
        elif s[i : i + 1] == "]":
            return
        elif i < len(s) and s[i] in "{[":
            continue  # tolerate a missing comma between records
        elif i < len(s):
            yield JsonError(src.line(i), f"invalid JSON: expected ',' or ']' (line {src.line(i)})")
            nxt = _resync(src, i)
            if nxt is None:
                return
            i = nxt


_ELEMENT_START = re.compile(r"([ \t]*)(,?[ \t]*)([{\[])")


def _resync(src: _Source, bad: int) -> int | None:
    """Find where the next array element starts after a broken one.

    Candidates are lines starting with ``{``/``[`` indented no deeper than the broken
    element (pretty-printed arrays indent their elements alike), and that parse as a
    whole value followed by ``,`` or ``]``.
    """
    s = src.text
    line_start = src.line_start(bad)
    column = bad - line_start
    pos = s.find("\n", bad)
    while pos != -1:
        pos += 1
        m = _ELEMENT_START.match(s, pos)
        if m and len(m.group(1)) <= column:
            cand = m.start(3)
            try:
                _, end = _DECODER.raw_decode(s, cand)
            except (json.JSONDecodeError, RecursionError):
                pass
            else:
                after = _skip_ws(s, end)
                if after >= len(s) or s[after] in ",]":
                    return cand
        pos = s.find("\n", pos)
    return None


def first_record(head: str, *, unwrap: tuple[str, ...] = ("data",)) -> Any:
    """The first record of a file head (for sniffing), or None if it cannot be parsed."""
    for item in iter_json_items(head, unwrap=unwrap):
        if isinstance(item, JsonItem):
            return item.value
        # A head cut inside a pretty document: give up, callers fall back to regexes.
        return None
    return None


def looks_like_json(head: str) -> bool:
    stripped = head.lstrip("\ufeff \t\r\n")
    return stripped[:1] in ("{", "[")


# --- chat messages -----------------------------------------------------------------


def content_text(content: Any) -> Any:
    """Flatten OpenAI-style content parts (``[{"type": "text", "text": ...}]``) to text.

    Strings and None pass through; a part list with no text parts is returned as is.
    """
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                if isinstance(part.get("text"), str):
                    texts.append(part["text"])
                elif part.get("type") == "text" and isinstance(part.get("content"), str):
                    texts.append(part["content"])
        if texts:
            return "\n".join(texts)
    return content


def is_chat(value: Any) -> bool:
    """True for a list of chat messages (dicts with a string ``role``)."""
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in value)
    )


def chat_messages(value: Any) -> list[dict[str, Any]] | None:
    """``value`` as a chat message list (also from ``{"messages": [...]}``), else None."""
    if isinstance(value, dict) and is_chat(value.get("messages")):
        value = value["messages"]
    if not is_chat(value):
        return None
    out = []
    for m in value:
        msg = {"role": m["role"], "content": content_text(m.get("content"))}
        for key in ("name", "tool_calls", "tool_call_id"):
            if m.get(key) is not None:
                msg[key] = m[key]
        out.append(msg)
    return out


def reply_text(value: Any) -> Any:
    """The assistant's reply from an output value: text, message dict or choices list."""
    if isinstance(value, dict):
        if isinstance(value.get("choices"), list) and value["choices"]:
            return reply_text(value["choices"][0])
        if isinstance(value.get("message"), dict):
            return reply_text(value["message"])
        if "role" in value and "content" in value and not value.get("tool_calls"):
            return content_text(value["content"])
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        if all("role" in v for v in value):
            last = [v for v in value if v.get("role") == "assistant"]
            if last:
                return reply_text(last[-1])
        elif "message" in value[0]:
            return reply_text(value[0])
    return value


# --- record fields -------------------------------------------------------------------


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    kinds: dict[type, str] = {list: "an array", str: "a string", dict: "an object"}
    return kinds.get(type(value), type(value).__name__)


def require_object(rec: Any) -> dict[str, Any]:
    if not isinstance(rec, dict):
        raise RecordError(f"expected a JSON object, got {type_name(rec)}")
    return rec


def object_field(rec: dict[str, Any], key: str) -> dict[str, Any]:
    """An optional object field (``metadata``...): {} when absent or null."""
    value = rec.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError(f'"{key}" must be an object, got {type_name(value)}')
    return dict(value)


def id_field(rec: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    """A string (or integer) id; RecordError when required and missing."""
    value = rec.get(key)
    if value is None or value == "":
        if required:
            raise RecordError(f'missing "{key}"')
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RecordError(f'"{key}" must be a string, got {type_name(value)}')
    return str(value)


def tags_field(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return list(value)
    raise RecordError('"tags" must be a list of strings')


def error_text(value: Any) -> str | None:
    """An error field as one string (exports use strings, objects or booleans)."""
    if value is None or value is False or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        return value["message"]
    return json.dumps(value, ensure_ascii=False, default=str)
