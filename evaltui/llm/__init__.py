"""The OpenAI-compatible model layer: retries, a concurrency limit, token counts, and the
keys of a response cache (the cache keeps its replies in the store:
``evaltui.store.llm_cache``). Works with OpenAI, vLLM, Ollama, llama.cpp..."""

from evaltui.llm.client import ChatResult, LLMClient, LLMError, Usage, redact, redact_configured
from evaltui.llm.keys import ReplyCache, request_key

__all__ = ["ChatResult", "LLMClient", "LLMError", "ReplyCache", "Usage", "redact", "redact_configured", "request_key"]
