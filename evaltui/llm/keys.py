"""What a response cache is to the client: a key per request (the same request always
hashes alike; nothing secret, such as the API key, base URL or headers, is part of it)
and the methods the client calls. The cache itself keeps its replies in the store
(``evaltui.store.llm_cache.LLMCache``)."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

import orjson


def request_key(model: str, messages: Any, params: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of (model, messages, parameters)."""
    canonical = orjson.dumps(
        {"model": model, "messages": messages, "params": params},
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


class ReplyCache(Protocol):
    """A response cache as ``LLMClient`` and the judges use it."""

    def get(self, key: str) -> str | None: ...

    def put(
        self,
        key: str,
        model: str,
        request: dict[str, Any],
        response: str,
        prompt_tokens: int | None,
        completion_tokens: int | None,
    ) -> None: ...

    def prefetch(self, keys: list[str]) -> int: ...

    def flush(self) -> int: ...
