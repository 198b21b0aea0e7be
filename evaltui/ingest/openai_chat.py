"""OpenAI chat JSONL: one ``{"messages": [...], "metadata": {...}}`` conversation per line.

The fine-tuning / evals / stored-completions shape. Each line becomes a root
conversation span plus one turn span per user message and the assistant reply to it.
"""

from __future__ import annotations

import pathlib
import re
from typing import Any
from collections.abc import Iterator

from evaltui.ingest.jsonlines import (
    JsonError,
    chat_messages,
    content_text,
    first_record,
    tags_field,
    type_name,
    iter_json_items,
    physical_lines,
    read_text,
)
from evaltui.ingest.records import BadRecord, skip_reason, stable_id
from evaltui.model import RecordError, SpanRow, parse_ts

_OTHER_FORMAT_KEYS = ("root_id", "span_type", "root_span_id", "span_id", "observations", "resourceSpans")
_MESSAGES_KEY = re.compile(r'^\s*\[?\s*\{[^\n]*?(?<!\\)"messages"\s*:\s*\[')


def sniff(head: str, path: pathlib.Path) -> bool:
    """A JSONL (or JSON array) whose records have a top-level ``messages`` list."""
    rec = first_record(head, unwrap=())
    if isinstance(rec, dict):
        return isinstance(rec.get("messages"), list) and not any(k in rec for k in _OTHER_FORMAT_KEYS)
    if rec is not None:
        return False
    # The first record did not fit in the head (or is broken): look at its start.
    return bool(_MESSAGES_KEY.match(head)) and not any(f'"{k}"' in head for k in _OTHER_FORMAT_KEYS)


def read(path: pathlib.Path) -> Iterator[SpanRow | BadRecord]:
    text = read_text(path)
    lines = physical_lines(text)
    for item in iter_json_items(text, unwrap=()):
        if isinstance(item, JsonError):
            yield BadRecord(str(path), item.line, item.reason)
            continue
        raw_line = lines[item.line - 1].rstrip("\r\n") if item.line <= len(lines) else ""
        try:
            spans = _conversation_spans(item.value, item.line, raw_line)
        except Exception as exc:
            yield BadRecord(str(path), item.line, skip_reason(exc))
            continue
        for span in spans:
            span.line = item.line
        yield from spans


def _conversation_spans(rec: Any, line: int, raw_line: str) -> list[SpanRow]:
    """The root conversation span and its turn spans for one JSONL record."""
    if not isinstance(rec, dict):
        raise RecordError(f"expected a JSON object, got {type_name(rec)}")
    if "messages" not in rec:
        raise RecordError('missing "messages"')
    raw_messages = rec["messages"]
    if not isinstance(raw_messages, list) or not raw_messages:
        raise RecordError('"messages" must be a non-empty list')
    for n, m in enumerate(raw_messages, start=1):
        if not isinstance(m, dict):
            raise RecordError(f"message {n} is not an object")
        if not isinstance(m.get("role"), str):
            raise RecordError(f'message {n}: missing "role"')
        content = m.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise RecordError(f'message {n}: "content" must be a string or a list of parts')
    messages = chat_messages(raw_messages)
    assert messages is not None

    metadata = rec.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise RecordError('"metadata" must be an object')
    tags = tags_field(rec.get("tags"))
    ts = None
    for key in ("ts", "timestamp", "created"):
        if rec.get(key) not in (None, ""):
            ts = parse_ts(rec[key])
            break
    expected = rec["expected"] if "expected" in rec else rec.get("ideal")

    rid = rec.get("id")
    if rid is None or rid == "":
        root_id = stable_id(line, raw_line)
    elif isinstance(rid, (str, int)) and not isinstance(rid, bool):
        root_id = str(rid)
    else:
        raise RecordError('"id" must be a string or an integer')

    turns = _turns(messages)
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1)
    root_input = messages[: last_user + 1] if last_user >= 0 else messages
    tail = [m for m in messages[last_user + 1 :] if m["role"] == "assistant"]
    root_output = _reply(tail[-1]) if tail else None

    root_meta = dict(metadata)
    if rec.get("tools") is not None:
        root_meta["tools"] = rec["tools"]
    root_meta["total_turns"] = len(turns)
    root = SpanRow(
        id=root_id,
        root_id=root_id,
        parent_id=None,
        name="conversation",
        span_type="conversation",
        ts=ts,
        input=root_input,
        output=root_output,
        expected=expected,
        metadata=root_meta,
        tags=tags,
    )
    spans = [root]
    for i, (user, output, turn_meta) in enumerate(turns):
        spans.append(
            SpanRow(
                id=stable_id(root_id, "turn", i),
                root_id=root_id,
                parent_id=root_id,
                name="turn",
                span_type="turn",
                ts=ts,
                input=user,
                output=output,
                metadata={"turn_index": i, **turn_meta},
            )
        )
    return spans


def _turns(messages: list[dict[str, Any]]) -> list[tuple[Any, Any, dict[str, Any]]]:
    """(user text, assistant reply, extra metadata) per user message."""
    turns: list[tuple[Any, Any, dict[str, Any]]] = []
    user: Any = None
    replies: list[dict[str, Any]] = []
    started = False

    def close() -> None:
        meta: dict[str, Any] = {}
        output = _reply(replies[-1]) if replies else None
        calls = [c for r in replies[:-1] for c in (r.get("tool_calls") or [])]
        if calls:  # tool calls made on the way to the final reply
            meta["tool_calls"] = calls
        turns.append((user, output, meta))

    for m in messages:
        if m["role"] == "user":
            if started:
                close()
            user, replies, started = content_text(m["content"]), [], True
        elif m["role"] == "assistant" and started:
            replies.append(m)
    if started:
        close()
    return turns


def _reply(msg: dict[str, Any]) -> Any:
    """The assistant message's text; with tool calls, a dict keeping them."""
    if msg.get("tool_calls"):
        return {"content": msg.get("content"), "tool_calls": msg["tool_calls"]}
    return msg.get("content")
