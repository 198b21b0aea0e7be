"""The OpenAI-compatible model layer: retries, a concurrency limit, a response cache in
the store, token counts. Works with OpenAI, vLLM, Ollama, llama.cpp..."""

from evaltui.llm.cache import LLMCache, request_key
from evaltui.llm.client import ChatResult, LLMClient, LLMError, Usage, redact, redact_configured

__all__ = ["ChatResult", "LLMCache", "LLMClient", "LLMError", "Usage", "redact", "redact_configured", "request_key"]
