"""A thin layer over the official async ``openai`` client, for any OpenAI-compatible server.

What it adds: retries with exponential backoff and jitter on 429 (honouring Retry-After),
5xx, timeouts and dropped connections; a limit on calls in flight; the DuckDB response
cache; token counts per call and in total. The API key lives only inside the ``openai``
client object: it is never part of a cache key, a stored request, an error or a log line.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import weakref
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson

from evaltui.errors import EvaltuiError
from evaltui.llm.keys import ReplyCache, request_key

if TYPE_CHECKING:
    from evaltui.config import Settings

T = TypeVar("T")


class LLMError(EvaltuiError):
    """A model call that failed for good; the message is one line, without the API key.

    ``kind``: not_configured | rate_limit | server_error | timeout | connection |
    malformed | bad_request | auth | error.
    """

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Usage:
    """Running totals over a client's life (cache hits cost no tokens)."""

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class ChatResult:
    """One chat completion: the ``openai`` object plus what it cost."""

    completion: Any  # openai.types.chat.ChatCompletion
    cached: bool
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 1
    latency_s: float = 0.0

    @property
    def message(self) -> Any:
        return self.completion.choices[0].message


@dataclass
class _LoopState:
    client: Any  # openai.AsyncOpenAI, bound to one event loop
    semaphore: asyncio.Semaphore


def _aiohttp_available() -> bool:
    """openai's aiohttp transport (``openai[aiohttp]``, a dependency of evaltui[full]): about
    half the CPU per call of the default httpx transport, which matters with many in flight."""
    from importlib.util import find_spec

    return find_spec("aiohttp") is not None


# Send plain-JSON chat requests through the client's ``post`` (same retries-free request,
# headers, auth, errors and ChatCompletion reply) without ``create``'s TypedDict transform,
# which walks the whole request (tools and their JSON schema) and costs ~0.3 ms a call.
_PLAIN_POST = True


_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-*]{3,})")


def redact(text: str, secret: str | None) -> str:
    """Remove the key (and anything that looks like an OpenAI key) from a message."""
    if secret:
        text = text.replace(secret, "***")
    return _KEYLIKE.sub("sk-***", text)


def redact_configured(text: str) -> str:
    """``redact`` with every API key evaltui knows of (its settings and $OPENAI_API_KEY):
    for text from user code (a task's traceback, a scorer's exception), which may carry
    the key in an endpoint's error message before it is stored or printed."""
    import os

    secrets = {os.environ.get("OPENAI_API_KEY"), os.environ.get("EVALTUI_OPENAI_API_KEY")}
    try:
        from evaltui.config import get_settings

        key = get_settings().openai_api_key
        secrets.add(key.get_secret_value() if key else None)
    except Exception:  # settings that do not load: the environment is what we have
        pass
    for secret in secrets:
        if secret and len(secret) >= 8:  # a placeholder such as "x" must not blank out text
            text = redact(text, secret)
    return _KEYLIKE.sub("sk-***", text)


@dataclass(eq=False)  # compared (and hashed) by identity: clients are tracked in a WeakSet
class LLMClient:
    """Chat completions and embeddings against one OpenAI-compatible endpoint.

    ``LLMClient.from_settings(cache=LLMCache(store))`` reads the endpoint, model, concurrency,
    timeout, retries and cache switch from evaltui's settings (``OPENAI_BASE_URL``,
    ``OPENAI_API_KEY``, ``EVALTUI_JUDGE_MODEL``...).
    """

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    model: str = "gpt-4o-mini"
    concurrency: int = 16
    timeout: float = 60.0
    max_retries: int = 6
    cache: ReplyCache | None = None  # e.g. evaltui.store.llm_cache.LLMCache(store)
    use_cache: bool = True
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 120.0
    usage: Usage = field(default_factory=Usage)

    def __post_init__(self) -> None:
        self._loops: dict[int, _LoopState] = {}

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        cache: ReplyCache | None = None,
        model: str | None = None,
        use_cache: bool | None = None,
        **overrides: Any,
    ) -> LLMClient:
        from evaltui.config import get_settings

        s = settings or get_settings()
        if not s.llm_configured:
            raise LLMError(
                "no model endpoint configured: set OPENAI_BASE_URL (a local vLLM/Ollama/llama.cpp server) "
                "and/or OPENAI_API_KEY",
                "not_configured",
            )
        key = s.openai_api_key.get_secret_value() if s.openai_api_key else None
        kwargs: dict[str, Any] = dict(
            base_url=s.openai_base_url,
            api_key=key,
            model=model or s.judge_model,
            concurrency=s.llm_concurrency,
            timeout=s.llm_timeout_s,
            max_retries=s.llm_max_retries,
            backoff_base=getattr(s, "llm_backoff_s", cls.backoff_base),
            cache=cache,
            use_cache=s.llm_cache if use_cache is None else use_cache,
        )
        kwargs.update(overrides)
        return cls(**kwargs)

    # -- plumbing -------------------------------------------------------------

    def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._loops.get(id(loop))
        if state is None:
            import openai

            transport: dict[str, Any] = (
                {"http_client": openai.DefaultAioHttpClient(timeout=self.timeout)} if _aiohttp_available() else {}
            )
            client = openai.AsyncOpenAI(
                base_url=self.base_url,
                api_key=self.api_key or "not-needed",
                timeout=self.timeout,
                max_retries=0,  # retries are ours: backoff, jitter, Retry-After
                **transport,
            )
            state = _LoopState(client, asyncio.Semaphore(self.concurrency))
            _LIVE.add(self)
            self._loops[id(loop)] = state
        return state

    async def aclose(self) -> None:
        """Close the HTTP client of the running loop and write buffered cache rows."""
        if self.cache is not None:
            self.cache.flush()
        loop = asyncio.get_running_loop()
        state = self._loops.pop(id(loop), None)
        if state is not None:
            await state.client.close()

    def flush(self) -> None:
        if self.cache is not None:
            self.cache.flush()

    def _retry_delay(self, attempt: int, exc: Exception) -> float:
        after = _retry_after(exc)
        if after is not None:
            return min(after, self.retry_after_max)
        step = min(self.backoff_max, self.backoff_base * (2**attempt))
        return step / 2 + random.uniform(0, step / 2)  # "equal jitter": grows, never bunches

    def _error(self, exc: Exception) -> LLMError:
        import openai

        where = self.base_url or "api.openai.com"
        if isinstance(exc, openai.RateLimitError):
            kind, text = "rate_limit", f"rate limited by {where} (429) after {self.max_retries} retries"
        elif isinstance(exc, openai.APITimeoutError) and _dropped(exc):
            kind, text = "connection", f"cannot reach {where}: connection failed or dropped"
        elif isinstance(exc, openai.APITimeoutError):
            kind, text = "timeout", f"no reply from {where} within {self.timeout:g}s"
        elif isinstance(exc, openai.APIConnectionError):
            kind, text = "connection", f"cannot reach {where}: connection failed or dropped"
        elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            kind, text = "auth", f"{where} refused the API key ({exc.status_code}): check OPENAI_API_KEY"
        elif isinstance(exc, openai.InternalServerError):
            kind, text = "server_error", f"{where} failed ({exc.status_code}): {_first_line(exc)}"
        elif isinstance(exc, openai.APIStatusError):
            kind, text = "bad_request", f"{where} rejected the request ({exc.status_code}): {_first_line(exc)}"
        elif isinstance(exc, (ValueError, openai.APIResponseValidationError)):
            kind, text = "malformed", f"{where} returned a reply that is not valid JSON"
        else:
            kind, text = "error", f"{type(exc).__name__}: {_first_line(exc)}"
        return LLMError(redact(text, self.api_key), kind)

    # -- calls ------------------------------------------------------------------

    async def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        model: str | None = None,
        use_cache: bool | None = None,
        check: Callable[[Any], Any] | None = None,
        **params: Any,
    ) -> ChatResult:
        """One chat completion (``params``: temperature, tools, tool_choice, max_tokens...).

        Served from the cache when this exact (model, messages, params) was answered
        before, unless ``use_cache=False``. ``check(completion)`` may raise to refuse a
        reply (a judge that cannot read it): a refused reply is never cached, so the
        next run asks again. Raises LLMError when the call fails for good.
        """
        from openai.types.chat import ChatCompletion

        model = model or self.model
        caching = self.cache is not None and (self.use_cache if use_cache is None else use_cache)
        key = request_key(model, messages, params) if self.cache is not None else ""
        if caching:
            hit = self.cache.get(key)  # type: ignore[union-attr]
            if hit is not None:
                completion = ChatCompletion.model_validate_json(hit)
                if check is not None:
                    check(completion)
                self.usage.cache_hits += 1
                return ChatResult(completion, cached=True)
        state = self._state()

        async def call() -> Any:
            completion = await _create(state.client, model, messages, params)
            if not getattr(completion, "choices", None):
                raise ValueError("reply has no choices")
            return completion

        started = time.perf_counter()
        async with state.semaphore:
            completion, attempts = await self._with_retries(call)
        usage = completion.usage
        p_tok = int(getattr(usage, "prompt_tokens", 0) or 0)
        c_tok = int(getattr(usage, "completion_tokens", 0) or 0)
        self.usage.calls += 1
        self.usage.prompt_tokens += p_tok
        self.usage.completion_tokens += c_tok
        if check is not None:
            check(completion)
        if self.cache is not None:
            self.cache.put(
                key,
                model,
                {"model": model, "messages": messages, "params": params},
                completion.model_dump_json(),
                p_tok,
                c_tok,
            )
        return ChatResult(
            completion,
            cached=False,
            prompt_tokens=p_tok,
            completion_tokens=c_tok,
            attempts=attempts,
            latency_s=time.perf_counter() - started,
        )

    async def embed(self, texts: list[str], *, model: str = "text-embedding-3-small") -> list[list[float]]:
        """Embeddings from the endpoint (for a remote embedding model at scale)."""
        state = self._state()

        async def call() -> list[list[float]]:
            reply = await state.client.embeddings.create(model=model, input=texts)
            return [d.embedding for d in sorted(reply.data, key=lambda d: d.index)]

        async with state.semaphore:
            vectors, _ = await self._with_retries(call)
        return vectors

    async def _with_retries(self, call: Callable[[], Awaitable[T]]) -> tuple[T, int]:
        """``call()`` and the number of attempts it took. 429, 5xx, timeouts and dropped
        connections are tried again after ``_retry_delay``, up to ``max_retries`` times;
        any other failure, or the last retryable one, ends in one LLMError."""
        import openai

        retryable = (
            openai.RateLimitError,
            openai.InternalServerError,
            openai.APITimeoutError,
            openai.APIConnectionError,
        )
        attempt = 0
        while True:
            try:
                return await call(), attempt + 1
            except retryable as exc:
                if attempt >= self.max_retries:
                    self.usage.errors += 1
                    raise self._error(exc) from None
                await asyncio.sleep(self._retry_delay(attempt, exc))
                attempt += 1
                self.usage.retries += 1
            except (openai.APIError, ValueError, TypeError) as exc:
                self.usage.errors += 1
                raise self._error(exc) from None


_LIVE: weakref.WeakSet[LLMClient] = weakref.WeakSet()  # clients with connections open on some loop
_RUNS: dict[int, int] = {}  # runs going on per event loop


@asynccontextmanager
async def closing_clients() -> AsyncIterator[None]:
    """For runners (an eval): when the last run on this event loop ends, close the
    connections every LLMClient opened on it. A judge built in an eval file is rarely
    closed by its author, and its connections would outlive the loop. A client used
    again afterwards opens new ones."""
    loop_id = id(asyncio.get_running_loop())
    _RUNS[loop_id] = _RUNS.get(loop_id, 0) + 1
    try:
        yield
    finally:
        _RUNS[loop_id] -= 1
        if not _RUNS[loop_id]:
            del _RUNS[loop_id]
            for client in list(_LIVE):
                if loop_id in client._loops:
                    await client.aclose()


async def _create(client: Any, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
    """``client.chat.completions.create(model=..., messages=..., **params)``; a request of plain
    JSON values (what a judge sends) is posted as it is, skipping ``create``'s transform, and
    its reply is read by ``_completion``."""
    if _PLAIN_POST and "stream" not in params and _plain_json(messages) and _plain_json(params):
        raw = await client.post(
            "/chat/completions",
            body={"model": model, "messages": messages, **params},
            cast_to=_response_type(),
            options={"security": {"bearer_auth": True}},
        )
        return _completion(raw.content)
    return await client.chat.completions.create(model=model, messages=messages, **params)


def _response_type() -> type:
    """The HTTP response class of the installed openai (httpx2, or httpx before 3.x): as
    ``cast_to`` it makes ``post`` hand back the reply unparsed."""
    try:
        import httpx2 as httpx
    except ImportError:  # pragma: no cover - older openai releases
        import httpx  # type: ignore[no-redef]
    return httpx.Response


def _completion(body: bytes) -> Any:
    """The ChatCompletion of a reply body. pydantic-core validates the JSON in one pass
    (a fraction of openai's field-by-field construction); a reply that strays from the
    schema (a local server leaving out ``created``...) is built leniently, as openai does.
    ValueError when the body is not a JSON object."""
    from openai.types.chat import ChatCompletion
    from pydantic import ValidationError

    try:
        return ChatCompletion.model_validate_json(body)
    except ValidationError:
        data = orjson.loads(body)  # orjson.JSONDecodeError is a ValueError
        if not isinstance(data, dict):
            raise ValueError("reply is not a JSON object") from None
        return ChatCompletion.construct(**data)


_SCALARS = (str, int, float, bool, type(None))


def _plain_json(value: Any) -> bool:
    """Only dicts with str keys, lists and JSON scalars: nothing ``create``'s transform would
    change (no generators, Omit/NotGiven, files, dates, pydantic models or classes)."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is dict:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    if kind is list:
        return all(_plain_json(v) for v in value)
    return False


def _dropped(exc: BaseException) -> bool:
    """A "timeout" that was a dropped or refused connection: openai's aiohttp transport
    reports every aiohttp connection error as a connect timeout; the cause tells them apart."""
    seen: BaseException | None = exc
    for _ in range(8):  # a short chain: openai's error, httpx2's, aiohttp's
        if seen is None:
            break
        if type(seen).__module__.startswith("aiohttp") and not isinstance(seen, TimeoutError):
            return "Timeout" not in type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_after(exc: Exception) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``Retry-After`` in
    seconds or as an HTTP date."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "message", None) or exc)
    text = re.sub(r"^Error code: \d+ - ", "", text)
    return (text.splitlines() or [""])[0][:200]
