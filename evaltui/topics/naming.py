"""Short natural-language topic names (and conversation summaries) from an LLM, when a
model endpoint is configured. Without one, or when the LLM layer is missing, these
return None and the c-TF-IDF label stands."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

if TYPE_CHECKING:
    from evaltui.store import Store

NAME_PROMPT = (
    "These customer messages were grouped into one topic. Keywords: {keywords}.\n"
    "Examples:\n{examples}\n\n"
    "Reply with only a short name for the topic (2 to 5 words, lowercase, no punctuation)."
)
GROUP_PROMPT = (
    "These topics of customer messages form one group. Keywords: {keywords}.\n"
    "Topics:\n{topics}\nExamples:\n{examples}\n\n"
    "Reply with only a short name for the group (1 to 4 words, lowercase, no punctuation)."
)
SUMMARY_PROMPT = (
    "Summarise what the customer wanted in this support conversation in one short sentence "
    "(at most 20 words). Reply with the sentence only.\n\n{transcript}"
)


def _client(store: Store | None) -> Any:
    """An LLM client when an endpoint is configured and the LLM layer is importable, else None."""
    try:
        from evaltui.config import get_settings

        if not get_settings().llm_configured:
            return None
        from evaltui.llm import LLMClient
    except ImportError:
        return None
    from evaltui.store.llm_cache import LLMCache

    return LLMClient.from_settings(
        cache=LLMCache(store) if store is not None else None, model=get_settings().task_model
    )


async def _ask_all(client: Any, prompts: Sequence[str], max_tokens: int) -> list[str | None]:
    async def one(prompt: str) -> str | None:
        try:
            result = await client.chat([{"role": "user", "content": prompt}], temperature=0, max_tokens=max_tokens)
            text = (result.message.content or "").strip().strip('"').strip()
            return text.splitlines()[0][:80] if text else None
        except Exception:  # noqa: BLE001 - a failed name leaves the keyword label in place
            return None

    try:
        return list(await asyncio.gather(*(one(p) for p in prompts)))
    finally:
        await client.aclose()


def topic_prompts(keywords: Sequence[Sequence[str]], examples: Sequence[Sequence[str]]) -> list[str]:
    """One naming prompt per topic: its keywords and its most central messages."""
    return [
        NAME_PROMPT.format(keywords=", ".join(kw[:8]), examples="\n".join(f"- {e[:200]}" for e in ex[:8]))
        for kw, ex in zip(keywords, examples)
    ]


def group_prompts(
    keywords: Sequence[Sequence[str]], topics: Sequence[Sequence[str]], examples: Sequence[Sequence[str]]
) -> list[str]:
    """One naming prompt per group: its keywords, its topics' names and its most central messages."""
    return [
        GROUP_PROMPT.format(
            keywords=", ".join(kw[:8]),
            topics="\n".join(f"- {t[:80]}" for t in tp[:12]),
            examples="\n".join(f"- {e[:200]}" for e in ex[:5]),
        )
        for kw, tp, ex in zip(keywords, topics, examples)
    ]


def llm_names(store: Store | None, prompts: Sequence[str]) -> list[str | None] | None:
    """One short name per naming prompt (topics' and groups' alike, asked at once), or None
    when no endpoint is configured."""
    client = _client(store)
    if client is None or not prompts:
        return None
    return asyncio.run(_ask_all(client, prompts, max_tokens=20))


def llm_summaries(store: Store | None, transcripts: Sequence[str]) -> list[str | None] | None:
    """One short summary per transcript, or None when no endpoint is configured."""
    client = _client(store)
    if client is None:
        return None
    return asyncio.run(
        _ask_all(client, [SUMMARY_PROMPT.format(transcript=t[:4000]) for t in transcripts], max_tokens=40)
    )
