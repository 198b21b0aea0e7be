"""Topic maps of production logs: embed (MiniLM, by sentence, cached) -> neighbour graph -> Leiden topics and groups
-> label (c-TF-IDF; an LLM name when a model is configured) -> assign new logs.

Nothing heavy is imported here: torch, sentence-transformers and igraph load inside the
functions that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evaltui.store import Store

__all__ = ["assign_new_spans", "build_map", "embed_texts"]


def build_map(store: Store, options: Any = None, progress: Any = None) -> Any:
    """Build a new active topic map (see ``evaltui.topics.build.build_map``)."""
    from evaltui.topics.build import build_map as _build

    return _build(store, options, progress)


def assign_new_spans(store: Store, progress: Any = None) -> Any:
    """Place new conversations in the active map; None when there is none."""
    from evaltui.topics.assign import assign_new_spans as _assign

    return _assign(store, progress)


def embed_texts(store: Store, texts: Any, model: str | None = None, **kwargs: Any) -> Any:
    """Cached MiniLM embeddings (see ``evaltui.topics.embed.embed_texts``)."""
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.embed import embed_texts as _embed

    return _embed(store, texts, model or DEFAULT_MODEL, **kwargs)
