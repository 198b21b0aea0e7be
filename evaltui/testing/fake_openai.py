"""A real OpenAI-compatible HTTP server on 127.0.0.1, for tests, benchmarks and demos.

It speaks ``/v1/chat/completions`` (plain replies and tool calls), ``/v1/embeddings`` and
``/v1/models`` over real HTTP, so the official ``openai`` client talks to it exactly as it
talks to OpenAI or vLLM. Replies are scripted; fault modes reproduce what real endpoints do
on a bad day::

    with FakeOpenAI(latency=0.2) as server:
        server.enqueue(Fault("rate_limit", retry_after=1), Fault("server_error"))
        server.enqueue(Reply(choice="B", reasons="too procedural"))
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test")

Queued items are used in order, one per chat request; when the queue is empty the
``responder`` answers (default: a forced tool call picks a choice from its enum by a hash
of the prompt, so answers are deterministic). ``FaultMix`` is a responder that fails a
share of requests with a mix of faults, as a flaky endpoint does::

    with FakeOpenAI(responder=FaultMix(rate=0.2, retry_after=0.3, delay=2)) as server:
        ...  # 20% of chat requests fail; server.fault_counts() says which faults went out

``RuleJudge`` judges pairwise prompts by the rules the prompt states, with a position
bias when the rules do not tell the two replies apart::

    with FakeOpenAI(responder=FaultMix(0.2, then=RuleJudge(bias="first"))) as server:
        ...

By hand::

    python -m evaltui.testing.fake_openai --port 8000 --latency 0.2
    python -m evaltui.testing.fake_openai --port 8000 --fault-rate 0.2   # random mixed faults
    python -m evaltui.testing.fake_openai --port 8000 --judge demo       # a judge that reads its prompt
    python -m evaltui.testing.fake_openai --port 8000 --pairwise-bias first   # RuleJudge
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from collections.abc import Callable

FAULTS = (
    "rate_limit",
    "server_error",
    "slow",
    "malformed",
    "no_tool_call",
    "bad_tool_args",
    "bad_choice",
    "drop",
    "auth_error",
)


@dataclass
class Reply:
    """A scripted answer. For a request with tools: a tool call choosing ``choice``
    (with ``reasons``); otherwise ``content`` as the assistant message."""

    content: str | None = None
    choice: str | None = None
    reasons: str = "scripted reply"
    prompt_tokens: int = 50
    completion_tokens: int = 10


@dataclass
class Fault:
    """One failing reply. ``kind`` is one of FAULTS:

    rate_limit (429 with Retry-After), server_error (500), slow (sleeps ``delay`` seconds
    before replying normally: past the client's timeout), malformed (200 with a body that
    is not JSON), no_tool_call (a text reply when a tool call was forced; ``content`` is
    the text), bad_tool_args (tool arguments that are not JSON), bad_choice (a choice
    outside the enum), drop (closes the connection without a reply), auth_error (401 whose
    message repeats the API key it was sent, as some proxies do: a secret-leak trap).
    """

    kind: str
    retry_after: float | None = 1
    delay: float = 5.0
    content: str = "I think the answer is probably fine."

    def __post_init__(self) -> None:
        if self.kind not in FAULTS:
            raise ValueError(f"unknown fault {self.kind!r}; one of {', '.join(FAULTS)}")


Responder = Callable[[dict[str, Any]], "Reply | Fault"]


def default_responder(request: dict[str, Any]) -> Reply:
    """Deterministic: a forced tool call picks an enum value by a hash of the prompt."""
    text = json.dumps(request.get("messages"), sort_keys=True)
    digest = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
    choices = _tool_enum(request)
    if choices:
        return Reply(choice=choices[digest % len(choices)], reasons=f"fake judge (prompt hash {digest % 1000})")
    return Reply(content=f"fake reply {digest % 1000}")


_RULE = re.compile(r'\b(?:says?|mentions?|contains?|includes?) "([^"]+)"', re.I)
_REPLIES = re.compile(r"\[Reply 1\]\n(.*?)\n\n\[Reply 2\]\n(.*?)\n\[End of replies\]", re.S)


class RuleJudge:
    """A pairwise judge that reads the prompt, with a position bias.

    The rules are the phrases the prompt asks for outside the replies (``a good reply says
    "sorry"``: any of says / mentions / contains / includes "TEXT"); each reply is checked
    against them, case-insensitively. The reply that meets more rules wins. When the rules
    do not separate the two, the judge picks the reply shown first (``bias="first"``; or
    ``"second"``, or ``"tie"`` for an unbiased judge), as real judges lean to a position,
    so asking in both orders shows it. Prompts without ``[Reply 1]`` / ``[Reply 2]`` go to
    ``then`` (default: ``default_responder``).
    """

    def __init__(self, bias: str = "first", then: Responder | None = None) -> None:
        if bias not in ("first", "second", "tie"):
            raise ValueError("bias must be first, second or tie")
        self.bias = bias
        self.then = then or default_responder

    def __call__(self, request: dict[str, Any]) -> Reply | Fault:
        text = "\n".join(str(m.get("content") or "") for m in request.get("messages") or [] if isinstance(m, dict))
        found = _REPLIES.search(text)
        if found is None:
            return self.then(request)
        first, second = found.group(1), found.group(2)
        rules = [r.lower() for r in _RULE.findall(text[: found.start()] + text[found.end() :])]
        met = [sum(rule in reply.lower() for rule in rules) for reply in (first, second)]
        if met[0] != met[1]:
            choice = "1" if met[0] > met[1] else "2"
            why = f"Reply {choice} meets {max(met)} of the {len(rules)} rules, the other {min(met)}"
        else:
            choice = {"first": "1", "second": "2", "tie": "tie"}[self.bias]
            why = f"both meet {met[0]} of the {len(rules)} rules; going with {self.bias}"
        enum = _tool_enum(request)
        if enum and choice not in enum:
            return self.then(request)
        return Reply(choice=choice, reasons=why)


def _tool_enum(request: dict[str, Any]) -> list[str]:
    for tool in request.get("tools") or []:
        schema = tool.get("input_schema") or (tool.get("function") or {}).get("parameters", {})  # Anthropic's, OpenAI's
        props = schema.get("properties", {})
        for prop in props.values():
            if isinstance(prop, dict) and prop.get("enum"):
                return [str(v) for v in prop["enum"]]
    return []


def _embedding(text: str, dim: int = 16) -> list[float]:
    raw = hashlib.sha256(text.encode()).digest()
    vec = [(b - 127.5) / 127.5 for b in raw[:dim]]
    norm = sum(v * v for v in vec) ** 0.5 or 1.0
    return [v / norm for v in vec]


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any] | None
    at: float = 0.0  # time.monotonic() when it arrived
    fault: str | None = None  # the fault it was answered with, if any
    retry_after: float | None = None  # the Retry-After sent with a 429


MIXED_FAULTS = ("rate_limit", "server_error", "slow", "malformed", "no_tool_call")


class FaultMix:
    """A responder that answers a share ``rate`` of chat requests with a fault, picked
    from ``kinds`` (default: 429 with Retry-After, 500, a timeout, malformed JSON, a
    missing tool call); the others go to ``then`` (default: ``default_responder``).

    Which requests fail is decided by a hash of (seed, request body, how many times this
    body was seen), not by arrival order, so a run with the same requests gets the same
    faults however its threads interleave; a retry of a failed request is a new draw.
    """

    def __init__(
        self,
        rate: float = 0.2,
        *,
        kinds: tuple[str, ...] = MIXED_FAULTS,
        seed: int = 0,
        retry_after: float | None = 1,
        delay: float = 5.0,
        then: Responder | None = None,
    ) -> None:
        unknown = [k for k in kinds if k not in FAULTS]
        if unknown or not kinds:
            raise ValueError(f"unknown faults {unknown}; choose from {', '.join(FAULTS)}")
        if not 0 <= rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        self.rate, self.kinds, self.seed = rate, tuple(kinds), seed
        self.retry_after, self.delay = retry_after, delay
        self.then = then or default_responder
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, request: dict[str, Any]) -> Reply | Fault:
        body = json.dumps(request, sort_keys=True, default=str)
        with self._lock:
            nth = self._seen.get(body, 0)
            self._seen[body] = nth + 1
        digest = hashlib.sha256(f"{self.seed}|{nth}|{body}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw < self.rate:
            kind = self.kinds[digest[8] % len(self.kinds)]
            return Fault(kind, retry_after=self.retry_after, delay=self.delay)
        return self.then(request)


@dataclass
class _State:
    latency: float
    responder: Responder
    queue: deque = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0


class _Handler(BaseHTTPRequestHandler):
    """The OpenAI API. Another API (``fake_anthropic``) subclasses it with its own routes,
    reply bodies and error shape; queueing, responders, faults and recording are shared."""

    protocol_version = "HTTP/1.1"  # keep-alive, as real endpoints do
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server_version = "evaltui-fake-openai/1"
    state: _State  # set on the subclass per server
    # path suffix -> the method answering it; the chat route is the one queued replies and faults answer
    routes = {"/chat/completions": "_chat", "/embeddings": "_embeddings"}
    chat_route = "/chat/completions"

    def _reply_body(
        self, body: dict[str, Any], reply: Reply, *, force_text: bool = False, raw_args: str | None = None
    ) -> dict[str, Any]:
        return _completion(body, reply, self.state.counter, force_text=force_text, raw_args=raw_args)

    def _api_key(self) -> str:
        return self.headers.get("Authorization", "").removeprefix("Bearer ")

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(
        self, status: int, body: bytes, headers: dict[str, str] | None = None, content_type: str = "application/json"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers)

    def _error(self, status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": {"message": message, "type": kind, "code": None}}, headers)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(
                200, {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "evaltui"}]}
            )
        else:
            self._error(404, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            self._error(400, "request body is not JSON", "invalid_request_error")
            return
        state = self.state
        record = RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
        self._record = record
        with state.lock:
            state.requests.append(record)
            state.counter += 1
        for suffix, method in self.routes.items():
            if self.path.rstrip("/").endswith(suffix):
                getattr(self, method)(body)
                return
        self._error(404, f"no route {self.path}", "not_found")

    def _embeddings(self, body: dict[str, Any]) -> None:
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else list(texts or [])
        if self.state.latency:
            time.sleep(self.state.latency)
        self._json(
            200,
            {
                "object": "list",
                "model": body.get("model", "fake-embedding"),
                "data": [
                    {"object": "embedding", "index": i, "embedding": _embedding(str(t))} for i, t in enumerate(texts)
                ],
                "usage": {
                    "prompt_tokens": sum(len(str(t).split()) for t in texts),
                    "total_tokens": sum(len(str(t).split()) for t in texts),
                },
            },
        )

    def _chat(self, body: dict[str, Any]) -> None:
        state = self.state
        with state.lock:
            item = state.queue.popleft() if state.queue else None
        if item is None:
            item = state.responder(body)
        if state.latency:
            time.sleep(state.latency)
        if isinstance(item, Fault):
            self._record.fault = item.kind
            if item.kind == "rate_limit":
                self._record.retry_after = item.retry_after
            if self._fault(item, body):
                return
            item = default_responder(body)
        reply = self._reply_body(body, item)
        if body.get("stream") and reply.get("object") == "chat.completion":
            self._send(
                200,
                _sse(reply, bool((body.get("stream_options") or {}).get("include_usage"))),
                content_type="text/event-stream",
            )
            return
        self._json(200, reply)

    def _fault(self, fault: Fault, body: dict[str, Any]) -> bool:
        """Send the fault; False when the request should then be answered normally (slow)."""
        kind = fault.kind
        if kind == "rate_limit":
            headers = {} if fault.retry_after is None else {"Retry-After": _fmt_seconds(fault.retry_after)}
            self._error(429, "Rate limit reached for requests", "rate_limit_error", headers)
        elif kind == "auth_error":
            self._error(401, f"Incorrect API key provided: {self._api_key()}.", "invalid_request_error")
        elif kind == "server_error":
            self._error(500, "The server had an error while processing your request", "server_error")
        elif kind == "slow":
            time.sleep(fault.delay)
            return False
        elif kind == "malformed":
            self._send(
                200,
                b'{"id": "chatcmpl-broken", "choices": [{"message": {"content": "oops',
                content_type="application/json",
            )
        elif kind == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
        elif kind == "no_tool_call":
            self._json(200, self._reply_body(body, Reply(content=fault.content), force_text=True))
        elif kind == "bad_tool_args":
            self._json(200, self._reply_body(body, Reply(), raw_args='{"choice": "A", "reasons": '))
        elif kind == "bad_choice":
            self._json(200, self._reply_body(body, Reply(choice="Z", reasons="picked outside the enum")))
        return True


def _sse(reply: dict[str, Any], include_usage: bool) -> bytes:
    """A chat completion as the server-sent events of ``stream=True``: the content a word
    per chunk, tool calls in one chunk, then (when asked) a usage chunk, then [DONE]."""
    base = {"id": reply["id"], "object": "chat.completion.chunk", "created": reply["created"], "model": reply["model"]}
    message = reply["choices"][0]["message"]
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": w} for w in re.findall(r"\S+\s*|\s+", message.get("content") or "")]
    if message.get("tool_calls"):
        deltas.append({"tool_calls": [{"index": i, **c} for i, c in enumerate(message["tool_calls"])]})
    chunks = [{**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    chunks.append(
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": reply["choices"][0]["finish_reason"]}]}
    )
    if include_usage:
        chunks.append({**base, "choices": [], "usage": reply["usage"]})
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


def _fmt_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _completion(
    body: dict[str, Any], reply: Reply, n: int, *, force_text: bool = False, raw_args: str | None = None
) -> dict[str, Any]:
    tools = body.get("tools") or []
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish = "stop"
    if tools and not force_text and reply.content is None:
        fn = tools[0].get("function", {}).get("name", "select_choice")
        enum = _tool_enum(body)
        choice = reply.choice if reply.choice is not None else (enum[0] if enum else "A")
        args = raw_args if raw_args is not None else json.dumps({"reasons": reply.reasons, "choice": choice})
        message["tool_calls"] = [{"id": f"call_{n}", "type": "function", "function": {"name": fn, "arguments": args}}]
        finish = "tool_calls"
    else:
        message["content"] = (
            reply.content
            if reply.content is not None
            else (json.dumps({"reasons": reply.reasons, "choice": reply.choice}) if reply.choice else "ok")
        )
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that hung up mid-reply (timeouts) is expected here


class FakeOpenAI:
    """The loopback server. Use as a context manager, or ``start()`` / ``stop()``."""

    handler: type[_Handler] = _Handler  # the API it speaks
    name = "OpenAI-compatible"

    def __init__(self, *, port: int = 0, latency: float = 0.0, responder: Responder | None = None) -> None:
        self._state = _State(latency=latency, responder=responder or default_responder)
        handler = type("Handler", (self.handler,), {"state": self._state})
        self._server = _Server(("127.0.0.1", port), handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order (chat and embeddings)."""
        with self._state.lock:
            return list(self._state.requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.rstrip("/").endswith(self.handler.chat_route)]

    @property
    def latency(self) -> float:
        return self._state.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self._state.latency = value

    def fault_counts(self) -> dict[str, int]:
        """How many chat requests were answered with each fault (queued or from FaultMix)."""
        counts: dict[str, int] = {}
        for r in self.chat_requests:
            if r.fault:
                counts[r.fault] = counts.get(r.fault, 0) + 1
        return counts

    def retry_after_waits(self) -> list[tuple[float, float | None]]:
        """For each 429 sent with Retry-After: (the seconds asked for, the seconds until the
        same request came again, or None if it never did). Measures whether clients wait."""
        chats = self.chat_requests
        out: list[tuple[float, float | None]] = []
        for i, r in enumerate(chats):
            if r.fault != "rate_limit" or r.retry_after is None:
                continue
            again = next((later.at - r.at for later in chats[i + 1 :] if later.body == r.body), None)
            out.append((r.retry_after, again))
        return out

    def set_responder(self, responder: Responder | None) -> None:
        self._state.responder = responder or default_responder

    def enqueue(self, *items: Reply | Fault) -> None:
        """Answer the next chat requests with these, in order."""
        with self._state.lock:
            self._state.queue.extend(items)

    def reset(self) -> None:
        with self._state.lock:
            self._state.queue.clear()
            self._state.requests.clear()

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(
    argv: list[str] | None = None,
    server_class: type[FakeOpenAI] = FakeOpenAI,
    env: str = "OPENAI_BASE_URL={url} OPENAI_API_KEY=sk-fake",
) -> None:
    parser = argparse.ArgumentParser(description=f"A loopback {server_class.name} server with scripted replies.")
    parser.add_argument("--port", type=int, default=0, help="Port on 127.0.0.1 (0 picks a free one).")
    parser.add_argument("--latency", type=float, default=0.0, help="Seconds to wait before every reply.")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=FAULTS,
        help="Answer the first requests with these faults, in order (repeatable).",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        help="Then fail this share of requests with random mixed faults (FaultMix).",
    )
    parser.add_argument("--seed", type=int, default=0, help="Seed of --fault-rate.")
    parser.add_argument(
        "--judge",
        choices=("hash", "demo"),
        default="hash",
        help="How it grades: by a hash of the prompt, or as the demo's judge that reads the "
        "prompt (evaltui.testing.fake_judge.DemoJudge).",
    )
    parser.add_argument(
        "--pairwise-bias",
        choices=("first", "second", "tie"),
        default=None,
        help="Judge pairwise prompts by the rules they state (RuleJudge), leaning to this position.",
    )
    args = parser.parse_args(argv)
    then: Responder | None = None
    if args.pairwise_bias:
        then = RuleJudge(args.pairwise_bias)
    elif args.judge == "demo":
        from evaltui.testing.fake_judge import DemoJudge

        then = DemoJudge()
    responder = FaultMix(args.fault_rate, seed=args.seed, then=then) if args.fault_rate else then
    server = server_class(port=args.port, latency=args.latency, responder=responder)
    server.enqueue(*(Fault(kind) for kind in args.fault))
    server.start()
    print(f"fake {server_class.name} server at {server.base_url} (Ctrl-C to stop)", flush=True)
    print("  " + env.format(url=server.base_url), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
