"""Plain text helpers shared by every layer (no rich, no DuckDB): one-line previews of
stored JSON for tables in the CLI, the TUI and the store's pages."""

from __future__ import annotations

import orjson

from evaltui.jsondepth import loads_stored


def preview(json_text: str | None, width: int = 60) -> str:
    """A one-line preview: the last user message of a chat history, else the text."""
    value = loads_stored(json_text)
    if isinstance(value, list):
        users = [m for m in value if isinstance(m, dict) and m.get("role") == "user"]
        value = (users[-1] if users else value[-1] if value else "") if value else ""
        if isinstance(value, dict):
            value = value.get("content", "")
    if not isinstance(value, str):
        value = orjson.dumps(value).decode() if value is not None else ""
    text = " ".join(value.split())
    return text if len(text) <= width else text[: width - 1] + "…"
