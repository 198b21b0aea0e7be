"""A real Anthropic-compatible HTTP server on 127.0.0.1 (the Messages API), for tests and
by hand: the official ``anthropic`` client talks to it when ``ANTHROPIC_BASE_URL`` (or
``base_url=``) points at it. It shares ``fake_openai``'s machinery: scripted ``Reply``s
and ``Fault``s in a queue, responders (``FaultMix``), recorded requests::

    with FakeAnthropic() as server:
        server.enqueue(Reply(content="Hello from the fake"), Fault("rate_limit"))
        client = anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-test")

A request with ``tools`` gets a ``tool_use`` block choosing from the tool's enum (by a hash
of the prompt, as the OpenAI fake does); otherwise a text block. Errors come in
Anthropic's shape (``{"type": "error", "error": {"type", "message"}}``).

    python -m evaltui.testing.fake_anthropic --port 8001 [--latency 0.2] [--fault rate_limit]
"""

from __future__ import annotations

import json
import time
from typing import Any

from evaltui.testing.fake_openai import FakeOpenAI, Fault, FaultMix, Reply, _Handler, _tool_enum, main

__all__ = ["FakeAnthropic", "Fault", "FaultMix", "Reply"]

# OpenAI's error types as Anthropic names them
_ERROR_TYPES = {
    "rate_limit_error": "rate_limit_error",
    "server_error": "api_error",
    "invalid_request_error": "invalid_request_error",
    "not_found": "not_found_error",
}


def _message(
    body: dict[str, Any], reply: Reply, n: int, *, force_text: bool = False, raw_args: str | None = None
) -> dict[str, Any]:
    tools = body.get("tools") or []
    if tools and not force_text and reply.content is None:
        enum = _tool_enum(body)
        choice = reply.choice if reply.choice is not None else (enum[0] if enum else "A")
        tool_input: dict[str, Any] = (
            {"reasons": reply.reasons, "choice": choice} if raw_args is None else {"raw": raw_args}
        )
        content: list[dict[str, Any]] = [
            {"type": "tool_use", "id": f"toolu_{n}", "name": tools[0].get("name", "select_choice"), "input": tool_input}
        ]
        stop = "tool_use"
    else:
        text = (
            reply.content
            if reply.content is not None
            else (json.dumps({"reasons": reply.reasons, "choice": reply.choice}) if reply.choice else "ok")
        )
        content, stop = [{"type": "text", "text": text}], "end_turn"
    return {
        "id": f"msg_{n}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "fake-model"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": reply.prompt_tokens, "output_tokens": reply.completion_tokens},
    }


class _AnthropicHandler(_Handler):
    server_version = "evaltui-fake-anthropic/1"
    routes = {"/messages": "_chat"}
    chat_route = "/messages"

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(
                200,
                {
                    "data": [
                        {
                            "type": "model",
                            "id": "fake-model",
                            "display_name": "Fake",
                            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        }
                    ],
                    "has_more": False,
                    "first_id": "fake-model",
                    "last_id": "fake-model",
                },
            )
        else:
            self._error(404, f"no route {self.path}", "not_found")

    def _error(self, status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> None:
        kind = "authentication_error" if status == 401 else _ERROR_TYPES.get(kind, kind)
        self._json(status, {"type": "error", "error": {"type": kind, "message": message}}, headers)

    def _reply_body(
        self, body: dict[str, Any], reply: Reply, *, force_text: bool = False, raw_args: str | None = None
    ) -> dict[str, Any]:
        return _message(body, reply, self.state.counter, force_text=force_text, raw_args=raw_args)

    def _api_key(self) -> str:
        return self.headers.get("x-api-key", "")


class FakeAnthropic(FakeOpenAI):
    """The loopback Messages API server; ``base_url`` is what ``ANTHROPIC_BASE_URL`` takes."""

    handler = _AnthropicHandler
    name = "Anthropic-compatible"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


if __name__ == "__main__":
    main(server_class=FakeAnthropic, env="ANTHROPIC_BASE_URL={url} ANTHROPIC_API_KEY=sk-ant-fake")
